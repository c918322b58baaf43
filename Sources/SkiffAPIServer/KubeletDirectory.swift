import SkiffModel
import Synchronization

/// The kubelets the API server can reach, by node name: the embedded agent's endpoint in process today, the agents'
/// tunnels next. `pods/log` (and exec, attach, port-forward) look up the pod's node here.
public final class KubeletDirectory: Sendable {
    private let endpoints = Mutex<[String: any KubeletEndpoint]>([:])

    public init() {}

    public func register(node: String, endpoint: any KubeletEndpoint) {
        endpoints.withLock { $0[node] = endpoint }
    }

    public func remove(node: String) {
        _ = endpoints.withLock { $0.removeValue(forKey: node) }
    }

    public func endpoint(for node: String) -> (any KubeletEndpoint)? { endpoints.withLock { $0[node] } }
}
