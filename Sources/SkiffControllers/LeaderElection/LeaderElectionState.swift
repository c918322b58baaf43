import Foundation
import SkiffModel

/// The spec of a `coordination.k8s.io/v1` Lease used as a leader-election lock, as client-go's `LeaseLock` writes it.
public struct LeaseRecord: Sendable, Equatable {
    /// Empty when the last holder released the lease.
    public var holderIdentity: String
    public var leaseDurationSeconds: Int
    public var acquireTime: Date?
    public var renewTime: Date?
    public var leaseTransitions: Int

    public init(
        holderIdentity: String, leaseDurationSeconds: Int, acquireTime: Date?, renewTime: Date?, leaseTransitions: Int
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// Reads a Lease object's spec; absent fields read as client-go reads them (empty, zero).
    public init(lease: JSON) {
        let spec = lease["spec"]
        holderIdentity = spec["holderIdentity"].stringValue ?? ""
        leaseDurationSeconds = spec["leaseDurationSeconds"].intValue ?? 0
        acquireTime = spec["acquireTime"].stringValue.flatMap(KubeTimestamp.date)
        renewTime = spec["renewTime"].stringValue.flatMap(KubeTimestamp.date)
        leaseTransitions = spec["leaseTransitions"].intValue ?? 0
    }

    /// The Lease spec: times as MicroTime.
    public var spec: JSON {
        var spec: JSON = [
            "holderIdentity": .string(holderIdentity), "leaseDurationSeconds": .int(leaseDurationSeconds),
            "leaseTransitions": .int(leaseTransitions),
        ]
        if let acquireTime { spec["acquireTime"] = .string(KubeTimestamp.microString(acquireTime)) }
        if let renewTime { spec["renewTime"] = .string(KubeTimestamp.microString(renewTime)) }
        return spec
    }
}

/// Upstream leader election (client-go `leaderelection`) without I/O: fed what the lease looks like and the time,
/// it says what to write. Expiry is judged on this candidate's own monotonic clock, never on the timestamps in the
/// lease: a lease is expired when it has not changed for `leaseDurationSeconds` since this candidate first saw its
/// current content (client-go's `observedTime`), so clock skew between servers does not matter.
public struct LeaderElectionState: Sendable {
    /// Timings, client-go's defaults (kube-controller-manager's flags `--leader-elect-*`).
    public struct Configuration: Sendable, Equatable {
        /// How long others wait, after the lease last changed, before taking it over.
        public var leaseDuration: Duration
        /// How long the leader keeps trying to renew before it gives up leadership. Shorter than `leaseDuration`,
        /// so a leader that cannot renew stops before anyone else may take over.
        public var renewDeadline: Duration
        /// Time between attempts, as candidate and as leader.
        public var retryPeriod: Duration

