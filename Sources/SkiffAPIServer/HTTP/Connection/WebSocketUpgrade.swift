import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// RFC 6455's opening handshake, server side, without I/O: whether a request asks for a WebSocket, which of its
/// subprotocols the server takes, and the 101 answer. The frames after it are NIOWebSocket's; the connection switches
/// to them in `APIHTTPHandler.upgradeToWebSocket`.
struct WebSocketUpgrade: Equatable {
    /// The client's `Sec-WebSocket-Key`.
    let key: String
    /// The subprotocols the client offered, in its order of preference.
    let protocols: [String]

    /// The upgrade `request` asks for; nil when it is not a WebSocket upgrade.
    init?(_ request: HTTPRequest) {
        guard request.method == .get, Self.tokens(request.headerFields[.upgrade]).contains("websocket"),
            Self.tokens(request.headerFields[.connection]).contains("upgrade"),
            let key = request.headerFields[.secWebSocketKey], !key.isEmpty
        else { return nil }
        self.key = key
        protocols = request.headerFields[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The client's first offered protocol that the server speaks.
    func choose(_ supported: [String]) -> String? {
        protocols.first { supported.contains($0) }
    }

    /// `Sec-WebSocket-Accept`: base64 of the SHA-1 of the key and the RFC's GUID.
    var accept: String {
        Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// The 101 answer, naming `subprotocol` when one was chosen.
    func response(subprotocol: String?) -> Response {
        var headers: HTTPFields = [.upgrade: "websocket", .connection: "Upgrade", .secWebSocketAccept: accept]
        if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
        return Response(status: .switchingProtocols, headers: headers)
    }

    /// The comma-separated, case-insensitive tokens of a header value.
    static func tokens(_ value: String?) -> [String] {
        (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
