import Foundation
import SkiffModel

/// The Deployment controller's reconcile (upstream `pkg/controller/deployment`): one ReplicaSet per pod template
/// revision, rolled by the strategy, with the status `kubectl rollout status` reads.
///
/// Upstream writes as it goes (create the ReplicaSet, then scale, then update the status); here the same steps run
/// against local copies and the writes come out as actions, each object written once with its final content.
public enum DeploymentReconciler {
    /// The revision of a ReplicaSet (and of the Deployment, copied from its newest ReplicaSet).
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"
    /// Older revisions a reused ReplicaSet served, comma separated.
    public static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    /// `spec.replicas` of the Deployment when the ReplicaSet was last scaled.
    public static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    /// `spec.replicas + maxSurge` of the Deployment when the ReplicaSet was last scaled.
    public static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    /// The label (and selector term) that ties a ReplicaSet and its pods to one template revision.
    public static let podTemplateHashLabel = "pod-template-hash"

    /// Annotations of the Deployment that are not copied onto its ReplicaSets.
    static let annotationsNotCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, revisionHistoryAnnotation,
        desiredReplicasAnnotation, maxReplicasAnnotation, "deprecated.deployment.rollback.to",
    ]

    /// Reconciles `deployment`.
    ///
    /// - Parameters:
    ///   - replicaSets: the ReplicaSets of the Deployment's namespace (owned ones, orphans its selector matches —
    ///     they are adopted — and any whose name could collide with a new one).
    ///   - pods: the pods of those ReplicaSets; only the Recreate strategy looks at them (no new pods start while
    ///     old ones still run).
    ///   - now: the current time, for condition timestamps and the progress deadline.
    public static func reconcile(deployment: JSON, replicaSets: [JSON], pods: [JSON], now: Date)
        -> WorkloadReconcileResult
    {
        var sync = DeploymentSync(deployment: deployment, now: now)
        sync.run(replicaSets: replicaSets, pods: pods)
        return sync.finish()
    }

    /// Upstream `ResolveFenceposts`: maxSurge rounds up, maxUnavailable down, and both zero means one unavailable.
    public static func resolveFenceposts(maxSurge: JSON, maxUnavailable: JSON, desired: Int) -> (
        surge: Int, unavailable: Int
    ) {
        let surge = IntOrPercent.scaled(maxSurge.isNull ? 0 : maxSurge, total: desired, roundUp: true) ?? 0
        var unavailable =
            IntOrPercent.scaled(maxUnavailable.isNull ? 0 : maxUnavailable, total: desired, roundUp: false) ?? 0
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    /// Whether two pod templates are equal ignoring the `pod-template-hash` label (upstream `EqualIgnoreHash`);
    /// `null` members count as absent, as nil fields do in Go.
    public static func templatesEqualIgnoringHash(_ a: JSON, _ b: JSON) -> Bool {
        func normalized(_ template: JSON) -> JSON {
            var copy = template
            copy["metadata"]["labels"].removeValue(forKey: podTemplateHashLabel)
            if copy["metadata"]["labels"].objectValue?.isEmpty == true {
                copy["metadata"].removeValue(forKey: "labels")
            }
            return copy.droppingNulls()
        }
        return normalized(a) == normalized(b)
    }
}

extension JSON {
    /// A deep copy without `null` object members.
    func droppingNulls() -> JSON {
        switch self {
        case .object(let object):
            return .object(JSONObject(object.filter { !$0.value.isNull }.map { ($0.key, $0.value.droppingNulls()) }))
        case .array(let elements):
            return .array(elements.map { $0.droppingNulls() })
        default:
            return self
        }
    }
}

/// One Deployment sync: the Deployment and its ReplicaSets as local copies, and the writes made so far.
struct DeploymentSync {
    var d: JSON
    let original: JSON
    let now: Date
    var writes = WorkloadWrites()
    var result = WorkloadReconcileResult()
    /// The claimed ReplicaSets, kept current as the sync scales them.
    var replicaSets: [JSON] = []
    /// Every ReplicaSet the caller passed, to detect name collisions.
    var allInNamespace: [JSON] = []

    init(deployment: JSON, now: Date) {
        d = deployment
        original = deployment
        self.now = now
    }

    // MARK: spec accessors

    var name: String { d.name ?? "" }
    var replicas: Int { max(0, d["spec"]["replicas"].intValue ?? 1) }
    var isRollingUpdate: Bool { (d["spec"]["strategy"]["type"].stringValue ?? "RollingUpdate") == "RollingUpdate" }
    var minReadySeconds: Int { d["spec"]["minReadySeconds"].intValue ?? 0 }

