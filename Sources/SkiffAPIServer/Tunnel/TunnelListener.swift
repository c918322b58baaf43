import Logging
import SkiffTunnel
import SkiffTunnelTransport

/// The server's end of the agents' reverse tunnels (`/v1-skiff/connect`): each WebSocket becomes a `TunnelSession`
/// whose kubelet endpoint is registered for its node in the `KubeletDirectory` while it lasts. Pings every 5 s find a
/// dead link (no FIN, no RST) within 10 s; the agent's side does the same.
struct TunnelListener: Sendable {
    static let pingInterval = Duration.seconds(5)

    let kubelets: KubeletDirectory
    let logger: Logger

    /// Serves node `node`'s tunnel on the switched connection's frames.
    func session(node: String) -> WebSocketSession {
        let (kubelets, logger) = (kubelets, logger)
        return { frames in
            let session = TunnelSession(side: .listener)
            let registration = kubelets.register(
                node: node, endpoint: TunnelKubeletEndpoint(session: session, node: node))
            logger.info("tunnel connected", metadata: ["node": "\(node)"])
            do {
                let peerClosed = try await TunnelWebSocket.run(
                    session, on: frames, client: false, pingInterval: Self.pingInterval, logger: logger,
                    accept: { stream in stream.reset(reason: "the server accepts no streams") })
                if peerClosed {
                    logger.info("tunnel closed", metadata: ["node": "\(node)"])
                } else {
                    logger.info(
                        "tunnel lost",
                        metadata: ["node": "\(node)", "error": "no answer to pings, or closed without a word"])
                }
            } catch {
                logger.info("tunnel lost", metadata: ["node": "\(node)", "error": "\(error)"])
            }
            kubelets.remove(node: node, registration: registration)
            session.end(TunnelStreamError("the tunnel to node \"\(node)\" closed"))
        }
    }
}
