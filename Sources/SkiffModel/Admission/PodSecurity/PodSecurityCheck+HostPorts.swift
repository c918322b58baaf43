extension PodSecurityCheck {
    /// Baseline: no container port may set a non-zero `hostPort`.
    static let hostPorts = PodSecurityCheck(id: "hostPorts", level: .baseline, since: 0) { pod, _ in
        var badContainers: [String] = []
        var ports: [String] = []
        for container in pod.containers {
            let used = (container["ports"].arrayValue ?? []).compactMap { port -> String? in
                let hostPort = port["hostPort"]
                guard let number = hostPort.doubleValue else { return hostPort.podSecurityText }
                guard number != 0 else { return nil }
                return Int64(exactly: number).map { String($0) } ?? hostPort.serializedString()
            }
            if !used.isEmpty {
                badContainers.append(container.entryName)
                ports += used
            }
        }
        guard !badContainers.isEmpty else { return nil }
        let distinct = PodSecurityText.sortedSet(ports)
        return PodSecurityViolation(
            reason: "hostPort",
            detail: [
                PodSecurityText.containers(badContainers),
                PodSecurityText.pluralize("uses", "use", badContainers.count),
                PodSecurityText.pluralize("hostPort", "hostPorts", distinct.count), distinct.joined(separator: ", "),
            ].joined(separator: " "))
    }
}
