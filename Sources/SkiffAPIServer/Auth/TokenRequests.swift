import Foundation
import SkiffModel
import SkiffPKI

/// `serviceaccounts/token` (authentication.k8s.io/v1 TokenRequest): validation, defaulting and the response, as
/// kube-apiserver's token REST does them. Pure: the handler looks up the objects and supplies the clock.
struct TokenRequests {
    /// The request after defaulting and validation.
    struct Spec: Equatable {
        var audiences: [String]
        var expirationSeconds: Int64
        /// `spec.boundObjectRef` as (kind, name, uid if given).
        var boundObject: (kind: String, name: String, uid: String?)?

        static func == (lhs: Spec, rhs: Spec) -> Bool {
            lhs.audiences == rhs.audiences && lhs.expirationSeconds == rhs.expirationSeconds
                && lhs.boundObject?.kind == rhs.boundObject?.kind && lhs.boundObject?.name == rhs.boundObject?.name
                && lhs.boundObject?.uid == rhs.boundObject?.uid
        }
    }

    static let defaultExpirationSeconds: Int64 = 3600
    static let minimumExpirationSeconds: Int64 = 600
    /// Kinds a token may be bound to (upstream also allows Node with a feature gate).
    static let bindableKinds = ["Pod": "pods", "Secret": "secrets"]

    /// Defaults and validates `body`: audiences default to the API audiences, the lifetime to an hour; under ten
    /// minutes or over 2^32 seconds is 422 Invalid with upstream's messages.
    static func spec(_ body: JSON, apiAudiences: [String], serviceAccount: String) throws(APIError) -> Spec {
        let spec = body["spec"]
        var audiences = (spec["audiences"].arrayValue ?? []).compactMap(\.stringValue)
        if audiences.isEmpty { audiences = apiAudiences }
        let seconds = spec["expirationSeconds"].int64Value ?? defaultExpirationSeconds
        var causes: [APIError.Cause] = []
        if seconds < minimumExpirationSeconds {
            causes.append(
                .init(
                    type: "FieldValueInvalid",
                    message: "Invalid value: \(seconds): may not specify a duration less than 10 minutes",
                    field: "spec.expirationSeconds"))
        }
        if seconds > Int64(UInt32.max) {
            causes.append(
                .init(
                    type: "FieldValueTooLong",
                    message: "Too long: may not specify a duration larger than 2^32 seconds",
                    field: "spec.expirationSeconds"))
        }
        guard causes.isEmpty else {
            let summary = causes.map { "\($0.field): \($0.message)" }
            throw APIError(
                code: 422, reason: "Invalid",
                message: "TokenRequest.authentication.k8s.io \"\(serviceAccount)\" is invalid: "
                    + (summary.count == 1 ? summary[0] : "[" + summary.joined(separator: ", ") + "]"),
                name: serviceAccount, group: "authentication.k8s.io", kind: "TokenRequest", causes: causes)
        }
        var bound: (kind: String, name: String, uid: String?)?
        let reference = spec["boundObjectRef"]
        if case .object = reference {
            let kind = reference["kind"].stringValue ?? ""
            guard bindableKinds[kind] != nil else {
                throw APIError.badRequest(
                    "cannot bind token for serviceaccount \"\(serviceAccount)\" to object of kind \"\(kind)\"")
            }
            let uid = reference["uid"].stringValue.flatMap { $0.isEmpty ? nil : $0 }
            bound = (kind, reference["name"].stringValue ?? "", uid)
        }
        return Spec(audiences: audiences, expirationSeconds: seconds, boundObject: bound)
    }

    /// The TokenRequest answered with `token`, expiring `spec.expirationSeconds` after `now`.
    static func response(
        namespace: String, serviceAccount: String, spec: Spec, token: String, now: Date
    ) -> JSON {
        var specJSON: JSON = [
            "audiences": .array(spec.audiences.map { .string($0) }), "expirationSeconds": .int(spec.expirationSeconds),
            "boundObjectRef": .null,
        ]
        if let bound = spec.boundObject {
            var reference: JSON = ["kind": .string(bound.kind), "apiVersion": "v1", "name": .string(bound.name)]
            if let uid = bound.uid { reference["uid"] = .string(uid) }
            specJSON["boundObjectRef"] = reference
        }
        let start = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        return [
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": [
                "name": .string(serviceAccount), "namespace": .string(namespace), "creationTimestamp": .null,
            ],
            "spec": specJSON,
            "status": [
                "token": .string(token),
                "expirationTimestamp": .string(
                    KubeTimestamp.string(start.addingTimeInterval(TimeInterval(spec.expirationSeconds)))),
            ],
        ]
    }
}
