extension PodSecurityCheck {
    /// Baseline: no `hostPath` volumes. Replaced in restricted by ``restrictedVolumes``.
    static let hostPathVolumes = PodSecurityCheck(id: "hostPathVolumes", level: .baseline, since: 0) { pod, _ in
        let names = (pod.spec["volumes"].arrayValue ?? []).filter { !$0["hostPath"].isNull }.map(\.entryName)
        guard !names.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "hostPath volumes",
            detail: PodSecurityText.pluralize("volume", "volumes", names.count) + " " + PodSecurityText.joinQuote(names)
        )
    }
}
