import Logging
import ServiceLifecycle

/// Keeps the `kubernetes` Service and its Endpoints/EndpointSlice in `default` as the API server publishes them
/// (upstream's endpoint reconciler, every 10 s): a deleted one comes back, a changed address is corrected. A pass
/// that finds everything current writes nothing.
public struct KubernetesServiceReconciler: Service {
    let registry: ObjectRegistry
    let address: String
    let port: Int
    let interval: Duration
    let logger: Logger

    public init(registry: ObjectRegistry, address: String, port: Int, interval: Duration = .seconds(10), logger: Logger)
    {
        self.registry = registry
        self.address = address
        self.port = port
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await registry.seedKubernetesService(address: address, port: port)
            } catch {
                logger.warning("kubernetes service not reconciled", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
