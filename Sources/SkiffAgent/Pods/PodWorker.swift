import Foundation
import Logging
import SkiffCRI
import SkiffClient
import SkiffControllers
import SkiffModel

/// Carries out one pod's sync: observes the runtime, asks `PodActions` what to do, does it, and writes the status
/// `PodStatusBuilder` computes when it changed.
struct PodWorker: Sendable {
    let api: any ClusterAPI
    let runtime: any ContainerRuntime
    let configuration: PodManager.Configuration
    let pods: Informer
    let recorder: EventRecorder
    let logger: Logger
    let states = PodStates()
    let statusCache = RuntimeStatusCache()
    let volumes: VolumeManager
    let sandboxes: SandboxConfigBuilder

    init(
        api: any ClusterAPI, runtime: any ContainerRuntime, configuration: PodManager.Configuration, pods: Informer,
        recorder: EventRecorder, logger: Logger
    ) {
        self.api = api
        self.runtime = runtime
        self.configuration = configuration
        self.pods = pods
        self.recorder = recorder
        self.logger = logger
        volumes = VolumeManager(
            podsDirectory: configuration.podsDirectory, requestToken: configuration.requestToken,
            now: configuration.now,
            logger: logger)
        let resolv = (try? String(contentsOfFile: configuration.resolvConf, encoding: .utf8)) ?? ""
        sandboxes = SandboxConfigBuilder(
            nodeName: configuration.nodeName, podLogDirectory: configuration.podLogDirectory,
            clusterDNS: configuration.clusterDNS, clusterDomain: configuration.clusterDomain,
            hostDNS: SandboxConfigBuilder.parseResolvConf(resolv))
    }

    /// Wall time in nanoseconds since the epoch.
    var nowNanos: Int64 { Int64(configuration.now().timeIntervalSince1970 * 1_000_000_000) }

    func sync(_ key: String, queue: ControllerQueue) async throws -> Controller.Result {
        guard let pod = pods.get(key), let uid = pod.uid else {
            try await cleanUp(key: key, keepUID: nil, in: try await snapshot())
            return .done
        }
        let spec = PodSpecView(pod)
        var log = logger
        log[metadataKey: "pod"] = "\(key)"
        log[metadataKey: "uid"] = "\(uid)"
        // Sandboxes of an earlier pod of the same name go first.
        var snapshot = try await snapshot()
        if try await cleanUp(key: key, keepUID: uid, in: snapshot) { snapshot = try await self.snapshot() }
        var observed = try await observe(spec, in: snapshot)

        if pod.deletionTimestamp != nil {
            try await terminate(pod, spec, observed, logger: log)
            return .done
        }
        let phase = pod["status"]["phase"].stringValue
        if phase == "Succeeded" || phase == "Failed" {
            try await killPod(spec, observed, gracePeriod: spec.terminationGracePeriodSeconds, logger: log)
            return .done
        }

        var requeue: Duration?
        do {
            try await volumes.setUp(pod: pod, payload: volumePayload(pod, podIP: observed.podIP))
        } catch {
            await recorder.record(
                pod, type: "Warning", reason: "FailedMount", message: "MountVolume.SetUp failed: \(error.message)")
            try await writeStatus(spec, observed)
            return Controller.Result(requeueAfter: .seconds(2))
        }

        let unhealthy = states.pod(uid).unhealthy
        let now = nowNanos
        let plan = states.withState { state in
            PodActions.compute(
                pod: spec, observed: observed, backOff: &state.crashBackOff, unhealthy: unhealthy, now: now)
        }
        requeue = plan.requeueAfter
        if plan.podFailed { states.update(uid) { $0.podFailed = true } }
        states.update(uid) { pod in
            for name in unhealthy.keys { pod.unhealthy[name] = nil }
            for (name, reason) in plan.waiting { pod.waiting[name] = reason }
        }
        for (name, _) in plan.waiting {
            await recorder.record(
                pod, type: "Warning", reason: "BackOff",
                message: "Back-off restarting failed container \(name) in pod \(spec.name)_\(spec.namespace)(\(uid))")
        }
        if plan.killPod {
            try await killPod(spec, observed, gracePeriod: spec.terminationGracePeriodSeconds, logger: log)
        }
        for kill in plan.kill {
            await recorder.record(pod, reason: "Killing", message: kill.message)
            try await runtime.stopContainerIfPresent(id: kill.id, timeout: spec.terminationGracePeriodSeconds)
        }
        if !plan.start.isEmpty {
            var sandbox = observed.newestSandbox.flatMap { $0.state == .ready ? $0 : nil }
            var sandboxConfig = sandboxes.build(spec, attempt: sandbox?.metadata.attempt ?? 0)
            if let attempt = plan.createSandbox {
                sandboxConfig = sandboxes.build(spec, attempt: attempt)
                sandbox = try await createSandbox(pod, config: sandboxConfig)
                observed = try await observe(spec)
            }
            if let sandbox {
                let podIP = spec.hostNetwork ? configuration.nodeIP : observed.podIP
                if !spec.hostNetwork {
                    volumes.writeHostsFile(pod: pod, podIP: podIP, hostname: sandboxConfig.hostname)
                }
                for start in plan.start {
                    let started = await startContainer(
                        start, pod: pod, spec: spec, sandboxID: sandbox.id, sandboxConfig: sandboxConfig, podIP: podIP,
                        logger: log)
                    if let wait = started, start.isInit || wait > .zero {
                        requeue = min(requeue ?? wait, wait)
                    }
                    if start.isInit && started != nil { break }
                }
            }
        }
        let acted = plan.killPod || !plan.kill.isEmpty || !plan.start.isEmpty
        if acted { observed = try await observe(spec) }
        if try await collectGarbage(spec, observed) { observed = try await observe(spec) }
        try await writeStatus(spec, observed)
        if let refresh = volumes.nextTokenRefresh(uid: uid) {
            let wait = Duration.seconds(max(1, refresh.timeIntervalSince(configuration.now())))
            requeue = min(requeue ?? wait, wait)
        }
        return Controller.Result(requeueAfter: requeue)
    }