        public init(
            leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
            retryPeriod: Duration = .seconds(2)
        ) {
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    /// What to do after reading the lease.
    public enum Action: Sendable, Equatable {
        /// No lease exists: create it with this spec.
        case create(LeaseRecord)
        /// The lease is expired or released: update it to this spec, conditional on `resourceVersion`.
        case takeOver(LeaseRecord, resourceVersion: String)
        /// This candidate holds the lease: update it to this spec, conditional on `resourceVersion`.
        case renew(LeaseRecord, resourceVersion: String)
        /// Someone else holds a live lease: try again after the retry period.
        case wait(holder: String)
        /// This candidate led and can no longer: stop the leader's work now.
        case lostLeadership
    }

    private enum Phase: Equatable {
        case candidate
        /// `renewedAt`: the last successful write of the lease.
        case leading(renewedAt: Duration)
    }

    public let identity: String
    public let configuration: Configuration
    private var phase = Phase.candidate
    /// The lease content last read or written, with its resourceVersion.
    public private(set) var observed: LeaseRecord?
    public private(set) var observedResourceVersion: String?
    /// When `observed` last changed, on this candidate's clock.
    public private(set) var observedTime: Duration?

    public init(identity: String, configuration: Configuration = Configuration()) {
        self.identity = identity
        self.configuration = configuration
    }

    /// True from a successful acquisition until leadership is lost or released.
    public var isLeader: Bool { phase != .candidate }

    /// The lease as read at `now` (nil when none exists); `wallTime` stamps what is written.
    public mutating func observe(_ lease: LeaseRecord?, resourceVersion: String?, now: Duration, wallTime: Date)
        -> Action
    {
        if deadlinePassed(now) { return loseLeadership() }
        guard let lease else {
            return .create(
                LeaseRecord(
                    holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: wallTime,
                    renewTime: wallTime, leaseTransitions: 0))
        }
        if lease != observed || observedTime == nil {
            observed = lease
            observedTime = now
        }
        observedResourceVersion = resourceVersion
        let version = resourceVersion ?? ""
        if lease.holderIdentity == identity {
            return .renew(
                LeaseRecord(
                    holderIdentity: identity, leaseDurationSeconds: durationSeconds,
                    acquireTime: lease.acquireTime ?? wallTime, renewTime: wallTime,
                    leaseTransitions: lease.leaseTransitions),
                resourceVersion: version)
        }
        // client-go keeps polling until the renew deadline even when another holder shows up; that holder could
        // only have taken over a lease it saw expire, so this leader's work must stop now, not later.
        if isLeader { return loseLeadership() }
        if !lease.holderIdentity.isEmpty, !expired(lease, now: now) { return .wait(holder: lease.holderIdentity) }
        return .takeOver(
            LeaseRecord(
                holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: wallTime,
                renewTime: wallTime, leaseTransitions: lease.leaseTransitions + 1),
            resourceVersion: version)
    }

    /// A create, take-over or renewal succeeded at `now`; `stored` is the lease as the server kept it. True when
    /// this starts a term of leadership.
    @discardableResult
    public mutating func written(_ stored: LeaseRecord, resourceVersion: String?, now: Duration) -> Bool {
        observed = stored
        observedResourceVersion = resourceVersion
        observedTime = now
        let started = !isLeader
        phase = .leading(renewedAt: now)
        return started
    }

    /// A read or write failed at `now` (the API unreachable, a conflict with another writer). True when this
    /// ends leadership: the renew deadline has passed since the last successful renewal.
    public mutating func failed(now: Duration) -> Bool {
        guard deadlinePassed(now) else { return false }
        _ = loseLeadership()
        return true
    }

    /// The leader steps down (graceful shutdown, its work ended): the spec that hands the lease over at once, as
    /// client-go's `ReleaseOnCancel` writes it, with the resourceVersion to write it at; nil when not leading.
    public mutating func release(wallTime: Date) -> (LeaseRecord, resourceVersion: String)? {
        guard isLeader else { return nil }
        phase = .candidate
        guard let observed, let version = observedResourceVersion else { return nil }
        return (
            LeaseRecord(
                holderIdentity: "", leaseDurationSeconds: 1, acquireTime: wallTime, renewTime: wallTime,
                leaseTransitions: observed.leaseTransitions),
            version
        )
    }

    /// For a candidate that saw another holder's lease: how long until it expires on this candidate's clock (zero
    /// once it has); nil when leading or when no one holds it.
    public func untilExpiry(now: Duration) -> Duration? {
        guard !isLeader, let observed, !observed.holderIdentity.isEmpty, let observedTime else { return nil }
        return max(.zero, observedTime + .seconds(observed.leaseDurationSeconds) - now)
    }

    /// Expired: unchanged for its own `leaseDurationSeconds` since this candidate saw it change (client-go's
    /// `isLeaseValid`, negated).
    public func expired(_ lease: LeaseRecord, now: Duration) -> Bool {
        guard let observedTime else { return false }
        return observedTime + .seconds(lease.leaseDurationSeconds) <= now
    }

    private var durationSeconds: Int {
        let (seconds, attoseconds) = configuration.leaseDuration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    private func deadlinePassed(_ now: Duration) -> Bool {
        guard case .leading(let renewedAt) = phase else { return false }
        return now >= renewedAt + configuration.renewDeadline
    }

    private mutating func loseLeadership() -> Action {
        phase = .candidate
        return .lostLeadership
    }
}
