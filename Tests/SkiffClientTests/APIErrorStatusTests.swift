import SkiffModel
import Testing

@testable import SkiffClient

@Suite struct APIErrorStatusTests {
    static let pods = ResourceRegistry().lookup(group: "", version: "v1", resource: "pods")!

    @Test(arguments: [
        APIError.notFound(pods, "web"),
        APIError.alreadyExists(pods, "web"),
        APIError.conflict(pods, "web"),
        APIError.invalid(
            pods, "web", [.init(type: "FieldValueRequired", message: "Required value", field: "spec.containers")]),
        APIError.expired("too old resource version: 1 (40)"),
        APIError.unauthorized,
        APIError(code: 429, reason: "TooManyRequests", message: "slow down", retryAfterSeconds: 3),
    ])
    func statusBodiesDecodeToTheErrorTheServerMeant(error: APIError) {
        let body = error.status.serialized()
        #expect(APIError(httpStatus: error.code, body: body) == error)
    }

    @Test func theHTTPCodeFillsInAMissingCode() {
        let status: JSON = [
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "gone", "reason": "Gone",
        ]
        let error = APIError(httpStatus: 410, body: status.serialized())
        #expect(error.code == 410)
        #expect(error.reason == "Gone")
        #expect(error.message == "gone")
    }

    @Test func aBodyThatIsNoStatusBecomesAGenericError() {
        let error = APIError(httpStatus: 503, body: Array("upstream connect error\n".utf8))
        #expect(error.code == 503)
        #expect(error.reason == "ServiceUnavailable")
        #expect(error.message.contains("upstream connect error"))
        let empty = APIError(httpStatus: 404, body: [])
        #expect(empty.reason == "NotFound")
    }

    @Test func aMissingReasonComesFromTheCode() {
        let status: JSON = ["kind": "Status", "message": "no", "code": 403]
        #expect(APIError(status: status, httpStatus: 403).reason == "Forbidden")
    }
}
