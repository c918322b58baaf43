import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Node IPAM (upstream's range allocator): gives every node without a `spec.podCIDR` the next free subnet of the
/// cluster CIDR and takes it back when the node is deleted. The allocator is rebuilt from the nodes on start.
public struct NodeIPAMController: Service {
    let api: any ClusterAPI
    let allocator: Allocator
    let logger: Logger

    /// The controller's allocator behind a lock (the informer callback and the workers share it).
    final class Allocator: Sendable {
        private struct State {
            var cidrs: PodCIDRAllocator
            var rebuilt = false
        }

        private let state: Mutex<State>

        init(_ cidrs: PodCIDRAllocator) { state = Mutex(State(cidrs: cidrs)) }

        /// Records every node's existing podCIDR the first time it is called.
        func rebuildOnce(from nodes: [JSON], logger: Logger) {
            state.withLock { state in
                guard !state.rebuilt else { return }
                state.rebuilt = true
                for node in nodes {
                    guard let name = node.name, let cidr = node["spec"]["podCIDR"].stringValue, !cidr.isEmpty else {
                        continue
                    }
                    if case .heldBy(let other) = state.cidrs.occupy(node: name, cidr: cidr) {
                        logger.warning(
                            "nodes share a pod CIDR",
                            metadata: ["node": "\(name)", "other": "\(other)", "cidr": "\(cidr)"])
                    }
                }
            }
        }

        func occupy(node: String, cidr: String) -> PodCIDRAllocator.Occupation {
            state.withLock { $0.cidrs.occupy(node: node, cidr: cidr) }
        }

        func allocate(node: String) -> String? { state.withLock { $0.cidrs.allocate(node: node) } }
        func release(node: String) { state.withLock { $0.cidrs.release(node: node) } }
    }

    /// nil when `/subnetPrefixLength` subnets do not fit the cluster network.
    public init?(api: any ClusterAPI, clusterNetwork: IPv4Network, subnetPrefixLength: Int = 24, logger: Logger) {
        guard let cidrs = PodCIDRAllocator(clusterNetwork: clusterNetwork, subnetPrefixLength: subnetPrefixLength)
        else { return nil }
        self.api = api
        self.allocator = Allocator(cidrs)
        self.logger = logger
    }

    public func run() async throws {
        let nodes = Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger)
        let events = EventRecorder(api: api, component: "node-ipam-controller", logger: logger)
        let watch = Controller.Watch(nodes) { event, queue in
            // The cache holds the whole first list before the first callback: rebuild from it.
            allocator.rebuildOnce(from: nodes.objects, logger: logger)
            guard let name = event.object.name else { return }
            if event.kind == .deleted {
                allocator.release(node: name)
                return
            }
            if let cidr = event.object["spec"]["podCIDR"].stringValue, !cidr.isEmpty {
                _ = allocator.occupy(node: name, cidr: cidr)
            } else {
                queue.add(name)
            }
        }
        let controller = Controller(
            Controller.Configuration(name: "node-ipam-controller", workers: 2), watches: [watch],
            companions: [{ await events.run() }], logger: logger
        ) { name, _ in
            guard let node = nodes.get(name), (node["spec"]["podCIDR"].stringValue ?? "").isEmpty else { return .done }
            try await assign(node: node, name: name, events: events)
            return .done
        }
        try await controller.run()
    }

    /// Gives the node the next free subnet; a failed write releases it again and is retried (a conflict, the node's
    /// status changing under the patch, is routine).
    func assign(node: JSON, name: String, events: EventRecorder) async throws(APIError) {
        guard let cidr = allocator.allocate(node: name) else {
            logger.warning("no pod CIDR left for node", metadata: ["node": "\(name)"])
            await events.record(
                node, type: "Normal", reason: "CIDRNotAvailable",
                message: "Node \(name) status is now: CIDRNotAvailable")
            return
        }
        do {
            _ = try await api.patch(
                api.type("", "v1", "nodes"), namespace: nil, name: name,
                patch: ["spec": ["podCIDR": .string(cidr), "podCIDRs": [.string(cidr)]]], patchType: .merge,
                subresource: nil,
                fieldManager: "node-ipam-controller")
            logger.debug("pod CIDR assigned", metadata: ["node": "\(name)", "cidr": "\(cidr)"])
        } catch {
            allocator.release(node: name)
            guard error.code != 404 else { return }
            throw error
        }
    }
}
