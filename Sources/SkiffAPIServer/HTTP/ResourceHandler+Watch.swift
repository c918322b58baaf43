import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SkiffModel
import SkiffStore

extension ResourceHandler {
    /// A watch: newline-delimited events, chunked, held open until the client leaves or the timeout passes. Without a
    /// resourceVersion (or with "0") the current objects are sent first as ADDED, as upstream does.
    func watch(_ request: Request) async throws -> Response {
        let filter = try ObjectFilter(query: query, resource: type.resource)
        let representation = Negotiation.representation(request.headers[.accept])
        if case .partialObjectMetadataList = representation {
            throw Negotiation.notAcceptable("PartialObjectMetadataList", "not a list (\(type.kind))")
        }
        let encoder = WatchEncoder(
            type: type, representation: representation,
            include: Negotiation.includeObject(query["includeObject"]), now: registry.now)
        var timeout = Duration.seconds(Int.random(in: 1800...3600))
        if let seconds = try query.int("timeoutSeconds") { timeout = .seconds(max(0, seconds)) }
        let version = query["resourceVersion"] ?? ""
        var initial: [KeyValue] = []
        let start: Revision
        if version.isEmpty || version == "0" {
            let page = try await registry.list(type, namespace: namespace, filter: filter.storeFilter)
            initial = page.items
            start = page.revision
        } else {
            guard let revision = Revision(version) else {
                throw APIError.badRequest("invalid resourceVersion \"\(version)\"")
            }
            start = revision
        }
        let opened: Result<WatchStream, APIError> = await registry.openWatch(type, namespace: namespace, after: start)
        guard case .success(let stream) = opened else {
            if case .failure(let error) = opened, error.code != 410 { throw error }
            let current = try await registry.currentRevision()
            return APIResponder.bytes(
                .ok, encoder.error(APIError.expired("too old resource version: \(start) (\(current))")))
        }
        let session = WatchSession(
            initial: initial, stream: stream, filter: filter, encoder: encoder, timeout: timeout,
            connection: connection ?? APIConnection(), logger: logger)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"],
            body: ResponseBody { writer in try await session.run(&writer) })
    }

    /// Turns a store event into the watch event a filtered watcher sees: objects that start matching are ADDED,
    /// objects that stop matching are DELETED (upstream `watch.Filter` semantics).
    static func translate(
        _ event: WatchEvent, filter: ObjectFilter, decode: (KeyValue) throws(APIError) -> JSON = StoredBytes.decode
    ) throws(APIError) -> (String, KeyValue)? {
        if filter.isEmpty {
            switch event.kind {
            case .created: return ("ADDED", event.current)
            case .updated: return ("MODIFIED", event.current)
            case .deleted: return ("DELETED", event.current)
            }
        }
        let now = filter.matches(try decode(event.current))
        switch event.kind {
        case .created:
            return now ? ("ADDED", event.current) : nil
        case .deleted:
            return now ? ("DELETED", event.current) : nil
        case .updated:
            var before = false
            if let previous = event.previous { before = filter.matches(try decode(previous)) }
            switch (before, now) {
            case (true, true): return ("MODIFIED", event.current)
            case (false, true): return ("ADDED", event.current)
            case (true, false): return ("DELETED", event.current)
            case (false, false): return nil
            }
        }
    }
}

/// One open watch: initial events, then store events until the client leaves or the timeout passes.
struct WatchSession: Sendable {
    let initial: [KeyValue]
    let stream: WatchStream
    let filter: ObjectFilter
    var encoder: WatchEncoder
    let timeout: Duration
    /// Its closure ends the watch at once: a quiet resource would otherwise show a departed client only at the next
    /// write, and hold the connection's task and the store subscription until then.
    let connection: APIConnection
    let logger: Logger

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let stream = self.stream
        // Leaving, however, ends the store subscription now, not when the last copy of the stream is released.
        defer { stream.stop() }
        var encoder = self.encoder
        for kv in initial {
            try await writer.write(ByteBuffer(bytes: try encoder.event("ADDED", kv)))
        }
        let timeout = self.timeout
        // The timer ends the stream cleanly; leaving the loop (client gone, error) cancels the timer.
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            stream.stop()
        }
        defer { timer.cancel() }
        do {
            // On shutdown the watch ends cleanly (clients rewatch elsewhere), so the server is not held open by it.
            try await connection.whileOpen(onClose: { stream.stop() }) {
                try await withGracefulShutdownHandler {
                    for try await event in stream {
                        guard let (kind, kv) = try ResourceHandler.translate(event, filter: filter) else { continue }
                        try await writer.write(ByteBuffer(bytes: try encoder.event(kind, kv)))
                    }
                } onGracefulShutdown: {
                    stream.stop()
                }
            }
        } catch let error as StoreError {
            if connection.isClosed { return }
            let status = error.code == .expired ? APIError.expired(error.message) : APIError.internal(error.description)
            try await writer.write(ByteBuffer(bytes: encoder.error(status)))
            logger.debug("watch ended", metadata: ["reason": "\(error)"])
        }
        // Nobody is left to read the end of the body.
        if connection.isClosed {
            logger.debug("watch ended", metadata: ["reason": "client closed the connection"])
            return
        }
        try await writer.finish(nil)
    }
}

/// Encodes watch events. Plain JSON events splice the stored object bytes (no parse, no re-serialization); Table
/// events carry column definitions only in the first event, as upstream's watch encoder does; metadata-only watches
/// (client-go's metadata informers) get each object as `PartialObjectMetadata`.
struct WatchEncoder: Sendable {
    let type: ResourceType
    let representation: Representation
    let include: IncludeObject
    let now: @Sendable () -> Date
    private var sentColumns = false

    init(
        type: ResourceType, representation: Representation, include: IncludeObject,
        now: @escaping @Sendable () -> Date
    ) {
        self.type = type
        self.representation = representation
        self.include = include
        self.now = now
    }

    mutating func event(_ kind: String, _ kv: KeyValue) throws(APIError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(kv.value.count + 64)
        out.append(contentsOf: #"{"type":""#.utf8)
        out.append(contentsOf: kind.utf8)
        out.append(contentsOf: #"","object":"#.utf8)
        switch representation {
        case .table(let version):
            let object = try StoredBytes.decode(kv)
            let rendered = TablePrinter.table(
                for: type, objects: [object], include: include, resourceVersion: String(kv.modRevision),
                continueToken: nil, columnDefinitions: !sentColumns, version: version,
                printerColumns: type.printerColumns, now: now())
            sentColumns = true
            rendered.serialize(into: &out)
        case .partialObjectMetadata(let version):
            Representation.partialObjectMetadata(of: try StoredBytes.decode(kv), version: version).serialize(into: &out)
        case .object, .partialObjectMetadataList:
            StoredBytes.append(kv.value, revision: kv.modRevision, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    func error(_ error: APIError) -> [UInt8] {
        var out = Array(#"{"type":"ERROR","object":"#.utf8)
        error.status.serialize(into: &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
