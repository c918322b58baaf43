import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import SkiffCRI
import SwiftProtobuf

/// The verbose status calls behind `skiff crictl inspect`, `inspectp` and `inspecti`: the runtime's whole answer
/// (status plus its `info` map) as JSON, which `ContainerRuntime`'s typed values deliberately leave out.
public struct CRIInspector: Sendable {
    private let runtimeService: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    private let imageService: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    private let callTimeout: Duration

    private init(client: GRPCClient<HTTP2ClientTransport.Posix>, callTimeout: Duration) {
        runtimeService = Runtime_V1_RuntimeService.Client(wrapping: client)
        imageService = Runtime_V1_ImageService.Client(wrapping: client)
        self.callTimeout = callTimeout
    }

    /// Runs `body` with a client of the CRI socket at `socket` and closes it afterwards.
    public static func withInspector<Result: Sendable>(
        socket: String, callTimeout: Duration = .seconds(10), _ body: (CRIInspector) async throws -> Result
    ) async throws -> Result {
        let transport: HTTP2ClientTransport.Posix
        do {
            let config = HTTP2ClientTransport.Posix.Config.defaults { config in
                config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(PingAnswerer(), position: .first)
                    }
                }
            }
            transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: socket, authority: "localhost"), transportSecurity: .plaintext,
                config: config)
        } catch {
            throw SkiffCRI.RuntimeError(.invalidArgument, "CRI socket \(socket): \(error)", cause: error)
        }
        let client = GRPCClient(transport: transport)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.runConnections() }
            defer { client.beginGracefulShutdown() }
            return try await body(CRIInspector(client: client, callTimeout: callTimeout))
        }
    }

    private var options: CallOptions {
        var options = CallOptions.defaults
        options.timeout = callTimeout
        // A socket that is not there fails at once instead of waiting out the deadline.
        options.waitForReady = false
        return options
    }

    /// `ContainerStatus` with `verbose`: `{"status": …, "info": …}`.
    public func containerStatus(id: String) async throws(SkiffCRI.RuntimeError) -> String {
        do {
            let response = try await runtimeService.containerStatus(
                .with {
                    $0.containerID = id
                    $0.verbose = true
                }, options: options)
            return try Self.document(
                status: response.status, info: response.info,
                defaults: ["state": "CONTAINER_CREATED", "exitCode": 0, "startedAt": 0, "finishedAt": 0])
        } catch {
            throw SkiffCRI.RuntimeError.wrapping(error, method: "ContainerStatus")
        }
    }

    /// `PodSandboxStatus` with `verbose`: `{"status": …, "info": …}`.
    public func podSandboxStatus(id: String) async throws(SkiffCRI.RuntimeError) -> String {
        do {
            let response = try await runtimeService.podSandboxStatus(
                .with {
                    $0.podSandboxID = id
                    $0.verbose = true
                }, options: options)
            return try Self.document(
                status: response.status, info: response.info, defaults: ["state": "SANDBOX_READY"])
        } catch {
            throw SkiffCRI.RuntimeError.wrapping(error, method: "PodSandboxStatus")
        }
    }

    /// `ImageStatus` with `verbose`: `{"status": …, "info": …}`; `notFound` when the runtime has no such image.
    public func imageStatus(_ image: String) async throws(SkiffCRI.RuntimeError) -> String {
        let response: Runtime_V1_ImageStatusResponse
        do {
            response = try await imageService.imageStatus(
                .with {
                    $0.image = .with { $0.image = image }
                    $0.verbose = true
                }, options: options)
        } catch {
            throw SkiffCRI.RuntimeError.wrapping(error, method: "ImageStatus")
        }
        guard response.hasImage else { throw SkiffCRI.RuntimeError(.notFound, "no such image \"\(image)\"") }
        do {
            return try Self.document(status: response.image, info: response.info)
        } catch {
            throw SkiffCRI.RuntimeError.wrapping(error, method: "ImageStatus")
        }
    }

    /// crictl's shape: the status in protobuf's JSON mapping, the info values parsed when they are JSON themselves;
    /// containerd's single `info` document is the info itself (so `.info.pid` is the task's pid, as with crictl).
    /// Indented, keys sorted.
    ///
    /// Protobuf's JSON mapping leaves out fields at their zero value, so a ready sandbox would have no `state` and
    /// a first attempt no `attempt`: `defaults` (and `metadata.attempt`) put them back, as crictl prints them.
    static func document(
        status: some SwiftProtobuf.Message, info: [String: String], defaults: [String: Any] = [:]
    ) throws -> String {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = true
        var statusObject =
            try JSONSerialization.jsonObject(with: Data(status.jsonString(options: options).utf8)) as? [String: Any]
            ?? [:]
        for (key, value) in defaults where statusObject[key] == nil { statusObject[key] = value }
        if var metadata = statusObject["metadata"] as? [String: Any], metadata["attempt"] == nil {
            metadata["attempt"] = 0
            statusObject["metadata"] = metadata
        }
        var infoObject: [String: Any] = [:]
        for (key, value) in info {
            infoObject[key] =
                (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) ?? value
        }
        if infoObject.count == 1, let only = infoObject["info"] as? [String: Any] { infoObject = only }
        let data = try JSONSerialization.data(
            withJSONObject: ["status": statusObject, "info": infoObject],
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
