import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Upstream-style leader election on a `coordination.k8s.io/v1` Lease: candidates read the lease every retry period;
/// the one that creates it, or takes it over once it has stayed unchanged for its duration, leads and renews it;
/// writes are conditional on the resourceVersion read, so of two candidates only one wins (the other gets 409 and
/// reads again). The decisions are `LeaderElectionState`'s; this type does the I/O and runs the leader's work.
///
/// Unlike kube-controller-manager, which exits when it loses its lease, a skiff server keeps serving the API: on
/// loss the leader's work is cancelled, awaited, and the elector becomes a candidate again, ready for a new term.
public struct LeaderElector: Sendable {
    /// Where the lock lives.
    public struct LeaseName: Sendable, Equatable {
        public var namespace: String
        public var name: String

        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }

    let api: any ClusterAPI
    let lease: LeaseName
    let identity: String
    let configuration: LeaderElectionState.Configuration
    let clock: ServiceClock
    let wallClock: @Sendable () -> Date
    /// Candidates wait `retryPeriod × (1 + random(0…jitter))` between attempts, so they do not retry in step
    /// (client-go's `JitterFactor` 1.2).
    let jitter: Double
    let logger: Logger

    /// - Parameters:
    ///   - identity: unique per process (client-go uses `hostname_uuid`): a restarted server with the same
    ///     identity would renew its predecessor's lease as its own.
    ///   - clock: measures lease expiry and paces retries; `wallClock` only stamps `acquireTime`/`renewTime`.
    public init(
        api: any ClusterAPI, lease: LeaseName, identity: String,
        configuration: LeaderElectionState.Configuration = .init(), clock: ServiceClock = .continuous,
        wallClock: @escaping @Sendable () -> Date = { Date() }, jitter: Double = 1.2, logger: Logger
    ) {
        self.api = api
        self.lease = lease
        self.identity = identity
        self.configuration = configuration
        self.clock = clock
        self.wallClock = wallClock
        self.jitter = jitter
        var logger = logger
        logger[metadataKey: "lease"] = "\(lease.namespace)/\(lease.name)"
        logger[metadataKey: "identity"] = "\(identity)"
        self.logger = logger
    }

    var leases: ResourceType { api.type("coordination.k8s.io", "v1", "leases") }