    /// Everything the runtime holds, in two list calls; a sync works from one snapshot and takes a new one only
    /// after it changed something.
    struct RuntimeSnapshot: Sendable {
        var sandboxes: [PodSandboxStatus]
        var containers: [ContainerSummary]
    }

    func snapshot() async throws(RuntimeError) -> RuntimeSnapshot {
        let sandboxes = try await runtime.listPodSandboxes()
        let containers = try await runtime.listContainers(sandboxID: nil)
        statusCache.retain(containers: Set(containers.map(\.id)), sandboxes: Set(sandboxes.map(\.id)))
        return RuntimeSnapshot(sandboxes: sandboxes, containers: containers)
    }

    /// Observes the runtime's sandboxes and containers of `pod` (by uid) from a fresh snapshot.
    func observe(_ pod: PodSpecView) async throws(RuntimeError) -> ObservedPod {
        try await observe(pod, in: try await snapshot())
    }

    /// Observes `pod` in `snapshot`; status calls only for what changed since the last look (`RuntimeStatusCache`).
    func observe(_ pod: PodSpecView, in snapshot: RuntimeSnapshot) async throws(RuntimeError) -> ObservedPod {
        let sandboxes = snapshot.sandboxes.filter { $0.metadata.uid == pod.uid }
        var observed = ObservedPod(sandboxes: sandboxes)
        if let newest = observed.newestSandbox, newest.state == .ready {
            if let ip = statusCache.sandboxIP(newest.id) {
                observed.podIP = ip
            } else if let status = try await runtime.podSandboxStatusIfPresent(id: newest.id) {
                observed.podIP = status.ip
                statusCache.storeSandboxIP(status.ip, id: newest.id)
            }
        }
        let ids = Set(sandboxes.map(\.id))
        for summary in snapshot.containers where ids.contains(summary.sandboxID) {
            let status: ContainerStatus
            if let cached = statusCache.container(summary) {
                status = cached
            } else {
                guard let fresh = try await runtime.containerStatusIfPresent(id: summary.id) else { continue }
                statusCache.store(fresh)
                status = fresh
            }
            let restartCount =
                status.annotations["io.kubernetes.container.restartCount"].flatMap(Int.init)
                ?? Int(status.metadata.attempt)
            var message = status.message
            if status.state == .exited, message.isEmpty,
                let written = volumes.terminationMessage(
                    uid: pod.uid, container: status.metadata.name, restartCount: restartCount)
            {
                message = written
            }
            observed.containers.append(
                ObservedContainer(
                    id: status.id, sandboxID: summary.sandboxID, name: status.metadata.name, restartCount: restartCount,
                    state: status.state, createdAt: status.createdAt, startedAt: status.startedAt,
                    finishedAt: status.finishedAt, exitCode: status.exitCode, reason: status.reason, message: message,
                    image: status.image, imageID: await imageID(of: status)))
        }
        let running = Dictionary(
            observed.containers.filter { $0.state == .running }.map {
                ($0.name, PodStates.RunningContainer(id: $0.id, startedAt: $0.startedAt))
            }, uniquingKeysWith: { first, _ in first })
        let podIP = pod.hostNetwork ? configuration.nodeIP : observed.podIP
        states.update(pod.uid) { state in
            state.running = running
            state.podIP = podIP
        }
        return observed
    }

