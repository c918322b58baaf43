/// JSON merge patch (RFC 7386), the `application/merge-patch+json` body of `kubectl patch --type=merge`,
/// `kubectl label`, `annotate` and `scale`.
public enum JSONMergePatch {
    /// Applies `patch` to `document` exactly as RFC 7386 defines it: objects merge recursively, `null` deletes a key,
    /// anything else (including arrays) replaces; a patch that is not an object replaces the whole document.
    public static func merge(_ patch: JSON, into document: JSON) -> JSON {
        guard case .object(let patchObject) = patch else { return patch }
        var target: JSONObject
        if case .object(let existing) = document {
            target = existing
        } else {
            target = JSONObject()
        }
        for (key, value) in patchObject {
            if value.isNull {
                target.removeValue(forKey: key)
            } else {
                target[key] = merge(value, into: target[key] ?? .null)
            }
        }
        return .object(target)
    }

    /// Applies a merge patch to a Kubernetes object: the patch must be an object (upstream answers
    /// `400 Invalid JSON Patch` for `null` or a scalar, and an array cannot become an object).
    public static func apply(_ patch: JSON, to document: JSON) throws(PatchError) -> JSON {
        guard case .object = patch else { throw .invalid("Invalid JSON Patch") }
        return merge(patch, into: document)
    }
}
