import SkiffModel

/// ControllerRevision history of DaemonSets and StatefulSets (upstream `controller/history` and each controller's
/// `constructHistory`): one revision object per distinct template, named `<owner>-<hash>`, numbered in order.
public enum ControllerRevisions {
    /// The label carrying a revision's hash (on revisions, DaemonSet pods, and — as the revision name — on
    /// StatefulSet pods).
    public static let hashLabel = "controller-revision-hash"

    /// The outcome of syncing an owner's history.
    public struct History: Sendable {
        /// The revision matching the owner's current template (possibly about to be created).
        public var current: JSON
        /// The other revisions the owner controls.
        public var old: [JSON]
        /// Creates and updates of revision objects (claims, a new current revision, a renumbered one).
        public var actions: [WorkloadAction]
        /// Set when the name of a new revision is taken by a different one: the owner's `status.collisionCount`
        /// must be bumped (to this value) before a revision can be created.
        public var collisionCount: Int?
    }

    /// The revision data of an owner: a patch that replaces `spec.template`, as upstream's `getPatch`.
    public static func data(of owner: JSON) -> JSON {
        var template = owner["spec"]["template"]
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// The revision number of a ControllerRevision.
    public static func number(_ revision: JSON) -> Int64 { revision["revision"].int64Value ?? 0 }

    /// Syncs the history of `owner` (of `ownerResource`) with its current template.
    public static func sync(owner: JSON, ownerResource: WorkloadResource, revisions input: [JSON]) -> History {
        let selector = (try? LabelSelector(labelSelector: owner["spec"]["selector"])) ?? .nothing
        let claim = ControllerClaim.claim(
            input, resource: .controllerRevisions, owner: owner, ownerResource: ownerResource, selector: selector)
        var actions = claim.actions
        let data = data(of: owner)
        var current: [JSON] = []
        var old: [JSON] = []
        for revision in claim.claimed {
            if revision["data"].droppingNulls() == data.droppingNulls() {
                current.append(revision)
            } else {
                old.append(revision)
            }
        }
        let next = (old.map(number).max() ?? 0) + 1
        if var existing = current.min(by: { number($0) < number($1) }) {
            // Duplicates of the current revision (a race upstream dedups) are left for history cleanup.
            if number(existing) < next {
                existing["revision"] = .int(next)
                actions.append(.update(resource: .controllerRevisions, object: existing))
            }
            old += current.filter { $0.name != existing.name }
            return History(current: existing, old: old, actions: actions, collisionCount: nil)
        }
        let collisionCount = owner["status"]["collisionCount"].intValue
        let hash = TemplateHash.compute(data, collisionCount: collisionCount)
        var labels = owner["spec"]["template"]["metadata"]["labels"].objectValue.map(JSON.object) ?? .emptyObject
        labels[hashLabel] = .string(hash)
        let name = "\(owner.name ?? "")-\(hash)"
        let revision: JSON = [
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": [
                "name": .string(name), "namespace": .string(owner.namespace ?? "default"), "labels": labels,
                "ownerReferences": [WorkloadReference.controllerRef(to: owner, as: ownerResource)],
            ],
            "data": data, "revision": .int(next),
        ]
        if input.contains(where: { $0.name == name }) {
            return History(current: revision, old: old, actions: actions, collisionCount: (collisionCount ?? 0) + 1)
        }
        actions.append(
            .create(resource: .controllerRevisions, namespace: owner.namespace ?? "default", object: revision))
        return History(current: revision, old: old, actions: actions, collisionCount: nil)
    }

    /// Old revisions to delete: the oldest beyond `limit`, skipping any a live pod still uses (by `hashes`).
    public static func excess(_ old: [JSON], limit: Int, inUse hashes: Set<String>) -> [JSON] {
        let candidates = old.filter {
            $0["metadata"]["deletionTimestamp"].isNull
                && !hashes.contains($0["metadata"]["labels"][hashLabel].stringValue ?? "")
                && !hashes.contains($0.name ?? "")
        }
        let count = candidates.count - limit
        guard count > 0 else { return [] }
        return Array(candidates.sorted { number($0) < number($1) }.prefix(count))
    }
}
