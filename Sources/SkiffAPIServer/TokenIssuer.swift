import SkiffModel
import SkiffPKI

/// Issues ServiceAccount tokens (TokenRequest): for `POST serviceaccounts/<name>/token` and, in process, for the
/// embedded agent's projected token volumes.
public enum TokenIssuer {
    /// The TokenRequest answer (with `status.token`) for `request` (a TokenRequest body).
    public static func issue(
        registry: ObjectRegistry, key: ServiceAccountKey, type: ResourceType, namespace: String, serviceAccount: String,
        request body: JSON
    ) async throws(APIError) -> JSON {
        let account = try await registry.getObject(type, namespace: namespace, name: serviceAccount)
        let spec = try TokenRequests.spec(
            body, apiAudiences: ServiceAccountKey.apiAudiences, serviceAccount: serviceAccount)
        var pod: ServiceAccountClaims.BoundObject?
        var secret: ServiceAccountClaims.BoundObject?
        if let bound = spec.boundObject, let resource = TokenRequests.bindableKinds[bound.kind],
            let boundType = registry.resources.lookup(group: "", version: "v1", resource: resource)
        {
            let object = try await registry.getObject(boundType, namespace: namespace, name: bound.name)
            let uid = object.uid ?? ""
            if let wanted = bound.uid, wanted != uid {
                throw APIError.conflict(
                    boundType, bound.name,
                    "the UID in the bound object reference (\(wanted)) does not match the UID in "
                        + "record. The object might have been deleted and then recreated")
            }
            let reference = ServiceAccountClaims.BoundObject(name: bound.name, uid: uid)
            if bound.kind == "Pod" { pod = reference } else { secret = reference }
        }
        let now = registry.now()
        let claims = ServiceAccountClaims(
            issuer: ServiceAccountKey.issuer, namespace: namespace, name: serviceAccount, uid: account.uid ?? "",
            audiences: spec.audiences, now: now, lifetime: spec.expirationSeconds, pod: pod, secret: secret)
        let token: String
        do {
            token = try key.sign(claims)
        } catch {
            throw APIError.internal("could not sign the token: \(error)")
        }
        return TokenRequests.response(
            namespace: namespace, serviceAccount: serviceAccount, spec: spec, token: token, now: now)
    }
}