    var fenceposts: (surge: Int, unavailable: Int) {
        let rolling = d["spec"]["strategy"]["rollingUpdate"]
        // The API server defaults both to 25%; fall back to that if a stored object lacks them.
        return DeploymentReconciler.resolveFenceposts(
            maxSurge: rolling.contains(key: "maxSurge") ? rolling["maxSurge"] : "25%",
            maxUnavailable: rolling.contains(key: "maxUnavailable") ? rolling["maxUnavailable"] : "25%",
            desired: replicas)
    }

    /// Upstream `MaxSurge`: 0 unless rolling.
    var maxSurge: Int { isRollingUpdate ? fenceposts.surge : 0 }

    /// Upstream `MaxUnavailable`: 0 unless rolling with replicas, capped at the replicas.
    var maxUnavailable: Int {
        guard isRollingUpdate, replicas > 0 else { return 0 }
        return min(fenceposts.unavailable, replicas)
    }

    var progressDeadline: Int? {
        guard let seconds = d["spec"]["progressDeadlineSeconds"].intValue, seconds != Int(Int32.max) else { return nil }
        return seconds
    }

    var revisionHistoryLimit: Int? {
        guard let limit = d["spec"]["revisionHistoryLimit"].intValue, limit != Int(Int32.max) else { return nil }
        return limit
    }

    // MARK: ReplicaSet accessors

    static func specReplicas(_ rs: JSON) -> Int { rs["spec"]["replicas"].intValue ?? 1 }
    static func statusReplicas(_ rs: JSON) -> Int { rs["status"]["replicas"].intValue ?? 0 }
    static func readyReplicas(_ rs: JSON) -> Int { rs["status"]["readyReplicas"].intValue ?? 0 }
    static func availableReplicas(_ rs: JSON) -> Int { rs["status"]["availableReplicas"].intValue ?? 0 }
    static func isActive(_ rs: JSON) -> Bool { specReplicas(rs) > 0 }

    /// The revision annotation as a number: 0 when absent, nil when not a number.
    static func revision(_ rs: JSON) -> Int64? {
        guard let text = rs.annotations[DeploymentReconciler.revisionAnnotation] else { return 0 }
        return Int64(text)
    }

    static func createdBefore(_ a: JSON, _ b: JSON) -> Bool {
        let (ta, tb) = (
            WorkloadTime.parse(a["metadata"]["creationTimestamp"]),
            WorkloadTime.parse(b["metadata"]["creationTimestamp"])
        )
        if ta != tb {
            // Not yet created (this sync's new ReplicaSet) counts as newest.
            guard let ta else { return false }
            guard let tb else { return true }
            return ta < tb
        }
        return (a.name ?? "") < (b.name ?? "")
    }

    // MARK: the sync

    mutating func run(replicaSets input: [JSON], pods: [JSON]) {
        allInNamespace = input
        let selectorJSON = d["spec"]["selector"]
        guard let selector = try? LabelSelector(labelSelector: selectorJSON) else { return }
        if selector.isEverything {
            writes.event(
                d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required."
            )
            let generation = d["metadata"]["generation"].int64Value ?? 0
            if (d["status"]["observedGeneration"].int64Value ?? 0) < generation {
                d["status"]["observedGeneration"] = .int(generation)
            }
            return
        }
        let claim = ControllerClaim.claim(
            input, resource: .replicaSets, owner: d, ownerResource: .deployments, selector: selector)
        writes.append(contentsOf: claim.actions)
        replicaSets = claim.claimed

        if !d["metadata"]["deletionTimestamp"].isNull {
            let (newRS, oldRSs) = allReplicaSetsAndSyncRevision(createIfMissing: false)
            syncDeploymentStatus(all: oldRSs + (newRS.map { [$0] } ?? []), newRS: newRS)
            return
        }
        checkPausedConditions()
        if d["spec"]["paused"].boolValue == true {
            sync()
            return
        }
        if isScalingEvent() {
            sync()
            return
        }
        if isRollingUpdate {
            rolloutRolling()
        } else {
            rolloutRecreate(pods: pods)
        }
    }

    func finish() -> WorkloadReconcileResult {
        var result = self.result
        var writes = self.writes
        if d["status"] != original["status"] || d["metadata"]["annotations"] != original["metadata"]["annotations"] {
            writes.updateStatus(.deployments, d)
        }
        result.actions = writes.actions
        return result
    }

