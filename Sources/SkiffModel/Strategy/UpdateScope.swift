/// The status-subresource reset every resource shares (upstream's `PrepareForUpdate` of the main and the status
/// strategies): the main endpoint keeps the live status when the resource has a `status` subresource; `status`
/// keeps the live object but its status, labels and annotations.
public enum UpdateScope {
    public static func standard(live: JSON, desired: JSON, subresource: String?, type: ResourceType) -> JSON {
        switch subresource {
        case "status":
            var next = live
            next["status"] = desired["status"]
            if let labels = desired["metadata"]["labels"].objectValue { next["metadata"]["labels"] = .object(labels) }
            if let annotations = desired["metadata"]["annotations"].objectValue {
                next["metadata"]["annotations"] = .object(annotations)
            }
            return next
        default:
            var next = desired
            if type.subresource("status") != nil { next["status"] = live["status"] }
            return next
        }
    }
}
