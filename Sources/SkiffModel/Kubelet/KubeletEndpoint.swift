/// The kubelet API (`/containerLogs/…`; exec, attach and port-forward next) as a request → response function that
/// knows no transport: the API server calls the embedded agent's endpoint in process, and the reverse tunnel carries
/// the same requests to agents behind NAT.
public protocol KubeletEndpoint: Sendable {
    func serve(_ request: KubeletRequest) async -> KubeletResponse
}

/// A kubelet API request: method, path and query, as kubelet's HTTP server routes them.
public struct KubeletRequest: Sendable, Equatable {
    public var method: String
    /// `/containerLogs/<namespace>/<pod>/<container>`
    public var path: String
    /// In order; a key may repeat.
    public var query: [(name: String, value: String)]

    public init(method: String = "GET", path: String, query: [(name: String, value: String)] = []) {
        self.method = method
        self.path = path
        self.query = query
    }

    public func value(_ name: String) -> String? { query.last { $0.name == name }?.value }

    public static func == (lhs: KubeletRequest, rhs: KubeletRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.query.map(\.name) == rhs.query.map(\.name)
            && lhs.query.map(\.value) == rhs.query.map(\.value)
    }
}

/// A kubelet API response: an HTTP status, a content type, and a body that may stream for as long as the caller reads
/// (`follow`). An error response carries its message as the body.
public struct KubeletResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, contentType: String = "text/plain", body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A whole body at once (errors, short answers).
    public static func text(_ status: Int, _ text: String) -> KubeletResponse {
        KubeletResponse(
            status: status,
            body: AsyncThrowingStream { continuation in
                continuation.yield(Array(text.utf8))
                continuation.finish()
            })
    }
}
