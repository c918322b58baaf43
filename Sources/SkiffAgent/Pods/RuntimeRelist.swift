import Logging
import SkiffCRI
import Synchronization

/// kubelet's PLEG in miniature: lists the runtime's sandboxes and containers and names the pods (`namespace/name`)
/// whose containers changed state since the last relist. The first relist names every pod the runtime holds, so
/// pods left from before a restart are adopted or cleaned up.
final class RuntimeRelist: Sendable {
    let runtime: any ContainerRuntime
    let logger: Logger
    private let previous = Mutex<[String: String]>([:])

    init(runtime: any ContainerRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }

    func changedKeys() async -> [String] {
        let sandboxes: [PodSandboxStatus]
        let containers: [ContainerSummary]
        do {
            sandboxes = try await runtime.listPodSandboxes()
            containers = try await runtime.listContainers(sandboxID: nil)
        } catch {
            logger.debug("runtime relist failed", metadata: ["error": "\(error)"])
            return []
        }
        var keyOfSandbox: [String: String] = [:]
        var fingerprints: [String: [String]] = [:]
        for sandbox in sandboxes {
            let key = "\(sandbox.metadata.namespace)/\(sandbox.metadata.name)"
            keyOfSandbox[sandbox.id] = key
            fingerprints[key, default: []].append("\(sandbox.id)=\(sandbox.state)")
        }
        for container in containers {
            guard let key = keyOfSandbox[container.sandboxID] else { continue }
            fingerprints[key, default: []].append("\(container.id)=\(container.state)")
        }
        let current = fingerprints.mapValues { $0.sorted().joined(separator: ",") }
        return previous.withLock { previous in
            defer { previous = current }
            let keys = Set(current.keys).union(previous.keys)
            return keys.filter { current[$0] != previous[$0] }.sorted()
        }
    }
}
