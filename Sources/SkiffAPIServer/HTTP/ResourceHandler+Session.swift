import Hummingbird
import SkiffModel
import SkiffTunnel
import SkiffTunnelTransport

/// `pods/exec` and `pods/attach` over WebSocket (`v5.channel.k8s.io` for kubectl, `v4.channel.k8s.io` for the Python
/// client): upstream's checks first, answered as a `Status` while the client still speaks HTTP; then the 101, and
/// the session's channels are relayed to the pod's node through its tunnel, where the agent opens it on the runtime.
/// Exit codes come back as the runtime's Status on channel 3, which kubectl turns into its own exit code.
extension ResourceHandler {
    static let sessionProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    func podSession(_ name: String, _ request: Request) async throws -> Response {
        let kind = subresource ?? "exec"
        let pod = try StoredBytes.decode(try await registry.get(type, namespace: namespace, name: name))
        let container = try Self.logContainer(pod, requested: query["container"])
        if let phase = pod["status"]["phase"].stringValue, phase == "Succeeded" || phase == "Failed" {
            throw APIError.badRequest("cannot \(kind) into a container in a completed pod; current phase is \(phase)")
        }
        let command = query.all("command")
        if kind == "exec", command.isEmpty { throw APIError.badRequest("you must specify at least 1 command") }
        var streams: [(name: String, value: String)] = []
        for option in ["stdin", "stdout", "stderr", "tty"] where try query.bool(option) {
            streams.append((option, "1"))
        }
        guard streams.contains(where: { $0.name != "tty" }) else {
            throw APIError.badRequest("you must specify at least one of stdin, stdout, stderr")
        }
        let kubelet = try kubelet(of: try Self.podNode(pod), pod: name)
        guard let upgrade = WebSocketUpgrade(request.head) else {
            throw APIError.badRequest("Upgrade request required: \(kind) takes a WebSocket (v5.channel.k8s.io)")
        }
        guard let subprotocol = upgrade.choose(Self.sessionProtocols) else {
            throw APIError.badRequest(
                "\(kind) speaks the WebSocket subprotocols \(Self.sessionProtocols.joined(separator: ", ")), not \(upgrade.protocols)"
            )
        }
        guard let connection else { throw APIError.internal("no connection to switch") }
        let session = KubeletRequest(
            method: "POST", path: "/\(kind)/\(namespace ?? "")/\(name)/\(container)",
            query: [("podUID", pod.uid ?? "")] + command.map { ("command", $0) } + streams)
        let logger = logger
        connection.switchToWebSocket { frames in
            do {
                let stream = try kubelet.openSession(session)
                defer { stream.close() }
                // A v4 client knows no close signal; kubectl's (v5) goes to the node, which decides what to do with it.
                try await ChannelRelay.relay(frames, client: false, stream: stream, logger: logger)
            } catch {
                logger.debug("\(kind) session ended", metadata: ["pod": "\(name)", "error": "\(error)"])
            }
        }
        return upgrade.response(subprotocol: subprotocol)
    }
}

/// `pods/portforward` for kubectl (WebSocket `SPDY/3.1+portforward.k8s.io`, SPDY inside: every connection kubectl
/// forwards becomes a tunnel stream) and the Python client (`v4.channel.k8s.io`, one stream per port in the query),
/// to the pod's node, where the runtime connects to the port inside the pod.
extension ResourceHandler {
    func podPortForward(_ name: String, _ request: Request) async throws -> Response {
        let pod = try StoredBytes.decode(try await registry.get(type, namespace: namespace, name: name))
        if let phase = pod["status"]["phase"].stringValue, phase != "Running" {
            throw APIError.badRequest("pod \(name) is not running (phase \(phase)): cannot forward ports to it")
        }
        let kubelet = try kubelet(of: try Self.podNode(pod), pod: name)
        guard let upgrade = WebSocketUpgrade(request.head) else {
            throw APIError.badRequest(
                "Upgrade request required: port-forward takes a WebSocket (\(PortForwardRelay.subprotocol))")
        }
        guard let subprotocol = upgrade.choose([PortForwardRelay.subprotocol, "v4.channel.k8s.io"]) else {
            throw APIError.badRequest(
                "port-forward speaks the WebSocket subprotocols \(PortForwardRelay.subprotocol) and v4.channel.k8s.io, not \(upgrade.protocols)"
            )
        }
        // v4 (the Python client) names its ports in the query: `ports=8080,9090` or repeated.
        var ports: [UInt16] = []
        if subprotocol == "v4.channel.k8s.io" {
            for value in query.all("ports") + query.all("port") {
                for part in value.split(separator: ",") {
                    guard let port = UInt16(part.trimmingCharacters(in: .whitespaces)), port > 0 else {
                        throw APIError.badRequest("invalid port \"\(part)\": ports are 1 to 65535")
                    }
                    ports.append(port)
                }
            }
            guard !ports.isEmpty else { throw APIError.badRequest("query parameter \"port\" is required") }
        }
        guard let connection else { throw APIError.internal("no connection to switch") }
        let (path, uid, logger) = ("/portForward/\(namespace ?? "")/\(name)", pod.uid ?? "", logger)
        let open: @Sendable (UInt16) throws -> TunnelStream = { port in
            try kubelet.openSession(
                KubeletRequest(method: "POST", path: path, query: [("podUID", uid), ("port", "\(port)")]))
        }
        connection.switchToWebSocket { [ports] frames in
            do {
                if ports.isEmpty {
                    try await PortForwardRelay.run(frames, open: open, logger: logger)
                } else {
                    try await PortForwardRelay.runChannels(frames, ports: ports, open: open, logger: logger)
                }
            } catch {
                logger.debug("port-forward ended", metadata: ["pod": "\(name)", "error": "\(error)"])
            }
        }
        return upgrade.response(subprotocol: subprotocol)
    }
}
