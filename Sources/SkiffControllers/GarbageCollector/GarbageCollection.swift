import SkiffModel

/// Pure garbage-collection decisions (upstream `garbagecollector`): dependents whose owners are all gone are deleted;
/// owners deleted with `orphan` release their dependents; owners deleted with `foregroundDeletion` wait for theirs.
public enum GarbageCollection {
    /// How an owner reference resolves.
    public enum OwnerState: Equatable, Sendable {
        /// An object with that uid exists.
        case present
        /// An object with that uid exists and is being deleted with the given finalizers pending.
        case deleting(finalizers: [String])
        /// No object with that uid exists.
        case absent
        /// The owner's kind is not tracked; assume it exists (never delete on doubt).
        case unknown
    }

    public enum Action: Equatable, Sendable {
        /// Delete the dependent (in the background).
        case deleteDependent
        /// Remove the references to these owner uids from the dependent (orphaning).
        case removeOwnerReferences(uids: [String])
    }

    /// The action for one dependent, given the state of each of its owners (keyed by uid).
    public static func decide(dependent: JSON, owners: [String: OwnerState]) -> Action? {
        let references = dependent["metadata"]["ownerReferences"].arrayValue ?? []
        guard !references.isEmpty, dependent.deletionTimestamp == nil else { return nil }
        var orphaningFrom: [String] = []
        var live = 0
        var foregroundOwner = false
        for reference in references {
            guard let uid = reference["uid"].stringValue else { continue }
            switch owners[uid] ?? .unknown {
            case .present, .unknown:
                live += 1
            case .absent:
                break
            case .deleting(let finalizers):
                if finalizers.contains("orphan") {
                    orphaningFrom.append(uid)
                } else if finalizers.contains("foregroundDeletion") {
                    foregroundOwner = true
                } else {
                    live += 1
                }
            }
        }
        if !orphaningFrom.isEmpty { return .removeOwnerReferences(uids: orphaningFrom) }
        if foregroundOwner && live == 0 { return .deleteDependent }
        return live == 0 ? .deleteDependent : nil
    }
}
