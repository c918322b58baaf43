import Logging
import ServiceLifecycle
import SkiffModel
import SkiffStore

/// Empties terminating namespaces and then finalizes them (the `kubernetes` finalizer), so `kubectl delete ns`
/// removes everything inside and returns once the namespace is gone.
public struct NamespaceFinalizer: Service {
    let registry: ObjectRegistry
    let logger: Logger

    public init(registry: ObjectRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            // Contents with finalizers of their own go away later; a slow sweep picks those namespaces up again.
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(2)) } catch { return }
                    await sweep()
                }
            }
            await follow()
            group.cancelAll()
        }
    }

    /// Finalizes namespaces as their deletion is requested.
    private func follow() async {
        let namespaces = ObjectRegistry.namespaceType
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let page = try await registry.list(namespaces, namespace: nil)
                for item in page.items { await finalizeIfTerminating(try StoredBytes.decode(item)) }
                let stream = try await registry.watch(namespaces, namespace: nil, after: page.revision)
                for try await event in stream.cancelOnGracefulShutdown() where event.kind != .deleted {
                    await finalizeIfTerminating(try StoredBytes.decode(event.current))
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.warning("namespace finalizer restarting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func sweep() async {
        guard let page = try? await registry.list(ObjectRegistry.namespaceType, namespace: nil) else { return }
        for item in page.items {
            guard let namespace = try? StoredBytes.decode(item), namespace.deletionTimestamp != nil else { continue }
            await finalizeIfTerminating(namespace)
        }
    }

    func finalizeIfTerminating(_ namespace: JSON) async {
        guard namespace.deletionTimestamp != nil, let name = namespace.name,
            ObjectRegistry.namespaceFinalizers(namespace).contains("kubernetes")
        else { return }
        do {
            // Delete contents until nothing is left; objects with finalizers may take several passes.
            for type in registry.resources.types where type.namespaced && type.supports("delete") {
                let page = try await registry.list(type, namespace: name)
                for item in page.items {
                    let object = try StoredBytes.decode(item)
                    if object.deletionTimestamp != nil { continue }
                    _ = try? await registry.delete(type, namespace: name, name: object.name ?? "")
                }
            }
            for type in registry.resources.types where type.namespaced {
                if try await !registry.list(type, namespace: name, limit: 1).items.isEmpty { return }
            }
            _ = try await registry.update(namespaces, namespace: nil, name: name, subresource: "finalize") { live throws(APIError) in
                guard var live else { throw APIError.notFound(namespaces, name) }
                live["spec"]["finalizers"] = .array(ObjectRegistry.namespaceFinalizers(live).filter { $0 != "kubernetes" }.map { .string($0) })
                return live
            }
            logger.info("namespace finalized", metadata: ["namespace": "\(name)"])
        } catch {
            logger.warning("namespace finalization failed", metadata: ["namespace": "\(name)", "error": "\(error)"])
        }
    }

    private var namespaces: ResourceType { ObjectRegistry.namespaceType }
}
