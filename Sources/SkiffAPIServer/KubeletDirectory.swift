import SkiffTunnel
import Synchronization

/// The kubelets the API server can reach, by node name: each agent's tunnel session, the embedded agent's through an
/// in-process tunnel. `pods/log` (and exec, attach, port-forward) look up the pod's node here. A node that reconnects
/// replaces its older registration, and the older one's removal leaves the newer in place.
public final class KubeletDirectory: Sendable {
    /// One registration, to remove exactly it.
    public struct Registration: Sendable, Equatable {
        let id: UInt64
    }

    private struct State {
        var endpoints: [String: (registration: Registration, endpoint: TunnelKubeletEndpoint)] = [:]
        var nextID: UInt64 = 1
    }

    private let state = Mutex(State())

    public init() {}

    @discardableResult
    public func register(node: String, endpoint: TunnelKubeletEndpoint) -> Registration {
        state.withLock { state in
            let registration = Registration(id: state.nextID)
            state.nextID += 1
            state.endpoints[node] = (registration, endpoint)
            return registration
        }
    }

    /// Removes `registration` if it is still the node's current one.
    public func remove(node: String, registration: Registration) {
        state.withLock { state in
            if state.endpoints[node]?.registration == registration { state.endpoints[node] = nil }
        }
    }

    public func endpoint(for node: String) -> TunnelKubeletEndpoint? { state.withLock { $0.endpoints[node]?.endpoint } }

    /// The nodes with a registered kubelet, sorted.
    public var nodes: [String] { state.withLock { $0.endpoints.keys.sorted() } }
}
