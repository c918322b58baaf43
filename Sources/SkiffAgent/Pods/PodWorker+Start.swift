import Foundation
import Logging
import SkiffCRI
import SkiffModel

extension PodWorker {
    func createSandbox(_ pod: JSON, config: PodSandboxConfig) async throws -> PodSandboxStatus {
        do {
            let id = try await runtime.runPodSandbox(config)
            return try await runtime.podSandboxStatus(id: id)
        } catch {
            await recorder.record(
                pod, type: "Warning", reason: "FailedCreatePodSandBox",
                message: "Failed to create pod sandbox: \(error.message)")
            // A failed RunPodSandbox can leave a NOTREADY sandbox behind: collect it now.
            for sandbox in (try? await runtime.listPodSandboxes()) ?? []
            where sandbox.metadata.uid == config.metadata.uid && sandbox.state == .notReady
                && sandbox.metadata.attempt == config.metadata.attempt
            {
                _ = try? await runtime.stopPodSandbox(id: sandbox.id)
                _ = try? await runtime.removePodSandbox(id: sandbox.id)
            }
            throw error
        }
    }

    /// kubelet's default pull policy: Always for `:latest` or no tag, IfNotPresent otherwise.
    static func pullPolicy(_ container: JSON) -> String {
        if let policy = container["imagePullPolicy"].stringValue { return policy }
        let image = container["image"].stringValue ?? ""
        if image.contains("@") { return "IfNotPresent" }
        let last = image.split(separator: "/").last ?? ""
        guard let colon = last.lastIndex(of: ":") else { return "Always" }
        return last[last.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    /// Pulls (or finds) the image, builds the config, creates and starts the container. Returns nil when it started,
    /// or how long until it is worth trying again (zero: at the next sync).
    func startContainer(
        _ start: PodPlan.Start, pod: JSON, spec: PodSpecView, sandboxID: String, sandboxConfig: PodSandboxConfig,
        podIP: String, logger: Logger
    ) async -> Duration? {
        guard let container = spec.container(named: start.name) else { return .zero }
        let image = container.image
        func wait(_ reason: String, _ message: String) {
            states.update(spec.uid) { $0.waiting[start.name] = WaitingReason(reason: reason, message: message) }
        }
        // Image: always ask the runtime first (pullImage always goes to a registry).
        let policy = Self.pullPolicy(container.json)
        let present: ImageSummary?
        do {
            present = try await runtime.imageStatus(image)
        } catch {
            wait("ErrImagePull", error.message)
            return .seconds(2)
        }
        let backOffKey = ContainerBackOff.key(uid: spec.uid, container: "image:\(image)")
        if present == nil && policy == "Never" {
            let message = "Container image \"\(image)\" is not present with pull policy of Never"
            wait("ErrImageNeverPull", message)
            await recorder.record(pod, type: "Warning", reason: "ErrImageNeverPull", message: message)
            return .seconds(10)
        }
        if present == nil || policy == "Always" {
            let now = nowNanos
            if let remaining = states.withState({ $0.imageBackOff.remaining(backOffKey, now: now) }) {
                wait("ImagePullBackOff", "Back-off pulling image \"\(image)\"")
                await recorder.record(pod, reason: "BackOff", message: "Back-off pulling image \"\(image)\"")
                return remaining
            }
            await recorder.record(pod, reason: "Pulling", message: "Pulling image \"\(image)\"")
            do {
                _ = try await pull(image, pod: pod, sandboxConfig: sandboxConfig, logger: logger)
                await recorder.record(pod, reason: "Pulled", message: "Successfully pulled image \"\(image)\"")
            } catch {
                states.withState { $0.imageBackOff.next(backOffKey, eventTime: now) }
                let message = "Failed to pull image \"\(image)\": \(error.message)"
                wait("ErrImagePull", message)
                await recorder.record(pod, type: "Warning", reason: "Failed", message: message)
                await recorder.record(pod, type: "Warning", reason: "Failed", message: "Error: ErrImagePull")
                // Synced again soon: within the back-off the status turns to ImagePullBackOff, as kubelet's does.
                return .seconds(1)
            }
        } else {
            await recorder.record(
                pod, reason: "Pulled", message: "Container image \"\(image)\" already present on machine")
        }

        let references = await fetchReferences(pod)
        let environment = EnvironmentResolver(
            pod: pod, references: references, podIP: podIP, hostIP: configuration.nodeIP)
        let config: ContainerConfig
        do throws(ContainerConfigError) {
            let mounts: [Mount]
            do {
                mounts = try volumes.mounts(pod: pod, container: container.json, restartCount: start.restartCount)
            } catch {
                throw ContainerConfigError(message: error.message)
            }
            config = try ContainerConfigBuilder(pod: spec, environment: environment).build(
                container, restartCount: start.restartCount, image: image, mounts: mounts)
        } catch {
            wait("CreateContainerConfigError", error.message)
            await recorder.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error.message)")
            return .seconds(2)
        }
        let id: String
        do {
            id = try await runtime.createContainer(sandboxID: sandboxID, config: config, sandboxConfig: sandboxConfig)
        } catch {
            wait("CreateContainerError", error.message)
            await recorder.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error.message)")
            return .seconds(2)
        }
        await recorder.record(pod, reason: "Created", message: "Created container \(start.name)")
        do {
            try await runtime.startContainer(id: id)
        } catch {
            wait("RunContainerError", error.message)
            await recorder.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error.message)")
            return .seconds(2)
        }
        states.update(spec.uid) { state in
            state.waiting[start.name] = nil
            state.readiness[start.name] = nil
            state.startup[start.name] = container.json["startupProbe"].isNull ? nil : false
            state.probes = state.probes.filter { !$0.key.hasPrefix(start.name + "/") }
        }
        await recorder.record(pod, reason: "Started", message: "Started container \(start.name)")
        logger.debug("container started", metadata: ["container": "\(start.name)", "id": "\(id)"])
        await postStart(container.json, id: id, pod: pod, name: start.name, grace: spec.terminationGracePeriodSeconds)
        return nil
    }

    /// The postStart exec hook; a failure kills the container (restarted per policy), as kubelet.
    private func postStart(_ container: JSON, id: String, pod: JSON, name: String, grace: Int64) async {
        let command = (container["lifecycle"]["postStart"]["exec"]["command"].arrayValue ?? []).compactMap(
            \.stringValue)
        guard !command.isEmpty else { return }
        let failure: String?
        do {
            let result = try await runtime.execSync(id: id, command: command, timeout: grace)
            failure =
                result.exitCode == 0
                ? nil
                : "command '\(command.joined(separator: " "))' exited with \(result.exitCode): \(String(decoding: result.stdout + result.stderr, as: UTF8.self))"
        } catch {
            failure = error.message
        }
        guard let failure else { return }
        await recorder.record(
            pod, type: "Warning", reason: "FailedPostStartHook", message: "PostStartHook failed: \(failure)")
        _ = try? await runtime.stopContainer(id: id, timeout: grace)
    }
}
