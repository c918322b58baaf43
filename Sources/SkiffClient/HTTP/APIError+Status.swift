import Foundation
import SkiffModel

extension APIError {
    /// The error a server reported: its `Status` object when the body is one, otherwise a generic error for the HTTP
    /// status code with the start of the body as message (client-go's `NewGenericServerResponse`).
    public init(httpStatus: Int, body: [UInt8]) {
        if let parsed = try? JSONParser().parse(body), parsed.value["kind"].stringValue == "Status" {
            self.init(status: parsed.value, httpStatus: httpStatus)
            return
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = Self.reason(forCode: httpStatus)
        self.init(
            code: httpStatus, reason: reason,
            message: text.isEmpty
                ? "the server responded with status \(httpStatus) (\(reason))"
                : "the server responded with status \(httpStatus) (\(reason)): \(text)")
    }

    /// Decodes a `metav1.Status`; `httpStatus` fills in a missing `code`.
    public init(status: JSON, httpStatus: Int) {
        let code = status["code"].intValue ?? httpStatus
        let details = status["details"]
        let causes = (details["causes"].arrayValue ?? []).map { cause in
            Cause(
                type: cause["reason"].stringValue ?? "", message: cause["message"].stringValue ?? "",
                field: cause["field"].stringValue ?? "")
        }
        let reason = status["reason"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Self.reason(forCode: code)
        self.init(
            code: code, reason: reason, message: status["message"].stringValue ?? "", name: details["name"].stringValue,
            // StatusDetails' fields are omitempty: a kind without a group is the core group.
            group: details["group"].stringValue ?? (details["kind"].stringValue != nil ? "" : nil),
            kind: details["kind"].stringValue, causes: causes,
            retryAfterSeconds: details["retryAfterSeconds"].intValue)
    }

    /// The `StatusReason` upstream assigns to an HTTP code when the server gave none.
    static func reason(forCode code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 406: "NotAcceptable"
        case 409: "Conflict"
        case 410: "Expired"
        case 413: "RequestEntityTooLarge"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: "Unknown"
        }
    }

    /// The server could not be reached or the connection broke; callers retry.
    public static func unreachable(_ server: String, _ cause: any Error) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: "cannot reach \(server): \(cause)")
    }
}
