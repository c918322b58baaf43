import Foundation
import SkiffCRI
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffAgent

@Suite("PodManager against a fake runtime and API", .timeLimit(.minutes(1)))
struct PodManagerTests {
    @Test("a bound pod runs: sandbox, container started, status Running with pod IP, events as kubelet")
    func runsPod() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put("pods", PodFixture.pod())
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            let status = h.pod()?["status"] ?? .null
            #expect(status["podIP"].stringValue?.hasPrefix("10.42.0.") == true)
            #expect(status["hostIP"] == "192.168.1.2")
            #expect(status["containerStatuses"][0]["ready"] == true)
            #expect(status["containerStatuses"][0]["imageID"] == "docker.io/library/busybox@sha256:abc")
            #expect(await h.advance { !h.events(reason: "Started").isEmpty })
            // `kubectl get events -o wide` shows "kubelet, node-a" as the source.
            #expect(h.events(reason: "Started").first?["source"] == ["component": "kubelet", "host": "node-a"])
            #expect(h.events(reason: "Started").first?["reportingInstance"] == "node-a")
            #expect(h.eventMessages().contains("Container image \"busybox:1.36\" already present on machine"))
            #expect(h.eventMessages().contains("Created container app"))
            #expect(!h.runtime.calls.contains { $0.hasPrefix("pullImage") })
        }
    }

    @Test("a steady pod's resync lists the runtime and asks no per-container or per-sandbox status again")
    func steadyResyncMakesNoStatusCalls() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put("configmaps", ["metadata": ["name": "cfg", "namespace": "default"], "data": ["color": "blue"]])
        h.api.put(
            "pods",
            PodFixture.pod { pod in
                pod["spec"]["volumes"] = [["name": "cfg", "configMap": ["name": "cfg"]]]
                pod["spec"]["containers"][0]["volumeMounts"] = [["name": "cfg", "mountPath": "/cfg"]]
            })
        let file = h.directory.path + "/pods/uid-web/volumes/kubernetes.io~configmap/cfg/color"
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["ready"] == true })
            let before = h.runtime.reads
            let imageCalls = h.runtime.calls.filter { $0.hasPrefix("imageStatus") }.count
            // The periodic resync refreshes the volume: the file changing proves that a full sync ran.
            h.api.put("configmaps", ["metadata": ["name": "cfg", "namespace": "default"], "data": ["color": "green"]])
            #expect(await h.advance { (try? String(contentsOfFile: file, encoding: .utf8)) == "green" })
            let after = h.runtime.reads
            #expect(after["listContainers", default: 0] > before["listContainers", default: 0])
            #expect(after["containerStatus", default: 0] == before["containerStatus", default: 0])
            #expect(after["podSandboxStatus", default: 0] == before["podSandboxStatus", default: 0])
            #expect(h.runtime.calls.filter { $0.hasPrefix("imageStatus") }.count == imageCalls)
            #expect(h.pod()?["status"]["podIP"].stringValue?.hasPrefix("10.42.0.") == true)
        }
    }

    @Test("a crashing container is restarted with a growing restartCount and shows CrashLoopBackOff")
    func crashLoop() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put("pods", PodFixture.pod())
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            h.runtime.exit(podUID: "uid-web", container: "app", exitCode: 1)
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["restartCount"] == 1 })
            h.runtime.exit(podUID: "uid-web", container: "app", exitCode: 1)
            #expect(await h.advance { h.containerState()["waiting"]["reason"] == "CrashLoopBackOff" })
            #expect(
                h.containerState()["waiting"]["message"].stringValue?.hasPrefix(
                    "back-off 10s restarting failed container=app pod=web_default") == true)
            #expect(h.pod()?["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1)
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["restartCount"] == 2 })
            #expect(h.containerState()["running"].isNull == false)
        }
    }

    @Test("OOMKilled under restartPolicy Never: terminated reason OOMKilled and phase Failed")
    func oomKilled() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put("pods", PodFixture.pod(restartPolicy: "Never"))
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            h.runtime.exit(podUID: "uid-web", container: "app", exitCode: 137, reason: "OOMKilled")
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Failed" })
            #expect(h.containerState()["terminated"]["reason"] == "OOMKilled")
        }
    }

    @Test("a failing pull is ErrImagePull, then ImagePullBackOff naming the image")
    func imagePull() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.runtime.state.withLock { $0.pullFailures["nope:1"] = "not found" }
        h.api.put("pods", PodFixture.pod(containers: [PodFixture.container("app", image: "nope:1")]))
        try await h.run {
            // ErrImagePull is a moment's status (the back-off follows at once): its lasting trace is the Warning event.
            #expect(await h.advance { h.eventMessages().contains("Error: ErrImagePull") })
            #expect(await h.advance { h.containerState()["waiting"]["reason"] == "ImagePullBackOff" })
            #expect(h.containerState()["waiting"]["message"] == "Back-off pulling image \"nope:1\"")
            #expect(h.eventMessages().contains("Failed to pull image \"nope:1\": not found"))
            #expect(h.runtime.calls.first { $0.hasPrefix("imageStatus nope:1") } != nil)
        }
    }

    @Test("a missing configMap is CreateContainerConfigError with a Warning event; once it exists the pod runs")
    func missingConfigMap() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put(
            "pods",
            PodFixture.pod(containers: [
                [
                    "name": "app", "image": "busybox:1.36",
                    "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "x", "key": "k"]]]],
                ]
            ]))
        try await h.run {
            #expect(await h.advance { h.containerState()["waiting"]["reason"] == "CreateContainerConfigError" })
            #expect(h.containerState()["waiting"]["message"] == "configmap \"x\" not found")
            #expect(await h.advance { h.eventMessages().contains("Error: configmap \"x\" not found") })
            h.api.put("configmaps", ["metadata": ["name": "x", "namespace": "default"], "data": ["k": "v"]])
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            let env = h.runtime.state.withLock { $0.containers.values.first?.config.env ?? [] }
            #expect(env.map(\.name) == ["X"] && env.map(\.value) == ["v"])
        }
    }

    @Test("a liveness failure kills and restarts the container, with an Unhealthy event")
    func livenessRestart() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put(
            "pods",
            PodFixture.pod(containers: [
                [
                    "name": "app", "image": "busybox:1.36",
                    "livenessProbe": ["exec": ["command": ["check"]], "periodSeconds": 1, "failureThreshold": 2],
                ]
            ]))
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            h.runtime.state.withLock { $0.execResults["app"] = ExecResult(stdout: Array("bad".utf8), exitCode: 1) }
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["restartCount"] == 1 })
            #expect(h.eventMessages().contains("Container app failed liveness probe, will be restarted"))
            #expect(h.eventMessages().contains("Liveness probe failed: bad"))
        }
    }

    @Test("readiness gates Ready; a startup probe holds readiness probes back until it passes")
    func readinessAndStartup() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.prober.answers.withLock { $0[8080] = .failure("HTTP probe failed with statuscode: 503") }
        h.api.put(
            "pods",
            PodFixture.pod(containers: [
                [
                    "name": "app", "image": "busybox:1.36",
                    "startupProbe": ["tcpSocket": ["port": 9090], "periodSeconds": 1],
                    "readinessProbe": ["httpGet": ["port": 8080, "path": "/ready"], "periodSeconds": 1],
                ]
            ]))
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["started"] == true })
            // Started, but the readiness probe fails: not ready.
            #expect(
                await h.advance {
                    h.eventMessages().contains("Readiness probe failed: HTTP probe failed with statuscode: 503")
                })
            // Three more probe periods pass on the manual clock, each failing: still not ready.
            _ = await h.advance(until: { false }, limit: 3)
            #expect(h.pod()?["status"]["containerStatuses"][0]["ready"] == false)
            h.prober.answers.withLock { $0[8080] = .success }
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["ready"] == true })
            let ready = (h.pod()?["status"]["conditions"].arrayValue ?? []).first { $0["type"] == "Ready" }
            #expect(ready?["status"] == "True")
        }
    }

    @Test(
        "deletion: preStop before stop, stop with the grace period, sandbox removed, final delete with grace 0 and uid")
    func gracefulTermination() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put(
            "pods",
            PodFixture.pod(containers: [
                [
                    "name": "app", "image": "busybox:1.36",
                    "lifecycle": ["preStop": ["exec": ["command": ["sleep", "1"]]]],
                ]
            ]) { $0["spec"]["terminationGracePeriodSeconds"] = 20 })
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            var deleting = h.pod()!
            deleting["metadata"]["deletionTimestamp"] = .string(
                KubeTimestamp.string(PodFixture.epoch.addingTimeInterval(3600)))
            deleting["metadata"]["deletionGracePeriodSeconds"] = 20
            h.api.put("pods", deleting)
            #expect(await h.advance { h.pod() == nil })
            let calls = h.runtime.calls
            let preStop = calls.firstIndex(of: "execSync app sleep 1")
            let stop = calls.firstIndex { $0.hasPrefix("stopContainer app") }
            #expect(preStop != nil && stop != nil && preStop! < stop!)
            #expect(calls[stop!] == "stopContainer app 20")
            #expect(h.runtime.state.withLock { $0.sandboxes.isEmpty && $0.containers.isEmpty })
            let delete = h.api.state.withLock { $0.deletes.first }
            #expect(delete?.options["gracePeriodSeconds"] == 0)
            #expect(delete?.options["preconditions"]["uid"] == "uid-web")
            #expect(!FileManager.default.fileExists(atPath: h.directory.path + "/pods/uid-web"))
        }
    }

    @Test("a restarted manager adopts running containers without restarting them")
    func adoption() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.api.put("pods", PodFixture.pod())
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            h.runtime.exit(podUID: "uid-web", container: "app", exitCode: 1)
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["restartCount"] == 1 })
        }
        let createsBefore = h.runtime.calls.filter { $0.hasPrefix("createContainer") || $0.hasPrefix("runPodSandbox") }
            .count
        // A new manager (agent restart) over the same runtime: a positive event (a status write) proves it synced.
        var stale = h.pod()!
        stale["status"]["containerStatuses"] = .emptyArray
        h.api.put("pods", stale)
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["containerStatuses"][0]["restartCount"] == 1 })
            #expect(h.containerState()["running"].isNull == false)
        }
        let createsAfter = h.runtime.calls.filter { $0.hasPrefix("createContainer") || $0.hasPrefix("runPodSandbox") }
            .count
        #expect(createsAfter == createsBefore)
    }

    @Test("sandboxes of pods that no longer exist are stopped and removed at start")
    func orphans() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        let orphan = try await h.runtime.runPodSandbox(
            PodSandboxConfig(
                metadata: PodSandboxMetadata(name: "gone", uid: "uid-gone", namespace: "default"),
                labels: ["io.kubernetes.pod.uid": "uid-gone"]))
        _ = try await h.runtime.createContainer(
            sandboxID: orphan,
            config: ContainerConfig(
                metadata: ContainerMetadata(name: "app"), image: "busybox:1.36",
                labels: ["io.kubernetes.pod.uid": "uid-gone"]),
            sandboxConfig: PodSandboxConfig(
                metadata: PodSandboxMetadata(name: "gone", uid: "uid-gone", namespace: "default")))
        h.api.put("pods", PodFixture.pod())
        try await h.run {
            #expect(await h.advance { h.runtime.state.withLock { $0.sandboxes[orphan] == nil } })
            #expect(h.runtime.calls.contains("stopPodSandbox gone"))
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
        }
    }
}
