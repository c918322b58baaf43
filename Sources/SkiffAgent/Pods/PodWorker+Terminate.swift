import Foundation
import Logging
import SkiffCRI
import SkiffModel

extension PodWorker {
    /// Stops every running container (with the grace period) and the pod's sandboxes.
    func killPod(_ spec: PodSpecView, _ observed: ObservedPod, gracePeriod: Int64, logger: Logger) async throws {
        try await stopContainers(spec, observed, gracePeriod: gracePeriod, preStop: false)
        for sandbox in observed.sandboxes where sandbox.state == .ready {
            try await runtime.stopPodSandboxIfPresent(id: sandbox.id)
        }
    }

    /// Runs preStop hooks (when asked) and stops running containers in parallel, each within `gracePeriod`.
    private func stopContainers(_ spec: PodSpecView, _ observed: ObservedPod, gracePeriod: Int64, preStop: Bool)
        async throws
    {
        let running = observed.containers.filter { $0.state == .running || $0.state == .created }
        await withDiscardingTaskGroup { group in
            for container in running {
                group.addTask { await self.stop(container, spec, gracePeriod: gracePeriod, preStop: preStop) }
            }
        }
    }

    private func stop(_ container: ObservedContainer, _ spec: PodSpecView, gracePeriod: Int64, preStop: Bool) async {
        var remaining = gracePeriod
        let started = configuration.now()
        let json = spec.container(named: container.name)?.json ?? .null
        if preStop, !json["lifecycle"]["preStop"].isNull {
            await runPreStop(
                json["lifecycle"]["preStop"], id: container.id, container: json, spec: spec, timeout: gracePeriod)
            remaining = max(2, gracePeriod - Int64(configuration.now().timeIntervalSince(started)))
        }
        await recorder.record(spec.json, reason: "Killing", message: "Stopping container \(container.name)")
        do {
            try await runtime.stopContainer(id: container.id, timeout: remaining)
        } catch {
            if error.code != .notFound {
                logger.warning(
                    "cannot stop container", metadata: ["container": "\(container.name)", "error": "\(error)"])
            }
        }
    }

    private func runPreStop(_ hook: JSON, id: String, container: JSON, spec: PodSpecView, timeout: Int64) async {
        let command = (hook["exec"]["command"].arrayValue ?? []).compactMap(\.stringValue)
        if !command.isEmpty {
            let result = try? await runtime.execSync(id: id, command: command, timeout: timeout)
            if result == nil || result?.exitCode != 0 {
                await recorder.record(
                    spec.json, type: "Warning", reason: "FailedPreStopHook",
                    message:
                        "PreStopHook failed: command '\(command.joined(separator: " "))' exited with \(result?.exitCode ?? -1)"
                )
            }
            return
        }
        let http = hook["httpGet"]
        guard !http.isNull else { return }
        let host = http["host"].stringValue ?? states.pod(spec.uid).podIP
        let port = Self.port(http["port"], container: container)
        _ = await configuration.prober.httpGet(
            host: host, port: port, path: http["path"].stringValue ?? "/", scheme: http["scheme"].stringValue ?? "HTTP",
            headers: [], timeout: .seconds(timeout))
    }

    /// A probe or hook port: a number, or the name of a container port.
    static func port(_ value: JSON, container: JSON) -> Int {
        if let number = value.intValue { return number }
        if let name = value.stringValue {
            if let port = (container["ports"].arrayValue ?? []).first(where: { $0["name"].stringValue == name }) {
                return port["containerPort"].intValue ?? 0
            }
            return Int(name) ?? 0
        }
        return 0
    }

    /// Graceful termination of a pod being deleted: preStop hooks, stop within the grace period left, stop and
    /// remove the sandbox, tear down volumes, then the final delete (grace 0, uid precondition) so it is gone.
    func terminate(_ pod: JSON, _ spec: PodSpecView, _ observed: ObservedPod, logger: Logger) async throws {
        var grace = pod["metadata"]["deletionGracePeriodSeconds"].int64Value ?? spec.terminationGracePeriodSeconds
        if let deadline = pod.deletionTimestamp.flatMap(KubeTimestamp.date) {
            grace = min(grace, Int64(deadline.timeIntervalSince(configuration.now()).rounded(.up)))
        }
        grace = max(grace, 2)
        try await stopContainers(spec, observed, gracePeriod: grace, preStop: true)
        for sandbox in observed.sandboxes {
            try await runtime.stopPodSandboxIfPresent(id: sandbox.id)
        }
        try await removeAll(observed)
        volumes.tearDown(uid: spec.uid)
        states.forget(spec.uid)
        do {
            try await api.delete(
                api.type("", "v1", "pods"), namespace: spec.namespace, name: spec.name,
                options: ["gracePeriodSeconds": 0, "preconditions": ["uid": .string(spec.uid)]])
        } catch {
            // 404: gone already; 409: a new pod of the same name.
            if error.code != 404 && error.code != 409 { throw error }
        }
        logger.info("pod terminated")
    }

    private func removeAll(_ observed: ObservedPod) async throws {
        for container in observed.containers { try await runtime.removeContainer(id: container.id) }
        for sandbox in observed.sandboxes { try await runtime.removePodSandbox(id: sandbox.id) }
    }

    /// Stops and removes what the runtime holds for `key` (`namespace/name`) except the pod `keepUID`: a pod object
    /// gone for good, or an earlier pod of the same name.
    /// True when it removed something.
    @discardableResult
    func cleanUp(key: String, keepUID: String?, in snapshot: RuntimeSnapshot) async throws -> Bool {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return false }
        let stale = snapshot.sandboxes.filter {
            $0.metadata.namespace == parts[0] && $0.metadata.name == parts[1] && $0.metadata.uid != keepUID
        }
        guard !stale.isEmpty else { return false }
        let ids = Set(stale.map(\.id))
        let containers = snapshot.containers.filter { ids.contains($0.sandboxID) }
        for container in containers where container.state == .running || container.state == .created {
            try await runtime.stopContainerIfPresent(id: container.id, timeout: 2)
        }
        for sandbox in stale {
            try await runtime.stopPodSandboxIfPresent(id: sandbox.id)
        }
        for container in containers { try await runtime.removeContainer(id: container.id) }
        for sandbox in stale { try await runtime.removePodSandbox(id: sandbox.id) }
        for uid in Set(stale.map(\.metadata.uid)) {
            volumes.tearDown(uid: uid)
            states.forget(uid)
        }
        logger.info("removed containers of a pod no longer bound here", metadata: ["pod": "\(key)"])
        return true
    }

    /// Removes dead containers beyond the newest two per name (the newest one, running or not, and the last dead
    /// one for `lastState` and `logs --previous`), and dead sandboxes left without containers.
    /// True when it removed something.
    func collectGarbage(_ spec: PodSpecView, _ observed: ObservedPod) async throws -> Bool {
        var removed = Set<String>()
        for name in Set(observed.containers.map(\.name)) {
            for (index, container) in observed.history(of: name).enumerated()
            where index >= 2 && container.state == .exited {
                try await runtime.removeContainer(id: container.id)
                removed.insert(container.id)
            }
        }
        let keptSandboxes = Set(observed.containers.filter { !removed.contains($0.id) }.map(\.sandboxID))
        let newest = observed.newestSandbox?.id
        for sandbox in observed.sandboxes
        where sandbox.state == .notReady && sandbox.id != newest && !keptSandboxes.contains(sandbox.id) {
            try await runtime.removePodSandbox(id: sandbox.id)
            removed.insert(sandbox.id)
        }
        return !removed.isEmpty
    }
}
