import SkiffModel

/// One probe of a container (`livenessProbe`, `readinessProbe`, `startupProbe`) with kubelet's defaults.
struct ProbeSpec: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case startup = "startupProbe", liveness = "livenessProbe", readiness = "readinessProbe"

        var label: String {
            switch self {
            case .startup: "Startup"
            case .liveness: "Liveness"
            case .readiness: "Readiness"
            }
        }
    }

    var kind: Kind
    var initialDelay: Int64
    var period: Int64
    var timeout: Int64
    var successThreshold: Int
    var failureThreshold: Int
    var handler: JSON

    init?(_ container: JSON, _ kind: Kind) {
        let probe = container[kind.rawValue]
        guard !probe.isNull else { return nil }
        self.kind = kind
        initialDelay = probe["initialDelaySeconds"].int64Value ?? 0
        period = max(1, probe["periodSeconds"].int64Value ?? 10)
        timeout = max(1, probe["timeoutSeconds"].int64Value ?? 1)
        successThreshold = max(1, probe["successThreshold"].intValue ?? 1)
        failureThreshold = max(1, probe["failureThreshold"].intValue ?? 3)
        handler = probe
    }
}

/// The pure part of a probe worker: thresholds turn single results into a container's verdict.
enum ProbeVerdict {
    /// Applies `success` to the counters; returns the verdict once a threshold is crossed (nil: unchanged).
    static func apply(_ success: Bool, to state: inout PodStates.ProbeState, spec: ProbeSpec) -> Bool? {
        if success {
            state.failures = 0
            state.successes += 1
            return state.successes >= spec.successThreshold ? true : nil
        }
        state.successes = 0
        state.failures += 1
        return state.failures >= spec.failureThreshold ? false : nil
    }
}
