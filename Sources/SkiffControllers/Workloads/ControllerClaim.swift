import SkiffModel

/// Adoption and release of dependents by a controller (upstream `ControllerRefManager.ClaimObject`).
///
/// A dependent whose controller reference points at the owner is kept while the selector matches and released
/// (its reference removed) when it no longer does; an orphan that matches is adopted (a controller reference
/// added). A deleting owner neither adopts nor releases; deleting orphans and other namespaces are left alone.
public enum ControllerClaim {
    /// The outcome of a claim.
    public struct Result: Sendable {
        /// The dependents the owner controls after the claim (adopted ones already carry the new reference).
        public var claimed: [JSON]
        /// The updates that adopt or release dependents.
        public var actions: [WorkloadAction]
    }

    /// Claims `objects` (of `resource`) for `owner` (of `ownerResource`) through `selector`.
    public static func claim(
        _ objects: [JSON], resource: WorkloadResource, owner: JSON, ownerResource: WorkloadResource,
        selector: LabelSelector
    ) -> Result {
        claim(objects, resource: resource, owner: owner, ownerResource: ownerResource) { selector.matches(object: $0) }
    }

    /// Claims `objects` for `owner`, deciding membership with `matches`.
    public static func claim(
        _ objects: [JSON], resource: WorkloadResource, owner: JSON, ownerResource: WorkloadResource,
        matches: (JSON) -> Bool
    ) -> Result {
        let ownerUID = owner.uid ?? ""
        let ownerDeleting = !owner["metadata"]["deletionTimestamp"].isNull
        var result = Result(claimed: [], actions: [])
        for object in objects {
            if let reference = WorkloadReference.controllerOf(object) {
                guard reference["uid"].stringValue == ownerUID else { continue }
                if matches(object) {
                    result.claimed.append(object)
                } else if !ownerDeleting {
                    result.actions.append(
                        .update(
                            resource: resource, object: WorkloadReference.removing(ownerUID: ownerUID, from: object)))
                }
                continue
            }
            guard !ownerDeleting, matches(object), object["metadata"]["deletionTimestamp"].isNull,
                object.namespace == owner.namespace
            else { continue }
            let adopted = WorkloadReference.adding(
                WorkloadReference.controllerRef(to: owner, as: ownerResource), to: object)
            result.actions.append(.update(resource: resource, object: adopted))
            result.claimed.append(adopted)
        }
        return result
    }
}
