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
        let response = try await TokenIssuer.issue(
            registry: registry, key: key, type: type, namespace: namespace, serviceAccount: name, request: body)
        return APIResponder.json(.created, response)
    }
}