    /// Stores a changed ReplicaSet locally and queues its write.
    mutating func commit(_ rs: JSON) {
        if let index = replicaSets.firstIndex(where: { $0.name == rs.name }) { replicaSets[index] = rs }
        writes.update(.replicaSets, rs)
    }

    /// Upstream `FindNewReplicaSet`: the oldest ReplicaSet whose template equals the Deployment's.
    func findNewReplicaSet() -> JSON? {
        let template = d["spec"]["template"]
        return replicaSets.sorted(by: Self.createdBefore).first {
            DeploymentReconciler.templatesEqualIgnoringHash($0["spec"]["template"], template)
        }
    }

    /// Upstream `getAllReplicaSetsAndSyncRevision`: finds (or creates) the new ReplicaSet and syncs revisions.
    mutating func allReplicaSetsAndSyncRevision(createIfMissing: Bool) -> (newRS: JSON?, oldRSs: [JSON]) {
        let existing = findNewReplicaSet()
        let oldRSs = replicaSets.filter { $0.name != existing?.name }
        let maxOldRevision = oldRSs.compactMap(Self.revision).max() ?? 0
        let newRevision = maxOldRevision + 1

        if var newRS = existing {
            let annotationsChanged = setNewReplicaSetAnnotations(&newRS, newRevision: newRevision, exists: true)
            if annotationsChanged || (newRS["spec"]["minReadySeconds"].intValue ?? 0) != minReadySeconds {
                if minReadySeconds == 0 {
                    newRS["spec"].removeValue(forKey: "minReadySeconds")
                } else {
                    newRS["spec"]["minReadySeconds"] = .int(minReadySeconds)
                }
                commit(newRS)
            }
            setDeploymentRevision(newRS.annotations[DeploymentReconciler.revisionAnnotation] ?? String(newRevision))
            if progressDeadline != nil, WorkloadConditions.find("Progressing", in: d["status"]["conditions"]) == nil {
                setCondition(
                    "Progressing", "True", "FoundNewReplicaSet", "Found new replica set \"\(newRS.name ?? "")\"")
            }
            return (newRS, oldRSs)
        }
        guard createIfMissing else { return (nil, oldRSs) }

        let collisionCount = d["status"]["collisionCount"].intValue
        let hash = TemplateHash.compute(d["spec"]["template"], collisionCount: collisionCount)
        var template = d["spec"]["template"]
        template["metadata"]["labels"][DeploymentReconciler.podTemplateHashLabel] = .string(hash)
        var selector = d["spec"]["selector"]
        selector["matchLabels"][DeploymentReconciler.podTemplateHashLabel] = .string(hash)
        let rsName = "\(name)-\(hash)"

        if allInNamespace.contains(where: { $0.name == rsName }) {
            // The name is taken by a ReplicaSet with another template (ours would have been found above): a hash
            // collision. Bump collisionCount so the next sync hashes differently.
            d["status"]["collisionCount"] = .int((collisionCount ?? 0) + 1)
            return (nil, oldRSs)
        }

        var newRS: JSON = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(rsName), "namespace": .string(d.namespace ?? "default"),
                "labels": template["metadata"]["labels"],
                "ownerReferences": [WorkloadReference.controllerRef(to: d, as: .deployments)],
            ],
            "spec": ["replicas": 0, "selector": selector, "template": template],
        ]
        if minReadySeconds > 0 { newRS["spec"]["minReadySeconds"] = .int(minReadySeconds) }
        let newReplicas = newReplicaSetReplicas(all: oldRSs + [newRS], newRS: newRS)
        newRS["spec"]["replicas"] = .int(newReplicas)
        _ = setNewReplicaSetAnnotations(&newRS, newRevision: newRevision, exists: false)
        writes.create(.replicaSets, newRS)
        replicaSets.append(newRS)
        if newReplicas > 0 {
            writes.event(d, "Normal", "ScalingReplicaSet", "Scaled up replica set \(rsName) to \(newReplicas)")
        }
        setDeploymentRevision(String(newRevision))
        if progressDeadline != nil {
            setCondition("Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"\(rsName)\"")
        }
        return (newRS, oldRSs)
    }

    /// Upstream `SetNewReplicaSetAnnotations`; returns whether anything changed.
    mutating func setNewReplicaSetAnnotations(_ rs: inout JSON, newRevision: Int64, exists: Bool) -> Bool {
        var changed = false
        for (key, value) in d.annotations.sorted(by: { $0.key < $1.key })
        where !DeploymentReconciler.annotationsNotCopied.contains(key) && rs.annotations[key] != value {
            rs["metadata"]["annotations"][key] = .string(value)
            changed = true
        }
        let oldText = rs.annotations[DeploymentReconciler.revisionAnnotation]
        let oldRevision: Int64
        if let oldText {
            guard let parsed = Int64(oldText) else { return changed }
            oldRevision = parsed
        } else {
            oldRevision = 0
        }
        if oldRevision < newRevision {
            rs["metadata"]["annotations"][DeploymentReconciler.revisionAnnotation] = .string(String(newRevision))
            changed = true
            if let oldText {
                // Reusing an older ReplicaSet (a rollback): remember the revisions it served, within 2000 chars.
                let history = rs.annotations[DeploymentReconciler.revisionHistoryAnnotation] ?? ""
                var revisions = history.isEmpty ? [] : history.split(separator: ",").map(String.init)
                revisions.append(oldText)
                while revisions.joined(separator: ",").count > 2000, revisions.count > 1 { revisions.removeFirst() }
                rs["metadata"]["annotations"][DeploymentReconciler.revisionHistoryAnnotation] =
                    .string(revisions.joined(separator: ","))
            }
        }
        if !exists, setReplicasAnnotations(&rs) { changed = true }
        return changed
    }

    /// Upstream `SetReplicasAnnotations` with the Deployment's current size and surge.
    func setReplicasAnnotations(_ rs: inout JSON) -> Bool {
        var changed = false
        let desired = String(replicas)
        let maximum = String(replicas + maxSurge)
        if rs.annotations[DeploymentReconciler.desiredReplicasAnnotation] != desired {
            rs["metadata"]["annotations"][DeploymentReconciler.desiredReplicasAnnotation] = .string(desired)
            changed = true
        }
        if rs.annotations[DeploymentReconciler.maxReplicasAnnotation] != maximum {
            rs["metadata"]["annotations"][DeploymentReconciler.maxReplicasAnnotation] = .string(maximum)
            changed = true
        }
        return changed
    }

    mutating func setDeploymentRevision(_ revision: String) {
        if d.annotations[DeploymentReconciler.revisionAnnotation] != revision {
            d["metadata"]["annotations"][DeploymentReconciler.revisionAnnotation] = .string(revision)
        }
    }

    mutating func setCondition(_ type: String, _ status: String, _ reason: String, _ message: String) {
        WorkloadConditions.set(
            &d["status"]["conditions"], type: type, status: status, reason: reason, message: message, now: now,
            updateTimeKey: "lastUpdateTime")
    }

    /// Upstream `NewRSNewReplicas`: how far the new ReplicaSet may grow now.
    func newReplicaSetReplicas(all: [JSON], newRS: JSON) -> Int {
        let current = Self.specReplicas(newRS)
        guard isRollingUpdate else { return replicas }
        let total = all.map(Self.specReplicas).reduce(0, +)
        let maxTotal = replicas + fenceposts.surge
        if total >= maxTotal { return current }
        return current + min(maxTotal - total, replicas - current)
    }

    /// Upstream `checkPausedConditions`: marks pausing and resuming so a pause never counts against the deadline.
    mutating func checkPausedConditions() {
        guard progressDeadline != nil else { return }
        let condition = WorkloadConditions.find("Progressing", in: d["status"]["conditions"])
        if condition?["reason"].stringValue == "ProgressDeadlineExceeded" { return }
        let pausedRecorded = condition?["reason"].stringValue == "DeploymentPaused"
        let paused = d["spec"]["paused"].boolValue == true
        if paused && !pausedRecorded {
            setCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
        } else if !paused && pausedRecorded {
            setCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
        }
    }

    /// Upstream `isScalingEvent`: an active ReplicaSet recorded a different desired size.
    mutating func isScalingEvent() -> Bool {
        let (newRS, oldRSs) = allReplicaSetsAndSyncRevision(createIfMissing: false)
        for rs in (oldRSs + (newRS.map { [$0] } ?? [])) where Self.isActive(rs) {
            guard let text = rs.annotations[DeploymentReconciler.desiredReplicasAnnotation], let desired = Int(text)
            else { continue }
            if desired != replicas { return true }
        }
        return false
    }

    // MARK: scaling (paused deployments and scaling events)

    mutating func sync() {
        let (newRS, oldRSs) = allReplicaSetsAndSyncRevision(createIfMissing: false)
        scale(newRS: newRS, oldRSs: oldRSs)
        if d["spec"]["paused"].boolValue == true { cleanup(oldRSs: current(oldRSs)) }
        let (currentNew, currentOld) = (newRS.map(current), current(oldRSs))
        syncDeploymentStatus(all: currentOld + (currentNew.map { [$0] } ?? []), newRS: currentNew)
    }

    func current(_ rs: JSON) -> JSON { replicaSets.first { $0.name == rs.name } ?? rs }
    func current(_ list: [JSON]) -> [JSON] { list.map { current($0) } }

    /// Upstream `scale`: proportional scaling across active ReplicaSets.
    mutating func scale(newRS: JSON?, oldRSs: [JSON]) {
        if let target = activeOrLatest(newRS: newRS, oldRSs: oldRSs) {
            if Self.specReplicas(target) != replicas { scaleAndRecord(target, to: replicas) }
            return
        }
        if let newRS, isSaturated(newRS) {
            for old in oldRSs where Self.isActive(old) { scaleAndRecord(old, to: 0) }
            return
        }
        guard isRollingUpdate else { return }
        var all = (oldRSs + (newRS.map { [$0] } ?? [])).filter(Self.isActive)
        let total = all.map(Self.specReplicas).reduce(0, +)
        let allowed = replicas > 0 ? replicas + maxSurge : 0
        let toAdd = allowed - total
        var operation = ""
        if toAdd > 0 {
            all.sort {
                Self.specReplicas($0) != Self.specReplicas($1)
                    ? Self.specReplicas($0) > Self.specReplicas($1) : !Self.createdBefore($0, $1)
            }
            operation = "up"
        } else if toAdd < 0 {
            all.sort {
                Self.specReplicas($0) != Self.specReplicas($1)
                    ? Self.specReplicas($0) > Self.specReplicas($1) : Self.createdBefore($0, $1)
            }
            operation = "down"
        }
        var added = 0
        var sizes: [Int] = []
        for rs in all {
            if toAdd != 0 {
                let proportion = self.proportion(rs, toAdd: toAdd, added: added)
                sizes.append(Self.specReplicas(rs) + proportion)
                added += proportion
            } else {
                sizes.append(Self.specReplicas(rs))
            }
        }
        for (index, rs) in all.enumerated() {
            var size = sizes[index]
            if index == 0 && toAdd != 0 { size = max(0, size + toAdd - added) }
            scaleReplicaSet(rs, to: size, operation: operation)
        }
    }

    /// Upstream `GetProportion` / `getReplicaSetFraction`.
    func proportion(_ rs: JSON, toAdd: Int, added: Int) -> Int {
        let size = Self.specReplicas(rs)
        guard size != 0, toAdd != 0, toAdd != added else { return 0 }
        let allowed = toAdd - added
        let fraction: Int
        if replicas == 0 {
            fraction = -size
        } else {
            let target = replicas + maxSurge
            let annotated =
                rs.annotations[DeploymentReconciler.maxReplicasAnnotation].flatMap { Int($0) }
                ?? (d["status"]["replicas"].intValue ?? 0)
            // Go divides floats here; a zero denominator would give infinity, so scale to nothing instead.
            fraction = annotated > 0 ? Int((Double(size * target) / Double(annotated)).rounded()) - size : 0
        }
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }

    /// Upstream `FindActiveOrLatest`: the only active ReplicaSet, else the newest when none is active.
    func activeOrLatest(newRS: JSON?, oldRSs: [JSON]) -> JSON? {
        if newRS == nil && oldRSs.isEmpty { return nil }
        let sortedOld = oldRSs.sorted { Self.createdBefore($1, $0) }
        let active = (sortedOld + (newRS.map { [$0] } ?? [])).filter(Self.isActive)
        switch active.count {
        case 0: return newRS ?? sortedOld.first
        case 1: return active[0]
        default: return nil
        }
    }

    /// Upstream `IsSaturated`.
    func isSaturated(_ rs: JSON) -> Bool {
        guard let text = rs.annotations[DeploymentReconciler.desiredReplicasAnnotation], let desired = Int(text) else {
            return false
        }
        return Self.specReplicas(rs) == replicas && desired == replicas && Self.availableReplicas(rs) == replicas
    }

    mutating func scaleAndRecord(_ rs: JSON, to size: Int) {
        let latest = Self.specReplicas(current(rs))
        guard latest != size else { return }
        scaleReplicaSet(rs, to: size, operation: latest < size ? "up" : "down")
    }

    /// Upstream `scaleReplicaSet`: sets the size and the replica annotations, with an event when the size moves.
    mutating func scaleReplicaSet(_ rs: JSON, to size: Int, operation: String) {
        let rs = current(rs)
        let oldSize = Self.specReplicas(rs)
        var copy = rs
        let annotationsChanged = setReplicasAnnotations(&copy)
        guard oldSize != size || annotationsChanged else { return }
        copy["spec"]["replicas"] = .int(size)
        commit(copy)
        if oldSize != size {
            writes.event(
                d, "Normal", "ScalingReplicaSet",
                "Scaled \(operation) replica set \(rs.name ?? "") to \(size) from \(oldSize)")
        }
    }

    /// Upstream `cleanupDeployment`: deletes the oldest drained ReplicaSets beyond `revisionHistoryLimit`.
    mutating func cleanup(oldRSs: [JSON]) {
        guard let limit = revisionHistoryLimit else { return }
        let alive = oldRSs.filter { $0["metadata"]["deletionTimestamp"].isNull }
        let excess = alive.count - limit
        guard excess > 0 else { return }
        let byRevision = alive.sorted { a, b in
            if let ra = Self.revision(a), let rb = Self.revision(b), ra != rb { return ra < rb }
            return Self.createdBefore(a, b)
        }
        for rs in byRevision.prefix(excess) {
            let observed = rs["status"]["observedGeneration"].int64Value ?? 0
            let generation = rs["metadata"]["generation"].int64Value ?? 0
            guard Self.statusReplicas(rs) == 0, Self.specReplicas(rs) == 0, generation <= observed else { continue }
            writes.delete(.replicaSets, rs)
        }
    }

    // MARK: rollouts

    mutating func rolloutRolling() {
        let (created, oldRSs) = allReplicaSetsAndSyncRevision(createIfMissing: true)
        guard let newRS = created else {
            // A hash collision was recorded; the next sync retries with the bumped collisionCount.
            syncRolloutStatus(all: oldRSs, newRS: nil)
            return
        }
        if reconcileNewReplicaSet(newRS, all: oldRSs + [newRS]) {
            syncRolloutStatus(all: current(oldRSs) + [current(newRS)], newRS: current(newRS))
            return
        }
        if reconcileOldReplicaSets(oldRSs.filter(Self.isActive), all: oldRSs + [newRS], newRS: newRS) {
            syncRolloutStatus(all: current(oldRSs) + [current(newRS)], newRS: current(newRS))
            return
        }
        if deploymentComplete(status: original["status"]) { cleanup(oldRSs: current(oldRSs)) }
        syncRolloutStatus(all: current(oldRSs) + [current(newRS)], newRS: current(newRS))
    }

    /// Upstream `reconcileNewReplicaSet`; returns whether it scaled.
    mutating func reconcileNewReplicaSet(_ newRS: JSON, all: [JSON]) -> Bool {
        let size = Self.specReplicas(newRS)
        if size == replicas { return false }
        if size > replicas {
            scaleAndRecord(newRS, to: replicas)
            return true
        }
        let target = newReplicaSetReplicas(all: all, newRS: newRS)
        guard target != size else { return false }
        scaleAndRecord(newRS, to: target)
        return true
    }

    /// Upstream `reconcileOldReplicaSets`; returns whether it scaled anything down.
    mutating func reconcileOldReplicaSets(_ oldRSs: [JSON], all: [JSON], newRS: JSON) -> Bool {
        let oldPods = oldRSs.map(Self.specReplicas).reduce(0, +)
        if oldPods == 0 { return false }
        let allPods = all.map(Self.specReplicas).reduce(0, +)
        let minAvailable = replicas - maxUnavailable
        let newUnavailable = Self.specReplicas(newRS) - Self.availableReplicas(newRS)
        let maxScaledDown = allPods - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return false }

        // Unhealthy old replicas go first: removing them cannot reduce availability.
        var cleaned = 0
        for rs in oldRSs.sorted(by: Self.createdBefore) {
            if cleaned >= maxScaledDown { break }
            let size = Self.specReplicas(rs)
            let available = Self.availableReplicas(rs)
            if size == 0 || size == available { continue }
            let count = min(maxScaledDown - cleaned, size - available)
            scaleAndRecord(rs, to: size - count)
            cleaned += count
        }

        // Then scale old ReplicaSets down as far as availability allows.
        let available = (current(oldRSs) + [current(newRS)]).map(Self.availableReplicas).reduce(0, +)
        var scaled = 0
        if available > minAvailable {
            let total = available - minAvailable
            for rs in current(oldRSs).sorted(by: Self.createdBefore) {
                if scaled >= total { break }
                let size = Self.specReplicas(rs)
                if size == 0 { continue }
                let count = min(size, total - scaled)
                scaleAndRecord(rs, to: size - count)
                scaled += count
            }
        }
        return cleaned + scaled > 0
    }

    mutating func rolloutRecreate(pods: [JSON]) {
        let (existing, oldRSs) = allReplicaSetsAndSyncRevision(createIfMissing: false)
        var scaledDown = false
        for rs in oldRSs where Self.isActive(rs) {
            scaleAndRecord(rs, to: 0)
            scaledDown = true
        }
        if scaledDown {
            syncRolloutStatus(
                all: current(oldRSs) + (existing.map { [current($0)] } ?? []), newRS: existing.map(current))
            return
        }
        if oldPodsRunning(newRS: existing, oldRSs: oldRSs, pods: pods) {
            syncRolloutStatus(all: oldRSs + (existing.map { [$0] } ?? []), newRS: existing)
            return
        }
        var newRS = existing
        if newRS == nil { newRS = allReplicaSetsAndSyncRevision(createIfMissing: true).newRS }
        guard let newRS else {
            syncRolloutStatus(all: oldRSs, newRS: nil)
            return
        }
        scaleAndRecord(newRS, to: replicas)
        if deploymentComplete(status: original["status"]) { cleanup(oldRSs: current(oldRSs)) }
        syncRolloutStatus(all: current(oldRSs) + [current(newRS)], newRS: current(newRS))
    }

    /// Upstream `oldPodsRunning`: old ReplicaSets report pods, or a non-terminal pod of one still exists.
    func oldPodsRunning(newRS: JSON?, oldRSs: [JSON], pods: [JSON]) -> Bool {
        if oldRSs.map(Self.statusReplicas).reduce(0, +) > 0 { return true }
        let oldUIDs = Set(oldRSs.compactMap(\.uid))
        return pods.contains { pod in
            guard let owner = WorkloadReference.controllerUID(of: pod), oldUIDs.contains(owner) else { return false }
            return !WorkloadPod(pod).isTerminal
        }
    }

    // MARK: status

    /// Upstream `calculateStatus`.
    func calculateStatus(all: [JSON], newRS: JSON?) -> JSON {
        let available = all.map(Self.availableReplicas).reduce(0, +)
        let total = all.map(Self.specReplicas).reduce(0, +)
        var status: JSON = [:]
        let generation = d["metadata"]["generation"].int64Value ?? 0
        func put(_ key: String, _ value: Int) { if value != 0 { status[key] = .int(value) } }
        if generation != 0 { status["observedGeneration"] = .int(generation) }
        put("replicas", all.map(Self.statusReplicas).reduce(0, +))
        put("updatedReplicas", newRS.map(Self.statusReplicas) ?? 0)
        put("readyReplicas", all.map(Self.readyReplicas).reduce(0, +))
        put("availableReplicas", available)
        put("unavailableReplicas", max(0, total - available))
        var conditions = d["status"]["conditions"].isNull ? JSON.emptyArray : d["status"]["conditions"]
        if available >= replicas - maxUnavailable {
            WorkloadConditions.set(
                &conditions, type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                message: "Deployment has minimum availability.", now: now, updateTimeKey: "lastUpdateTime")
        } else {
            WorkloadConditions.set(
                &conditions, type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                message: "Deployment does not have minimum availability.", now: now, updateTimeKey: "lastUpdateTime")
        }
        status["conditions"] = conditions
        if !d["status"]["collisionCount"].isNull { status["collisionCount"] = d["status"]["collisionCount"] }
        return status
    }

    mutating func syncDeploymentStatus(all: [JSON], newRS: JSON?) {
        d["status"] = calculateStatus(all: all, newRS: newRS)
    }

    /// Upstream `DeploymentComplete`.
    func deploymentComplete(status: JSON) -> Bool {
        status.counter("updatedReplicas") == replicas && status.counter("replicas") == replicas
            && status.counter("availableReplicas") == replicas
            && (status["observedGeneration"].int64Value ?? 0) >= (d["metadata"]["generation"].int64Value ?? 0)
    }

    /// Upstream `syncRolloutStatus`: status plus the Progressing condition.
    mutating func syncRolloutStatus(all: [JSON], newRS: JSON?) {
        var status = calculateStatus(all: all, newRS: newRS)
        let previous = d["status"]
        guard let deadline = progressDeadline else {
            status["conditions"] = WorkloadConditions.removing("Progressing", from: status["conditions"])
            d["status"] = status
            return
        }
        let currentCondition = WorkloadConditions.find("Progressing", in: previous["conditions"])
        let complete =
            status.counter("replicas") == status.counter("updatedReplicas")
            && currentCondition?["reason"].stringValue == "NewReplicaSetAvailable"
        if !complete {
            let subject = newRS.map { "ReplicaSet \"\($0.name ?? "")\"" } ?? "Deployment \"\(name)\""
            if deploymentComplete(status: status) {
                WorkloadConditions.set(
                    &status["conditions"], type: "Progressing", status: "True", reason: "NewReplicaSetAvailable",
                    message: "\(subject) has successfully progressed.", now: now, updateTimeKey: "lastUpdateTime")
            } else if deploymentProgressing(old: previous, new: status) {
                // Progress refreshes lastUpdateTime even when the reason stays the same.
                var condition: JSON = [
                    "type": "Progressing", "status": "True", "lastUpdateTime": WorkloadTime.json(now),
                    "lastTransitionTime": WorkloadTime.json(now), "reason": "ReplicaSetUpdated",
                    "message": .string("\(subject) is progressing."),
                ]
                if currentCondition?["status"].stringValue == "True" {
                    condition["lastTransitionTime"] = currentCondition?["lastTransitionTime"] ?? WorkloadTime.json(now)
                }
                var conditions = WorkloadConditions.removing("Progressing", from: status["conditions"]).arrayValue ?? []
                conditions.append(condition)
                status["conditions"] = .array(conditions)
            } else if timedOut(status: status, deadline: deadline) {
                WorkloadConditions.set(
                    &status["conditions"], type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded",
                    message: "\(subject) has timed out progressing.", now: now, updateTimeKey: "lastUpdateTime")
            }
        }
        // ReplicaFailure conditions of the ReplicaSets surface on the Deployment, the new ReplicaSet's first.
        let failures = ((newRS.map { [$0] } ?? []) + all).compactMap {
            WorkloadConditions.find("ReplicaFailure", in: $0["status"]["conditions"])
        }
        if let failure = failures.first {
            var conditions = WorkloadConditions.removing("ReplicaFailure", from: status["conditions"]).arrayValue ?? []
            var converted = failure
            converted["lastUpdateTime"] = failure["lastTransitionTime"]
            conditions.append(converted)
            status["conditions"] = .array(conditions)
        } else {
            status["conditions"] = WorkloadConditions.removing("ReplicaFailure", from: status["conditions"])
        }
        d["status"] = status
        requeueIfStuck(status: status, deadline: deadline)
    }

    /// Upstream `DeploymentProgressing`.
    func deploymentProgressing(old: JSON, new: JSON) -> Bool {
        let oldOld = old.counter("replicas") - old.counter("updatedReplicas")
        let newOld = new.counter("replicas") - new.counter("updatedReplicas")
        return new.counter("updatedReplicas") > old.counter("updatedReplicas") || newOld < oldOld
            || new.counter("readyReplicas") > old.counter("readyReplicas")
            || new.counter("availableReplicas") > old.counter("availableReplicas")
    }

    /// Upstream `DeploymentTimedOut`: no progress reported for longer than the deadline.
    func timedOut(status: JSON, deadline: Int) -> Bool {
        guard let condition = WorkloadConditions.find("Progressing", in: status["conditions"]) else { return false }
        switch condition["reason"].stringValue {
        case "NewReplicaSetAvailable": return false
        case "ProgressDeadlineExceeded": return true
        default: break
        }
        guard let from = WorkloadTime.parse(condition["lastUpdateTime"]) else { return false }
        return from.addingTimeInterval(TimeInterval(deadline)) < now
    }

    /// Upstream `requeueStuckDeployment`: look again when the deadline would pass without progress.
    mutating func requeueIfStuck(status: JSON, deadline: Int) {
        guard let condition = WorkloadConditions.find("Progressing", in: status["conditions"]),
            !deploymentComplete(status: status), condition["reason"].stringValue != "ProgressDeadlineExceeded",
            let from = WorkloadTime.parse(condition["lastUpdateTime"])
        else { return }
        let after = from.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now)
        result.requeue(after: after < 1 ? 0 : after + 1)
    }
}

extension JSON {
    /// The integer member `key` of a status object, 0 when absent (Go's zero value for omitted counts).
    func counter(_ key: String) -> Int { self[key].intValue ?? 0 }
}