    /// Competes for the lease until the task is cancelled or shuts down gracefully, running `onStartedLeading`
    /// for each term won. The work is cancelled when the term is lost; on graceful shutdown it is expected to end
    /// by itself (it sees the shutdown too), while the lease is still renewed. A leader that stops releases the
    /// lease so another candidate takes over at once.
    public func run(onStartedLeading: @escaping @Sendable () async throws -> Void) async {
        var state = LeaderElectionState(identity: identity, configuration: configuration)
        var leader: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await tryAcquireOrRenew(&state, leader: &leader)
            if state.isLeader {
                logger.info("became leader")
                await lead(&state, work: onStartedLeading)
                leader = nil
            }
            guard !Task.isCancelled, !Task.isShuttingDownGracefully else { break }
            var delay = configuration.retryPeriod * (1 + Double.random(in: 0...max(jitter, 0)))
            // A candidate wakes when the holder's lease expires rather than up to a retry period later: a dead
            // leader is replaced after the lease duration, not the duration plus a retry period.
            if let remaining = state.untilExpiry(now: clock.now), remaining > .zero, remaining < delay {
                delay = remaining
            }
            // A candidate's wait ends at once on graceful shutdown: it has nothing to finish.
            _ = try? await cancelWhenGracefulShutdown { [clock, delay] in try await clock.sleep(for: delay) }
        }
    }

    private enum TermEnd: Sendable {
        case workEnded((any Error)?)
        case renewalsEnded(LeaderElectionState)
    }

    /// One term: the work in one child task, renewals in another, until either ends.
    private func lead(_ state: inout LeaderElectionState, work: @escaping @Sendable () async throws -> Void) async {
        let start = state
        let final = await withTaskGroup(of: TermEnd.self) { group -> LeaderElectionState in
            group.addTask {
                do {
                    try await work()
                    return .workEnded(nil)
                } catch {
                    return .workEnded(error)
                }
            }
            group.addTask {
                var state = start
                await renew(&state)
                return .renewalsEnded(state)
            }
            var final = start
            var workRunning = true
            while let end = await group.next() {
                switch end {
                case .renewalsEnded(let state):
                    final = state
                    if !state.isLeader {
                        logger.warning("lost leadership")
                        // The work must stop before anyone else may take over (within the lease duration).
                        group.cancelAll()
                    } else if workRunning {
                        // Renewals end while leading only when the task is cancelled: the group's children are too.
                        group.cancelAll()
                    }
                case .workEnded(let error):
                    workRunning = false
                    if let error, !(error is CancellationError), !Task.isCancelled {
                        logger.error("the leader's work failed", metadata: ["error": "\(error)"])
                    } else if !Task.isCancelled, !Task.isShuttingDownGracefully {
                        logger.warning("the leader's work ended")
                    }
                    group.cancelAll()
                }
            }
            return final
        }
        state = final
        await release(&state)
    }

    /// Renews every retry period until leadership is lost or the task is cancelled.
    private func renew(_ state: inout LeaderElectionState) async {
        var leader: String?
        while state.isLeader {
            do { try await clock.sleep(for: configuration.retryPeriod) } catch { return }
            await tryAcquireOrRenew(&state, leader: &leader)
        }
    }

    /// Reads the lease and carries out the state's decision; `leader` is the holder last logged.
    private func tryAcquireOrRenew(_ state: inout LeaderElectionState, leader: inout String?) async {
        let object: JSON?
        do {
            object = try await api.get(leases, namespace: lease.namespace, name: lease.name)
        } catch  where error.code == 404 {
            object = nil
        } catch {
            fail(&state, error)
            return
        }
        let action = state.observe(
            object.map(LeaseRecord.init(lease:)), resourceVersion: object?.resourceVersion, now: clock.now,
            wallTime: wallClock())
        let written: JSON
        do {
            switch action {
            case .wait(let holder):
                if holder != leader {
                    logger.info("leader is \(holder)", metadata: ["holder": "\(holder)"])
                    leader = holder
                }
                return
            case .lostLeadership:
                return
            case .create(let record):
                written = try await api.create(
                    leases, namespace: lease.namespace, object: leaseObject(record, base: nil, resourceVersion: nil),
                    fieldManager: "leader-election")
            case .takeOver(let record, let version), .renew(let record, let version):
                written = try await api.update(
                    leases, namespace: lease.namespace,
                    object: leaseObject(record, base: object, resourceVersion: version), subresource: nil,
                    fieldManager: "leader-election")
            }
        } catch {
            fail(&state, error)
            return
        }
        state.written(LeaseRecord(lease: written), resourceVersion: written.resourceVersion, now: clock.now)
    }

    private func fail(_ state: inout LeaderElectionState, _ error: APIError) {
        let wasLeader = state.isLeader
        _ = state.failed(now: clock.now)
        // A conflict is the ordinary outcome of a race between candidates: the next read shows the winner.
        let level: Logger.Level = error.code == 409 || !wasLeader ? .debug : .warning
        logger.log(level: level, "lease read or write failed", metadata: ["error": "\(error)"])
    }

    /// Hands the lease over (holder cleared, duration 1 s) when this elector still leads; best effort. It runs in
    /// a task of its own, awaited, because the caller may be cancelled and the write must still be sent.
    private func release(_ state: inout LeaderElectionState) async {
        guard let (record, version) = state.release(wallTime: wallClock()) else { return }
        let object = leaseObject(record, base: nil, resourceVersion: version)
        let (api, lease, leases, logger) = (api, lease, leases, logger)
        await Task {
            do {
                _ = try await api.update(
                    leases, namespace: lease.namespace, object: object, subresource: nil,
                    fieldManager: "leader-election")
                logger.info("released the lease")
            } catch {
                logger.warning("releasing the lease failed", metadata: ["error": "\(error)"])
            }
        }.value
    }

    /// The Lease object to write: `base` (as read) with its spec replaced, conditional on `resourceVersion`.
    private func leaseObject(_ record: LeaseRecord, base: JSON?, resourceVersion: String?) -> JSON {
        var object =
            base ?? [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(lease.name), "namespace": .string(lease.namespace)],
            ]
        object["spec"] = record.spec
        if let resourceVersion { object["metadata"]["resourceVersion"] = .string(resourceVersion) }
        return object
    }
}