    /// `docker.io/library/busybox@sha256:…` when the image has a repo digest, else its id.
    private func imageID(of status: ContainerStatus) async -> String {
        if !status.imageRef.isEmpty, let known = statusCache.imageID(status.imageRef) { return known }
        let image = try? await runtime.imageStatus(status.image)
        let id = image?.repoDigests.first ?? (status.imageRef.isEmpty ? image?.id ?? "" : status.imageRef)
        if !status.imageRef.isEmpty, image != nil { statusCache.storeImageID(id, imageRef: status.imageRef) }
        return id
    }

    func writeStatus(_ spec: PodSpecView, _ observed: ObservedPod) async throws {
        let state = states.pod(spec.uid)
        // A container running again waits no longer.
        var waiting = state.waiting
        for container in observed.containers where container.state == .running { waiting[container.name] = nil }
        states.update(spec.uid) { $0.waiting = waiting }
        let status = PodStatusBuilder(
            pod: spec, observed: observed, waiting: waiting, readiness: state.readiness, startup: state.startup,
            nodeIP: configuration.nodeIP, now: KubeTimestamp.string(configuration.now()), podFailed: state.podFailed
        ).build()
        guard status != spec.json["status"], status != state.lastStatus else { return }
        do {
            _ = try await api.patch(
                api.type("", "v1", "pods"), namespace: spec.namespace, name: spec.name,
                patch: ["status": status], patchType: .merge, subresource: "status",
                fieldManager: "kubelet")
        } catch {
            // Offline: nothing to retry now. When the server is back every pod is synced again (the informers
            // relist) and only its status of that moment is written, not the states it went through meanwhile.
            guard CachedClusterAPI.isOffline(error) else { throw error }
            logger.debug("pod status not written: offline", metadata: ["pod": "\(spec.namespace)/\(spec.name)"])
            return
        }
        states.update(spec.uid) { $0.lastStatus = status }
    }

    func volumePayload(_ pod: JSON, podIP: String) async -> VolumePayload {
        let references = await fetchReferences(pod)
        return VolumePayload(
            pod: pod, references: references,
            environment: EnvironmentResolver(
                pod: pod, references: references, podIP: podIP, hostIP: configuration.nodeIP))
    }

    /// The configMaps and secrets the pod names; one that cannot be read is left out.
    func fetchReferences(_ pod: JSON) async -> PodReferences {
        let names = PodReferenceNames(pod: pod)
        let namespace = pod.namespace ?? "default"
        var references = PodReferences()
        for name in names.configMaps {
            references.configMaps[name] = try? await api.get(
                api.type("", "v1", "configmaps"), namespace: namespace, name: name)
        }
        for name in names.secrets {
            references.secrets[name] = try? await api.get(
                api.type("", "v1", "secrets"), namespace: namespace, name: name)
        }
        return references
    }
}
