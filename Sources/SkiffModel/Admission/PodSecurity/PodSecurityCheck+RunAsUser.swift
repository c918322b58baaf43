extension PodSecurityCheck {
    /// Restricted (1.23+): neither the pod nor a container sets `runAsUser: 0`.
    static let runAsUser = PodSecurityCheck(id: "runAsUser", level: .restricted, since: 23) { pod, _ in
        let root: (JSON) -> Bool = { $0["runAsUser"].doubleValue == 0 }
        var setters: [String] = []
        if root(pod.securityContext) { setters.append("pod") }
        let names = pod.containers.filter { root($0["securityContext"]) }.map(\.entryName)
        if !names.isEmpty { setters.append(PodSecurityText.containers(names)) }
        guard !setters.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "runAsUser=0", detail: setters.joined(separator: " and ") + " must not set runAsUser=0")
    }
}
