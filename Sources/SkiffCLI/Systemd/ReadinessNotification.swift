import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Tells systemd (`Type=notify`) when skiff is actually ready: `READY=1` once the API server listens (so `/readyz`
/// answers) and, with an agent, once its node reports Ready; `STOPPING=1` when a graceful shutdown starts. Without
/// `NOTIFY_SOCKET` it does nothing.
struct ReadinessNotification: Service {
    let notifier: SystemdNotifier
    /// Opened when the API server listens (the server); nil for an agent.
    let listening: Latch?
    /// The node whose Ready condition is waited for, through `api`; nil for a server without an agent.
    let node: String?
    let api: (any ClusterAPI)?
    let logger: Logger

    func run() async throws {
        // A graceful shutdown cancels the waits; the service then says so and ends without an error.
        try? await cancelWhenGracefulShutdown {
            await listening?.wait()
            if let node, let api { try await Self.waitUntilReady(node: node, api: api) }
            try Task.checkCancellation()
            let status = node.map { "node \($0) is Ready" } ?? "the API server is ready"
            send(["READY=1", "STATUS=\(status)"])
            logger.debug("told systemd: ready", metadata: ["status": "\(status)"])
        }
        try? await gracefulShutdown()
        send(["STOPPING=1"])
    }

    private func send(_ lines: [String]) {
        do {
            try notifier.send(lines)
        } catch {
            logger.warning("systemd notification not sent: \(error)")
        }
    }

    /// Polls the node until its Ready condition is True (the agent registers it, then reports its status).
    static func waitUntilReady(node: String, api: any ClusterAPI) async throws {
        let nodes = api.type("", "v1", "nodes")
        while true {
            if let object = try? await api.get(nodes, namespace: nil, name: node),
                object["status"]["conditions"].arrayValue?.contains(where: {
                    $0["type"] == "Ready" && $0["status"] == "True"
                }) == true
            {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
