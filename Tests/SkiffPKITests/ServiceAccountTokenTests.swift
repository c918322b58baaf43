import Foundation
import Testing

@testable import SkiffPKI

/// Requires `body` to throw a ServiceAccountTokenError with `code`.
func expectRefusal(
    _ code: ServiceAccountTokenError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    let error = #expect(throws: ServiceAccountTokenError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}

@Suite struct ServiceAccountTokenTests {
    // One key for the suite: RSA generation is slow in debug builds.
    static let key = try! ServiceAccountKey.generate()
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(
        audiences: [String] = ServiceAccountKey.apiAudiences, lifetime: Int64 = 3600,
        issuer: String = ServiceAccountKey.issuer
    ) -> ServiceAccountClaims {
        ServiceAccountClaims(
            issuer: issuer, namespace: "default", name: "builder", uid: "uid-1", audiences: audiences, now: now,
            lifetime: lifetime)
    }

    @Test func signsAndVerifiesUpstreamShapedTokens() throws {
        let token = try Self.key.sign(Self.claims())
        let jws = try CompactJWS(parsing: token)
        #expect(jws.algorithm == "RS256")
        #expect(jws.keyID == Self.key.keyID)
        let payload = try JSONSerialization.jsonObject(with: Data(jws.payload)) as! [String: Any]
        #expect(payload["iss"] as? String == "https://kubernetes.default.svc.cluster.local")
        #expect(payload["sub"] as? String == "system:serviceaccount:default:builder")
        #expect(payload["aud"] as? [String] == ["https://kubernetes.default.svc.cluster.local", "k3s"])
        #expect(payload["exp"] as? Int == 1_800_003_600)
        let kubernetes = payload["kubernetes.io"] as! [String: Any]
        #expect(kubernetes["namespace"] as? String == "default")
        #expect((kubernetes["serviceaccount"] as? [String: String]) == ["name": "builder", "uid": "uid-1"])

        let verified = try Self.key.verify(token, now: Self.now.addingTimeInterval(10))
        #expect(verified.serviceAccountName == "builder")
        #expect(
            verified.groups == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])
    }

    @Test func refusesATamperedPayloadOrSignature() throws {
        let token = try Self.key.sign(Self.claims())
        let parts = token.split(separator: ".").map(String.init)
        var forged = Self.claims()
        forged.kubernetes.namespace = "kube-system"
        forged.subject = "system:serviceaccount:kube-system:builder"
        let swapped = [parts[0], Base64URL.encode(forged.encoded()), parts[2]].joined(separator: ".")
        expectRefusal(.badSignature) { try Self.key.verify(swapped, now: Self.now) }

        var signature = Base64URL.decode(parts[2])!
        signature[7] ^= 0x01
        let flipped = [parts[0], parts[1], Base64URL.encode(signature)].joined(separator: ".")
        expectRefusal(.badSignature) { try Self.key.verify(flipped, now: Self.now) }

        let other = try ServiceAccountKey.generate()
        expectRefusal(.badSignature) {
            try Self.key.verify(try other.sign(Self.claims()), now: Self.now)
        }
    }

    @Test func refusesExpiredAndNotYetValidTokens() throws {
        let token = try Self.key.sign(Self.claims(lifetime: 600))
        expectRefusal(.expired) { _ = try Self.key.verify(token, now: Self.now.addingTimeInterval(600)) }
        expectRefusal(.notYetValid) { _ = try Self.key.verify(token, now: Self.now.addingTimeInterval(-3600)) }
        _ = try Self.key.verify(token, now: Self.now.addingTimeInterval(599))
    }

    @Test func refusesForeignAudienceAndIssuer() throws {
        let foreign = try Self.key.sign(Self.claims(audiences: ["vault"]))
        expectRefusal(.wrongAudience) { try Self.key.verify(foreign, now: Self.now) }
        // A token for k3s's second audience alone is accepted.
        _ = try Self.key.verify(try Self.key.sign(Self.claims(audiences: ["k3s"])), now: Self.now)
        let issuer = try Self.key.sign(Self.claims(issuer: "https://evil.example"))
        expectRefusal(.wrongIssuer) {
            try Self.key.verify(issuer, now: Self.now)
        }
    }

    @Test func refusesAlgNoneAndOtherAlgorithms() throws {
        let payload = Self.claims().encoded()
        let none = CompactJWS.signingInput(algorithm: "none", keyID: nil, payload: payload) + "."
        expectRefusal(.unsupportedAlgorithm) { try Self.key.verify(none, now: Self.now) }
        let hmac = CompactJWS.signingInput(algorithm: "HS256", keyID: nil, payload: payload) + ".c2ln"
        expectRefusal(.unsupportedAlgorithm) { try Self.key.verify(hmac, now: Self.now) }
    }

    @Test func refusesMalformedTokens() throws {
        let token = try Self.key.sign(Self.claims())
        let parts = token.split(separator: ".").map(String.init)
        for bad in [
            "", "abc", "a.b", "a.b.c.d", parts[0] + "." + parts[1],
            "!!!." + parts[1] + "." + parts[2],  // not base64url
            parts[0] + ".." + parts[2],  // empty payload
            Base64URL.encode(Array("[1]".utf8)) + "." + parts[1] + "." + parts[2],  // header not an object
            Base64URL.encode(Array("{}".utf8)) + "." + parts[1] + "." + parts[2],  // no alg
            parts[0] + "." + parts[1] + "." + parts[2] + "=",  // padding is not base64url
        ] {
            expectRefusal(.malformed) { _ = try Self.key.verify(bad, now: Self.now) }
        }
        // Well signed, but the claims are not a service account's.
        let input = CompactJWS.signingInput(
            algorithm: "RS256", keyID: nil, payload: Array(#"{"sub":"alice","exp":1900000000}"#.utf8))
        let notSA = try Self.key.signed(input: input)
        expectRefusal(.malformed) { _ = try Self.key.verify(notSA, now: Self.now) }
        var impostor = Self.claims()
        impostor.subject = "system:serviceaccount:kube-system:admin"
        expectRefusal(.notServiceAccount) { _ = try Self.key.verify(try Self.key.sign(impostor), now: Self.now) }
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
    }

    @Test func keyIsCreatedOnceAndReusedFromDisk() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/tls/service.key"
            let first = try ServiceAccountKey.loadOrCreate(path: path)
            #expect(first.created)
            #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
            let second = try ServiceAccountKey.loadOrCreate(path: path)
            #expect(!second.created)
            #expect(second.key.keyID == first.key.keyID)
            let token = try first.key.sign(Self.claims())
            _ = try second.key.verify(token, now: Self.now)

            try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: PKIError.self) { try ServiceAccountKey.loadOrCreate(path: path) }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "garbage")
        }
    }
}
