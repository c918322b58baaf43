extension PodSecurityCheck {
    /// Restricted: containers must run as non-root: `runAsNonRoot=true` on the pod or on every container, and
    /// `false` nowhere. A container's own setting overrides the pod's.
    static let runAsNonRoot = PodSecurityCheck(id: "runAsNonRoot", level: .restricted, since: 0) { pod, _ in
        var setters: [String] = []
        var podNonRoot = false
        switch pod.securityContext["runAsNonRoot"].boolValue {
        case false?: setters.append("pod")
        case true?: podNonRoot = true
        case nil: break
        }
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            switch container["securityContext"]["runAsNonRoot"].boolValue {
            case false?: explicit.append(container.entryName)
            case true?: break
            case nil: if !podNonRoot { implicit.append(container.entryName) }
            }
        }
        if !explicit.isEmpty { setters.append(PodSecurityText.containers(explicit)) }
        if !setters.isEmpty {
            return PodSecurityViolation(
                reason: "runAsNonRoot != true",
                detail: setters.joined(separator: " and ") + " must not set securityContext.runAsNonRoot=false")
        }
        guard !implicit.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "runAsNonRoot != true",
            detail: "pod or " + PodSecurityText.containers(implicit) + " must set securityContext.runAsNonRoot=true")
    }
}
