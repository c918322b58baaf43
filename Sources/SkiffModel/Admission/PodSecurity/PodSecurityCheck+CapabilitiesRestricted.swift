extension PodSecurityCheck {
    /// Restricted (1.22+): every container drops `ALL` and adds nothing but `NET_BIND_SERVICE`; replaces
    /// ``capabilitiesBaseline``. Windows pods are exempt from 1.25.
    static let capabilitiesRestricted = PodSecurityCheck(
        id: "capabilities_restricted", level: .restricted, since: 22, overrides: ["capabilities_baseline"]
    ) { pod, minor in
        if minor >= 25, pod.isWindows { return nil }
        var missingDropAll: [String] = []
        var addingForbidden: [String] = []
        var forbidden: [String] = []
        for container in pod.containers {
            let capabilities = container["securityContext"]["capabilities"]
            guard !capabilities.isNull else {
                missingDropAll.append(container.entryName)
                continue
            }
            if !(capabilities["drop"].arrayValue ?? []).contains(where: { $0.stringValue == "ALL" }) {
                missingDropAll.append(container.entryName)
            }
            let added = (capabilities["add"].arrayValue ?? []).compactMap(\.podSecurityText).filter {
                $0 != "NET_BIND_SERVICE"
            }
            if !added.isEmpty {
                addingForbidden.append(container.entryName)
                forbidden += added
            }
        }
        var details: [String] = []
        if !missingDropAll.isEmpty {
            details.append(
                PodSecurityText.containers(missingDropAll) + #" must set securityContext.capabilities.drop=["ALL"]"#)
        }
        if !addingForbidden.isEmpty {
            details.append(
                PodSecurityText.containers(addingForbidden) + " must not include "
                    + PodSecurityText.joinQuote(PodSecurityText.sortedSet(forbidden))
                    + " in securityContext.capabilities.add")
        }
        guard !details.isEmpty else { return nil }
        return PodSecurityViolation(reason: "unrestricted capabilities", detail: details.joined(separator: "; "))
    }
}
