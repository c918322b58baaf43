import Foundation
import Logging
import SkiffCRI
import SkiffModel
import SkiffTunnel
import SkiffTunnelTransport

/// `kubectl exec` and `attach` on this node: the container's session is opened on the runtime (CRI `Exec`/`Attach`,
/// which answer a one-time URL on containerd's streaming server), and its channels are relayed between the server's
/// tunnel stream and that URL over SPDY/3.1 (`v4.channel.k8s.io`), which unlike containerd's WebSocket can close
/// stdin. The Status that ends the session (exit code included) comes from containerd on channel 3; a session that
/// cannot start gets one from here.
extension KubeletServer: KubeletSessionEndpoint {
    public func serveSession(_ request: KubeletRequest, on stream: TunnelStream) async {
        defer { stream.close() }
        let parts = request.path.split(separator: "/").map(String.init)
        if parts.count == 3, parts[0] == "portForward" {
            await portForward(namespace: parts[1], pod: parts[2], request, on: stream)
            return
        }
        guard parts.count == 4, ["exec", "attach"].contains(parts[0]) else {
            await Self.fail(stream, code: 404, reason: "NotFound", "no session at \(request.path)")
            return
        }
        let (kind, namespace, pod, container) = (parts[0], parts[1], parts[2], parts[3])
        func flag(_ name: String) -> Bool { ["1", "true"].contains(request.value(name) ?? "") }
        let streams = StreamOptions(
            stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty"))
        do {
            guard
                let id = try await Self.runningContainer(
                    runtime, namespace: namespace, pod: pod, container: container, podUID: request.value("podUID"))
            else {
                await Self.fail(
                    stream, code: 404, reason: "NotFound", "container \"\(container)\" in pod \"\(pod)\" is not running"
                )
                return
            }
            let url =
                kind == "exec"
                ? try await runtime.exec(
                    id: id, command: request.query.filter { $0.name == "command" }.map(\.value), streams: streams)
                : try await runtime.attach(id: id, streams: streams)
            try await relay(
                stream, to: url,
                plan: .session(stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr, tty: streams.tty))
        } catch {
            logger.warning("\(kind) session failed", metadata: ["pod": "\(namespace)/\(pod)", "error": "\(error)"])
            await Self.fail(stream, code: 500, reason: "InternalError", "\(kind) in \(namespace)/\(pod): \(error)")
        }
    }

    /// Relays the session between the tunnel stream and the runtime's streaming server.
    func relay(_ stream: TunnelStream, to url: String, plan: SPDYChannelClient.Plan) async throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw RuntimeError(.failed, "the runtime answered an unusable streaming URL: \(url)")
        }
        try await SPDYChannelClient.relay(
            host: host, port: port, path: parsed.path, plan: plan, stream: stream, logger: logger)
    }

    /// `kubectl port-forward`: one stream per connection to one port of the pod, opened inside the pod's network
    /// namespace by the runtime (CRI `PortForward`), so a server listening on the pod's localhost is reached too.
    /// Data is channel 0 both ways; an error is text on channel 1, as kubelet writes it to the error stream.
    func portForward(namespace: String, pod: String, _ request: KubeletRequest, on stream: TunnelStream) async {
        func fail(_ message: String) async {
            try? await stream.write(StreamChannels.encode(channel: 1, Array(message.utf8)))
        }
        guard let port = request.value("port").flatMap(UInt16.init), port > 0 else {
            await fail("invalid port \(request.value("port") ?? "")")
            return
        }
        do {
            let uid = request.value("podUID") ?? ""
            guard
                let sandbox = try await runtime.listPodSandboxes()
                    .filter({
                        $0.state == .ready && $0.metadata.namespace == namespace && $0.metadata.name == pod
                            && (uid.isEmpty || $0.metadata.uid == uid)
                    })
                    .max(by: { $0.createdAt < $1.createdAt })
            else {
                await fail("pod \(namespace)/\(pod) has no running sandbox on this node")
                return
            }
            let url = try await runtime.portForward(sandboxID: sandbox.id, ports: [Int32(port)])
            try await relay(stream, to: url, plan: .portForward(port: port))
        } catch {
            logger.warning(
                "port-forward failed", metadata: ["pod": "\(namespace)/\(pod)", "port": "\(port)", "error": "\(error)"])
            await fail("port-forward to \(namespace)/\(pod):\(port): \(error)")
        }
    }

    /// The running container's ID: the newest attempt of `container` in the pod (of that UID, when given).
    static func runningContainer(
        _ runtime: any ContainerRuntime, namespace: String, pod: String, container: String, podUID: String?
    ) async throws(RuntimeError) -> String? {
        try await runtime.listContainers(sandboxID: nil)
            .filter { summary in
                summary.state == .running && summary.labels[CRILabels.podNamespace] == namespace
                    && summary.labels[CRILabels.podName] == pod && summary.labels[CRILabels.containerName] == container
                    && (podUID.map { $0.isEmpty || summary.labels[CRILabels.podUID] == $0 } ?? true)
            }
            .max { $0.metadata.attempt < $1.metadata.attempt }?.id
    }

    /// Ends a session that could not start with a Status on the error channel, as kubelet does.
    static func fail(_ stream: TunnelStream, code: Int, reason: String, _ message: String) async {
        let status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
            "reason": .string(reason), "code": .int(Int64(code)),
        ]
        try? await stream.write(StreamChannels.encode(channel: 3, status.serialized()))
    }
}
