import Foundation
import SkiffModel

/// Where the audit log goes and when it rotates (`--audit-log-path`, `--audit-log-maxsize`,
/// `--audit-log-maxbackup`).
public struct AuditLogSettings: Sendable, Equatable {
    public var path: String
    /// The size at which the file is rotated.
    public var maxBytes: Int
    /// How many rotated files are kept (the oldest go first).
    public var maxBackups: Int

    public init(path: String, maxBytes: Int, maxBackups: Int) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxBackups = maxBackups
    }
}

/// What the audit log records of one request, at upstream's Metadata level: who (and as whom), which verb on which
/// object or path, from where, the response code and the authorization decision; never a body.
struct AuditEvent: Sendable {
    var auditID: String
    var stage: String
    var requestURI: String
    var verb: String
    var user: UserInfo?
    var impersonatedUser: UserInfo?
    var sourceIP: String?
    var userAgent: String?
    /// The object of a resource request.
    var objectRef: ObjectRef?
    var code: Int
    var decision: String?
    /// Admission's notes (Pod Security's audit violations).
    var annotations: [String: String] = [:]
    var received: Date
    var completed: Date

    struct ObjectRef: Sendable {
        var resource: String
        var namespace: String?
        var name: String?
        var apiGroup: String
        var apiVersion: String
        var subresource: String?
    }

    /// The `audit.k8s.io/v1` `Event`, as upstream's log backend writes it (one JSON object per line).
    var json: JSON {
        var event: JSON = [
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": .string(auditID),
            "stage": .string(stage), "requestURI": .string(requestURI), "verb": .string(verb),
        ]
        event["user"] = user.map(Self.userJSON) ?? .emptyObject
        if let impersonatedUser { event["impersonatedUser"] = Self.userJSON(impersonatedUser) }
        if let sourceIP { event["sourceIPs"] = [.string(sourceIP)] }
        if let userAgent { event["userAgent"] = .string(userAgent) }
        if let objectRef {
            var ref: JSON = ["resource": .string(objectRef.resource)]
            if let namespace = objectRef.namespace { ref["namespace"] = .string(namespace) }
            if let name = objectRef.name { ref["name"] = .string(name) }
            if !objectRef.apiGroup.isEmpty { ref["apiGroup"] = .string(objectRef.apiGroup) }
            ref["apiVersion"] = .string(objectRef.apiVersion)
            if let subresource = objectRef.subresource { ref["subresource"] = .string(subresource) }
            event["objectRef"] = ref
        }
        event["responseStatus"] = ["metadata": .emptyObject, "code": .int(code)]
        event["requestReceivedTimestamp"] = .string(KubeTimestamp.microString(received))
        event["stageTimestamp"] = .string(KubeTimestamp.microString(completed))
        var notes = JSONObject()
        if let decision { notes["authorization.k8s.io/decision"] = .string(decision) }
        for key in annotations.keys.sorted() { notes[key] = .string(annotations[key] ?? "") }
        if !notes.isEmpty { event["annotations"] = .object(notes) }
        return event
    }

    static func userJSON(_ user: UserInfo) -> JSON {
        var json: JSON = ["username": .string(user.name)]
        if !user.uid.isEmpty { json["uid"] = .string(user.uid) }
        json["groups"] = .array(user.groups.map { .string($0) })
        if !user.extra.isEmpty { json["extra"] = AccessReviews.extraJSON(user.extra) }
        return json
    }
}
