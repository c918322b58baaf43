import Foundation
import HTTPTypes
import Hummingbird
import SkiffModel

/// Who a request turned out to be, filled in as it is served, for its audit event.
struct AuditIdentity: Sendable {
    var user: UserInfo?
    var impersonated: UserInfo?
    /// Refused by authorization (403).
    var forbidden = false
    /// What admission noted for the audit log.
    var admission = AdmissionWarnings()
}

/// Builds a request's audit event from its route, identity and response.
enum AuditTrail {
    static func event(
        request: Request, route: APIRoute, identity: AuditIdentity, status: Int, sourceIP: String?, received: Date,
        completed: Date
    ) -> AuditEvent {
        let query = QueryParameters(request.uri.query)
        let watch = (try? query.bool("watch")) ?? false
        var verb = request.method.rawValue.lowercased()
        var objectRef: AuditEvent.ObjectRef?
        if case .resource(let resource) = route {
            verb = RequestAttributes.verb(method: request.method.rawValue, named: resource.name != nil, watch: watch)
            objectRef = AuditEvent.ObjectRef(
                resource: resource.resource, namespace: resource.namespace, name: resource.name,
                apiGroup: resource.group, apiVersion: resource.version, subresource: resource.subresource)
        }
        let decision: String? =
            identity.user == nil || status == 401 ? nil : identity.forbidden ? "forbid" : "allow"
        return AuditEvent(
            auditID: UUID().uuidString.lowercased(), stage: watch ? "ResponseStarted" : "ResponseComplete",
            requestURI: request.uri.description, verb: verb, user: identity.user,
            impersonatedUser: identity.impersonated, sourceIP: sourceIP, userAgent: request.headers[.userAgent],
            objectRef: objectRef, code: status, decision: decision, annotations: identity.admission.annotations,
            received: received, completed: completed)
    }
}
