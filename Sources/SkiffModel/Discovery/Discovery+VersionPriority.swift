extension Discovery {
    /// Orders API versions the way Kubernetes prefers them: GA before beta before alpha, higher numbers first
    /// within each, then anything that is not Kubernetes-shaped (`v1foo`, `stable`) alphabetically.
    ///
    /// The first element is the group's preferred version.
    public static func sortedByPreference(_ versions: [String]) -> [String] {
        versions.sorted { lhs, rhs in
            switch (KubeVersion(lhs), KubeVersion(rhs)) {
            case (let l?, let r?): return l.isPreferred(over: r)
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return lhs < rhs
            }
        }
    }
}

/// A version string of the form `v<major>`, `v<major>beta<minor>` or `v<major>alpha<minor>`.
private struct KubeVersion {
    enum Stability: Int {
        case alpha = 0
        case beta = 1
        case ga = 2
    }

    var major: Int
    var stability: Stability
    var minor: Int

    init?(_ text: String) {
        guard text.hasPrefix("v") else { return nil }
        let rest = text.dropFirst()
        let majorDigits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !majorDigits.isEmpty, !majorDigits.hasPrefix("0"), let major = Int(majorDigits) else { return nil }
        self.major = major
        let tail = rest.dropFirst(majorDigits.count)
        if tail.isEmpty {
            stability = .ga
            minor = 0
            return
        }
        if tail.hasPrefix("alpha") {
            stability = .alpha
        } else if tail.hasPrefix("beta") {
            stability = .beta
        } else {
            return nil
        }
        let minorDigits = tail.dropFirst(stability == .alpha ? 5 : 4)
        guard !minorDigits.isEmpty, minorDigits.allSatisfy({ $0.isASCII && $0.isNumber }),
            !minorDigits.hasPrefix("0"), let minor = Int(minorDigits)
        else { return nil }
        self.minor = minor
    }

    func isPreferred(over other: KubeVersion) -> Bool {
        if stability != other.stability { return stability.rawValue > other.stability.rawValue }
        if major != other.major { return major > other.major }
        return minor > other.minor
    }
}
