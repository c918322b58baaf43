import Logging
import SkiffCRI
import SkiffModel

extension PodWorker {
    /// Pulls `image` for `pod` as kubelet does: with each credential of the pod's image pull secrets that matches the
    /// image's registry (`DockerKeyring`), most specific first, until one works; without credentials of its own when
    /// none match (containerd then uses what registries.yaml gave it for the registry, or none). A matching secret
    /// that fails is not followed by an anonymous try, as in kubelet.
    func pull(_ image: String, pod: JSON, sandboxConfig: PodSandboxConfig, logger: Logger) async throws(RuntimeError)
        -> String
    {
        let credentials = await pullCredentials(image, pod: pod, logger: logger)
        guard !credentials.isEmpty else {
            return try await runtime.pullImage(image, auth: nil, sandboxConfig: sandboxConfig)
        }
        var failures: [RuntimeError] = []
        for credential in credentials {
            do {
                return try await runtime.pullImage(image, auth: credential, sandboxConfig: sandboxConfig)
            } catch {
                logger.debug(
                    "pull with an image pull secret failed",
                    metadata: ["image": "\(image)", "credential": "\(credential)", "error": "\(error.message)"])
                failures.append(error)
            }
        }
        let message = failures.count == 1 ? failures[0].message : failures.map(\.message).joined(separator: "; ")
        throw RuntimeError(failures.last?.code ?? .failed, message)
    }

    /// The credentials of the pod's `imagePullSecrets` that match `image`. A secret that cannot be read is reported
    /// as an event and skipped, as kubelet does: the pull may still work without it.
    func pullCredentials(_ image: String, pod: JSON, logger: Logger) async -> [AuthConfig] {
        let names = (pod["spec"]["imagePullSecrets"].arrayValue ?? []).compactMap { $0["name"].stringValue }
        guard !names.isEmpty, let repository = ImageRepository(image) else { return [] }
        let namespace = pod.namespace ?? "default"
        var secrets: [JSON] = []
        var missing: [String] = []
        for name in names where !name.isEmpty {
            do {
                secrets.append(try await api.get(api.type("", "v1", "secrets"), namespace: namespace, name: name))
            } catch {
                missing.append(name)
            }
        }
        if !missing.isEmpty {
            await recorder.record(
                pod, type: "Warning", reason: "FailedToRetrieveImagePullSecret",
                message:
                    "Unable to retrieve some image pull secrets (\(missing.joined(separator: ", "))); attempting to pull the image may not succeed."
            )
        }
        let keyring = DockerKeyring(secrets: secrets)
        for problem in keyring.problems {
            logger.warning("image pull secret not used", metadata: ["image": "\(image)", "problem": "\(problem)"])
        }
        return keyring.lookup(repository)
    }
}
