import Foundation
import SkiffCRI
import SkiffClient
import SkiffControllers
import SkiffModel

/// Runs the startup, liveness and readiness probes of every running container, once per second of the manager's
/// clock checking which are due (initialDelaySeconds after start, then every periodSeconds). Results go to the pod's
/// state; a change queues the pod so its status (ready, started) is rewritten, and a liveness or startup failure
/// past its threshold makes the next sync kill and restart the container.
struct ProbeManager: Sendable {
    let worker: PodWorker
    let prober: any Prober
    let queue: ControllerQueue

    func run(pods: Informer, clock: ServiceClock) async {
        await pods.waitUntilSynced()
        await clock.repeating(every: .seconds(1)) { await tick(pods.objects) }
    }

    private struct Due: Sendable {
        var key: String
        var uid: String
        var container: String
        var containerID: String
        var spec: ProbeSpec
        var containerJSON: JSON
        var podIP: String
        var pod: JSON
    }

    /// Runs every probe due now, in parallel.
    func tick(_ pods: [JSON]) async {
        let now = worker.nowNanos
        var due: [Due] = []
        for pod in pods where pod.deletionTimestamp == nil {
            guard let uid = pod.uid else { continue }
            let state = worker.states.pod(uid)
            for container in pod["spec"]["containers"].arrayValue ?? [] {
                guard let name = container["name"].stringValue, let running = state.running[name] else { continue }
                let startupDone = state.startup[name] ?? true
                for kind in ProbeSpec.Kind.allCases {
                    guard let spec = ProbeSpec(container, kind) else { continue }
                    if kind == .startup && startupDone { continue }
                    if kind != .startup && !startupDone { continue }
                    let probeKey = "\(name)/\(kind.rawValue)"
                    let probe = state.probes[probeKey]
                    let nextAt =
                        probe?.containerID == running.id
                        ? probe!.nextAt : running.startedAt + spec.initialDelay * 1_000_000_000
                    guard nextAt <= now else {
                        if probe?.containerID != running.id {
                            worker.states.update(uid) {
                                $0.probes[probeKey] = PodStates.ProbeState(containerID: running.id, nextAt: nextAt)
                            }
                        }
                        continue
                    }
                    due.append(
                        Due(
                            key: Informer.key(pod), uid: uid, container: name, containerID: running.id, spec: spec,
                            containerJSON: container, podIP: state.podIP, pod: pod))
                }
            }
        }
        guard !due.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            for probe in due {
                group.addTask {
                    let result = await self.probe(probe)
                    await self.record(result, for: probe, now: now)
                }
            }
        }
    }

    private func probe(_ due: Due) async -> ProbeResult {
        let handler = due.spec.handler
        let timeout = Duration.seconds(due.spec.timeout)
        let command = (handler["exec"]["command"].arrayValue ?? []).compactMap(\.stringValue)
        if !command.isEmpty {
            do {
                let result = try await worker.runtime.execSync(
                    id: due.containerID, command: command, timeout: due.spec.timeout)
                if result.exitCode == 0 { return .success }
                let output = String(decoding: result.stdout + result.stderr, as: UTF8.self)
                return .failure(output.isEmpty ? "command \(command) exited with \(result.exitCode)" : output)
            } catch {
                return .failure(error.message)
            }
        }
        if !handler["httpGet"].isNull {
            let http = handler["httpGet"]
            let headers = (http["httpHeaders"].arrayValue ?? []).map {
                ($0["name"].stringValue ?? "", $0["value"].stringValue ?? "")
            }
            return await prober.httpGet(
                host: http["host"].stringValue ?? due.podIP,
                port: PodWorker.port(http["port"], container: due.containerJSON),
                path: http["path"].stringValue ?? "/", scheme: http["scheme"].stringValue ?? "HTTP", headers: headers,
                timeout: timeout)
        }
        if !handler["tcpSocket"].isNull {
            let tcp = handler["tcpSocket"]
            return await prober.tcpSocket(
                host: tcp["host"].stringValue ?? due.podIP,
                port: PodWorker.port(tcp["port"], container: due.containerJSON),
                timeout: timeout)
        }
        return .success
    }

    private func record(_ result: ProbeResult, for due: Due, now: Int64) async {
        let probeKey = "\(due.container)/\(due.spec.kind.rawValue)"
        let success = result == .success
        let (changed, verdict) = worker.states.update(due.uid) { state -> (Bool, Bool?) in
            var probe = state.probes[probeKey] ?? PodStates.ProbeState(containerID: due.containerID, nextAt: now)
            if probe.containerID != due.containerID {
                probe = PodStates.ProbeState(containerID: due.containerID, nextAt: now)
            }
            probe.nextAt = now + due.spec.period * 1_000_000_000
            let verdict = ProbeVerdict.apply(success, to: &probe, spec: due.spec)
            state.probes[probeKey] = probe
            guard let verdict else { return (false, nil) }
            switch due.spec.kind {
            case .readiness:
                let changed = state.readiness[due.container] != verdict
                state.readiness[due.container] = verdict
                return (changed, verdict)
            case .startup:
                if verdict {
                    let changed = state.startup[due.container] != true
                    state.startup[due.container] = true
                    return (changed, verdict)
                }
                state.unhealthy[due.container] = "Container \(due.container) failed startup probe, will be restarted"
                return (true, verdict)
            case .liveness:
                if verdict { return (false, verdict) }
                state.unhealthy[due.container] = "Container \(due.container) failed liveness probe, will be restarted"
                probe.failures = 0
                state.probes[probeKey] = probe
                return (true, verdict)
            }
        }
        if case .failure(let message) = result {
            await worker.recorder.record(
                due.pod, type: "Warning", reason: "Unhealthy",
                message: "\(due.spec.kind.label) probe failed: \(message)")
        }
        _ = verdict
        if changed { queue.add(due.key) }
    }
}
