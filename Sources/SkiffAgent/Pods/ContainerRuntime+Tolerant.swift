import SkiffCRI

/// Calls whose `.notFound` means "already done": what kubelet's cleanup paths tolerate.
extension ContainerRuntime {
    func stopContainerIfPresent(id: String, timeout: Int64) async throws(RuntimeError) {
        do { try await stopContainer(id: id, timeout: timeout) } catch { if error.code != .notFound { throw error } }
    }

    func stopPodSandboxIfPresent(id: String) async throws(RuntimeError) {
        do { try await stopPodSandbox(id: id) } catch { if error.code != .notFound { throw error } }
    }

    /// The sandbox's status, nil when it is gone.
    func podSandboxStatusIfPresent(id: String) async throws(RuntimeError) -> PodSandboxStatus? {
        do { return try await podSandboxStatus(id: id) } catch {
            if error.code != .notFound { throw error }
            return nil
        }
    }

    /// The container's status, nil when it is gone.
    func containerStatusIfPresent(id: String) async throws(RuntimeError) -> ContainerStatus? {
        do { return try await containerStatus(id: id) } catch {
            if error.code != .notFound { throw error }
            return nil
        }
    }
}
