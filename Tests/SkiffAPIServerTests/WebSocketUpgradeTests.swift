import HTTPTypes
import Testing

@testable import SkiffAPIServer

/// The server side of RFC 6455's opening handshake, as exec, attach, port-forward and the tunnel use it.
struct WebSocketUpgradeTests {
    static func request(_ fields: HTTPFields, method: HTTPRequest.Method = .get) -> HTTPRequest {
        HTTPRequest(
            method: method, scheme: "https", authority: "127.0.0.1:6443", path: "/v1-skiff/connect",
            headerFields: fields)
    }

    @Test func theAcceptKeyIsRFC6455s() throws {
        // The RFC's own example (section 1.3).
        let upgrade = try #require(
            WebSocketUpgrade(
                Self.request([
                    .upgrade: "websocket", .connection: "Upgrade", .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
                ])))
        #expect(upgrade.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let response = upgrade.response(subprotocol: "v5.channel.k8s.io")
        #expect(response.status == .switchingProtocols)
        #expect(response.headers[.secWebSocketAccept] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headers[.secWebSocketProtocol] == "v5.channel.k8s.io")
        #expect(upgrade.response(subprotocol: nil).headers[.secWebSocketProtocol] == nil)
    }

    /// The client's order of preference wins among the protocols the server speaks; kubectl offers v5 only, the Python
    /// client v4 (or both, comma-separated).
    @Test func theFirstOfferedProtocolTheServerSpeaksIsChosen() throws {
        var fields: HTTPFields = [.upgrade: "websocket", .connection: "keep-alive, Upgrade", .secWebSocketKey: "k"]
        fields.append(HTTPField(name: .secWebSocketProtocol, value: "base64.channel.k8s.io, v4.channel.k8s.io"))
        fields.append(HTTPField(name: .secWebSocketProtocol, value: "v5.channel.k8s.io"))
        let upgrade = try #require(WebSocketUpgrade(Self.request(fields)))
        #expect(upgrade.protocols == ["base64.channel.k8s.io", "v4.channel.k8s.io", "v5.channel.k8s.io"])
        #expect(upgrade.choose(["v5.channel.k8s.io", "v4.channel.k8s.io"]) == "v4.channel.k8s.io")
        #expect(upgrade.choose(["SPDY/3.1+portforward.k8s.io"]) == nil)
    }

    @Test func requestsThatAreNotWebSocketUpgradesAreTold() {
        let key: HTTPFields = [.secWebSocketKey: "k"]
        #expect(WebSocketUpgrade(Self.request(key)) == nil, "no Upgrade header")
        #expect(
            WebSocketUpgrade(Self.request([.upgrade: "websocket", .secWebSocketKey: "k"])) == nil,
            "no Connection: upgrade")
        #expect(
            WebSocketUpgrade(Self.request([.upgrade: "SPDY/3.1", .connection: "Upgrade", .secWebSocketKey: "k"])) == nil
        )
        #expect(WebSocketUpgrade(Self.request([.upgrade: "websocket", .connection: "Upgrade"])) == nil, "no key")
        #expect(
            WebSocketUpgrade(
                Self.request([.upgrade: "websocket", .connection: "Upgrade", .secWebSocketKey: "k"], method: .post))
                == nil)
    }
}
