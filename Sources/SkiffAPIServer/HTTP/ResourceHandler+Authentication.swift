import Foundation
import Hummingbird
import SkiffModel
import SkiffPKI

extension ResourceHandler {
    /// POST `serviceaccounts/{name}/token`: 404 when the account (or the bound object) is missing, 201 with a signed
    /// token otherwise. The body is a TokenRequest, not a ServiceAccount, so strict field validation does not apply.
    func createToken(_ name: String, _ request: inout Request) async throws -> Response {
        guard let key = serviceAccountKey, let namespace else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let contentType = request.headers[.contentType]
        guard let mediaType = RequestBody.mediaType(contentType), [.json, .yaml, .protobuf].contains(mediaType) else {
            throw APIError.unsupportedMediaType(contentType ?? "")
        }
        let bytes = try await body(&request)
        let body = bytes.isEmpty ? JSON.emptyObject : try RequestBody.decode(bytes, as: mediaType).value
        let account = try await registry.getObject(type, namespace: namespace, name: name)
        let spec = try TokenRequests.spec(body, apiAudiences: ServiceAccountKey.apiAudiences, serviceAccount: name)
        var pod: ServiceAccountClaims.BoundObject?
        var secret: ServiceAccountClaims.BoundObject?
        if let bound = spec.boundObject, let resource = TokenRequests.bindableKinds[bound.kind],
            let boundType = registry.resources.lookup(group: "", version: "v1", resource: resource)
        {
            let object = try await registry.getObject(boundType, namespace: namespace, name: bound.name)
            let uid = object.uid ?? ""
            if let wanted = bound.uid, wanted != uid {
                throw APIError.conflict(
                    boundType, bound.name, "the UID in the bound object reference (\(wanted)) does not match the UID in "
                        + "record. The object might have been deleted and then recreated")
            }
            let reference = ServiceAccountClaims.BoundObject(name: bound.name, uid: uid)
            if bound.kind == "Pod" { pod = reference } else { secret = reference }
        }
        let now = registry.now()
        let claims = ServiceAccountClaims(
            issuer: ServiceAccountKey.issuer, namespace: namespace, name: name, uid: account.uid ?? "",
            audiences: spec.audiences, now: now, lifetime: spec.expirationSeconds, pod: pod, secret: secret)
        let token: String
        do {
            token = try key.sign(claims)
        } catch {
            throw APIError.internal("could not sign the token: \(error)")
        }
        return APIResponder.json(
            .created, TokenRequests.response(namespace: namespace, serviceAccount: name, spec: spec, token: token, now: now))
    }
}
