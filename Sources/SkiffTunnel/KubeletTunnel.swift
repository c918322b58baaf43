import Foundation
import SkiffModel

/// The kubelet API over tunnel streams. The server opens one stream per request, toward the target
/// `kubelet <METHOD> <path>?<query>` (query percent-encoded), and keeps its side open while it reads; the agent answers
/// with a head line, `<status> <content-type>\n`, then the body, and closes. The server closing its side or resetting
/// the stream (its client went away) ends the agent's work on it, a followed log included.
public enum KubeletTunnel {
    static let prefix = "kubelet "

    /// The stream target for `request`.
    public static func target(for request: KubeletRequest) -> String {
        var target = prefix + request.method + " " + request.path
        if !request.query.isEmpty {
            target += "?" + request.query.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
        }
        return target
    }

    /// The request a stream target names; nil for a target that is not a kubelet request.
    public static func request(target: String) -> KubeletRequest? {
        guard target.hasPrefix(prefix) else { return nil }
        let line = target.dropFirst(prefix.count)
        guard let space = line.firstIndex(of: " ") else { return nil }
        let method = String(line[..<space])
        let rest = line[line.index(after: space)...]
        let (path, query) = rest.firstIndex(of: "?").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest, "")
        guard !method.isEmpty, path.hasPrefix("/") else { return nil }
        var pairs: [(name: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).removingPercentEncoding,
                let value = (parts.count > 1 ? String(parts[1]) : "").removingPercentEncoding
            else { return nil }
            pairs.append((name, value))
        }
        return KubeletRequest(method: method, path: String(path), query: pairs)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Whether `request` opens a streaming session (exec, attach, port-forward) rather than asking for a response.
    public static func isSession(_ request: KubeletRequest) -> Bool {
        ["/exec/", "/attach/", "/portForward/"].contains { request.path.hasPrefix($0) }
    }

    /// The agent's side of one stream: answers the request the target names with `endpoint`, until the body ends or
    /// the server stops reading; a session request is handed to the endpoint's `serveSession`.
    public static func answer(_ stream: TunnelStream, with endpoint: any KubeletEndpoint) async {
        guard let request = request(target: stream.target) else {
            stream.reset(reason: "not a kubelet request: \(stream.target)")
            return
        }
        if isSession(request) {
            guard let sessions = endpoint as? any KubeletSessionEndpoint else {
                stream.reset(reason: "this kubelet serves no sessions")
                return
            }
            await sessions.serveSession(request, on: stream)
            return
        }
        enum Outcome { case answered, serverDone }
        let outcome: Outcome? = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    let response = await endpoint.serve(request)
                    try await stream.write(Array("\(response.status) \(response.contentType)\n".utf8))
                    for try await chunk in response.body where !chunk.isEmpty {
                        try await stream.write(chunk)
                    }
                    stream.close()
                    return .answered
                } catch {
                    stream.reset(reason: "\(error)")
                    return nil
                }
            }
            // The server keeps its side open while it reads; its close or reset before the answer ended means its
            // client went away: stop producing (a followed log would otherwise wait for its next line forever).
            group.addTask {
                do { for try await _ in stream {} } catch {}
                return .serverDone
            }
            let first = await group.next() ?? nil
            if first == .serverDone { group.cancelAll() }
            return first
        }
        if outcome == .serverDone { stream.reset(reason: "the server stopped reading") }
    }
}

/// A kubelet that also serves streaming sessions: exec and attach carry `StreamChannels` records both ways on the
/// stream, ending with a Status on channel 3; the endpoint closes its side when the session is over.
public protocol KubeletSessionEndpoint: KubeletEndpoint {
    func serveSession(_ request: KubeletRequest, on stream: TunnelStream) async
}

/// The server's side: a node's kubelet API reached through the node's tunnel session.
public struct TunnelKubeletEndpoint: KubeletEndpoint {
    public let session: TunnelSession
    public let node: String

    public init(session: TunnelSession, node: String) {
        self.session = session
        self.node = node
    }

    /// Opens a streaming session (exec, attach) with the node's kubelet; the caller relays its channels.
    public func openSession(_ request: KubeletRequest) throws(TunnelStreamError) -> TunnelStream {
        try session.open(target: KubeletTunnel.target(for: request))
    }

    public func serve(_ request: KubeletRequest) async -> KubeletResponse {
        let stream: TunnelStream
        do {
            stream = try session.open(target: KubeletTunnel.target(for: request))
        } catch {
            return .text(503, "the tunnel to node \"\(node)\" is closed: \(error)")
        }
        let reader = StreamReader(stream: stream)
        do {
            guard let (status, contentType) = try await reader.head() else {
                stream.reset(reason: "no response head")
                return .text(502, "node \"\(node)\" answered without a response head")
            }
            return KubeletResponse(
                status: status, contentType: contentType,
                body: AsyncThrowingStream(unfolding: {
                    guard let chunk = try await reader.next() else {
                        stream.close()
                        return nil
                    }
                    return chunk
                }))
        } catch {
            stream.reset(reason: "\(error)")
            return .text(502, "the tunnel to node \"\(node)\" failed: \(error)")
        }
    }

    /// Reads a response head line, then the body's chunks. Pulled by one reader at a time (the response body), so
    /// its iterator is only ever touched by one task.
    final class StreamReader: @unchecked Sendable {
        let stream: TunnelStream
        var iterator: TunnelStream.AsyncIterator
        var leftover: [UInt8] = []

        init(stream: TunnelStream) {
            self.stream = stream
            iterator = stream.makeAsyncIterator()
        }

        func head() async throws -> (Int, String)? {
            var buffer: [UInt8] = []
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    leftover = Array(buffer[(newline + 1)...])
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    let parts = line.split(separator: " ", maxSplits: 1)
                    guard let status = parts.first.flatMap({ Int($0) }) else { return nil }
                    return (status, parts.count > 1 ? String(parts[1]) : "text/plain")
                }
                guard buffer.count < 4096, let chunk = try await iterator.next() else { return nil }
                buffer += chunk
            }
        }

        func next() async throws -> [UInt8]? {
            if !leftover.isEmpty {
                defer { leftover = [] }
                return leftover
            }
            return try await iterator.next()
        }
    }
}
