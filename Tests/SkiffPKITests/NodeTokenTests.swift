import Crypto
import Foundation
import Testing

@testable import SkiffPKI

@Suite struct NodeTokenTests {
    static let pem = Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8)

    @Test func formatsServerTokenLikeK3s() throws {
        let token = try NodeToken(caPEM: Self.pem, password: "0123456789abcdef0123456789abcdef")
        let expectedHash = SHA256.hash(data: Self.pem).map { String(format: "%02x", $0) }.joined()
        #expect(token.text == "K10\(expectedHash)::server:0123456789abcdef0123456789abcdef")
        #expect(token.caHash == expectedHash)
        #expect(!token.description.contains("0123456789abcdef0123456789abcdef"))
    }

    @Test func generatesSixteenRandomBytesAsHexWhenNoSecretIsGiven() throws {
        let first = try NodeToken(caPEM: Self.pem)
        let second = try NodeToken(caPEM: Self.pem)
        #expect(first.password.count == 32)
        #expect(first.password.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(first.password != second.password)
    }

    @Test func parsesFullTokensAndRoundTrips() throws {
        let hash = String(repeating: "ab", count: 32)
        let token = try NodeToken(parsing: "K10\(hash)::node:s3cr:et\n")
        #expect(token.caHash == hash)
        #expect(token.username == "node")
        #expect(token.password == "s3cr:et")
        #expect(try NodeToken(parsing: token.text) == token)

        let upper = try NodeToken(parsing: "K10\(hash.uppercased())::server:x")
        #expect(upper.caHash == hash)
    }

    @Test func bareAndHashlessTokensPinNothing() throws {
        let bare = try NodeToken(parsing: "  mysecret  ")
        #expect(bare.caHash == nil)
        #expect(bare.username == nil)
        #expect(bare.password == "mysecret")
        #expect(bare.text == "mysecret")
        #expect(bare.verifyCAHash(pem: Self.pem) == .notPinned)

        let hashless = try NodeToken(parsing: "K10:::pw")
        #expect(hashless.caHash == nil)
        #expect(hashless.username == nil)
        #expect(hashless.password == "pw")

        let userOnly = try NodeToken(parsing: "K10::node:pw")
        #expect(userOnly.caHash == nil)
        #expect(userOnly.username == "node")
        #expect(try NodeToken(parsing: userOnly.text) == userOnly)
    }

    /// `skiff token create`'s tokens: `K10<hash>::<id>.<secret>`, the whole `<id>.<secret>` sent as the bearer.
    @Test func parsesBootstrapTokensAndRoundTrips() throws {
        let hash = String(repeating: "ab", count: 32)
        let token = try NodeToken(parsing: "K10\(hash)::abcdef.0123456789abcdef")
        #expect(token.caHash == hash)
        #expect(token.username == nil)
        #expect(token.password == "abcdef.0123456789abcdef")
        #expect(token.text == "K10\(hash)::abcdef.0123456789abcdef")
        #expect(try NodeToken(parsing: token.text) == token)
        #expect(NodeToken.isBootstrapToken("abcdef.0123456789abcdef"))
        for shape in [
            "abcde.0123456789abcdef", "abcdef.0123456789abcde", "ABCDEF.0123456789abcdef", "abcdef-0123456789abcdef",
        ] {
            #expect(!NodeToken.isBootstrapToken(shape), "\(shape)")
        }
    }

    @Test(arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("K10abc", "'::'"),
        ("K10zz::server:pw", "64 hex"),
        ("K10\(String(repeating: "a", count: 63))::server:pw", "64 hex"),
        ("K10\(String(repeating: "g", count: 64))::server:pw", "64 hex"),
        ("K10\(String(repeating: "a", count: 64))::serverpw", "<user>:<password>"),
        ("K10\(String(repeating: "a", count: 64))::server:", "password must not be empty"),
    ])
    func malformedTokensGiveClearErrors(text: String, expected: String) {
        #expect {
            try NodeToken(parsing: text)
        } throws: { error in
            guard let error = error as? PKIError else { return false }
            return error.code == .invalidToken && error.message.contains(expected)
        }
    }

    @Test func verifiesCAHash() throws {
        let token = try NodeToken(caPEM: Self.pem, password: "pw")
        #expect(token.verifyCAHash(pem: Self.pem) == .matched)
        let other = Array("different".utf8)
        #expect(token.verifyCAHash(pem: other) == .mismatched(actual: NodeToken.hashCA(pem: other)))
    }

    @Test func comparesSecretsInConstantTimeHelper() throws {
        #expect(NodeToken.constantTimeEquals("abc", "abc"))
        #expect(!NodeToken.constantTimeEquals("abc", "abd"))
        #expect(!NodeToken.constantTimeEquals("abc", "abcd"))
        #expect(!NodeToken.constantTimeEquals("", "a"))
        #expect(NodeToken.constantTimeEquals("", ""))
        let token = try NodeToken(caPEM: Self.pem, password: "pw")
        #expect(token.passwordMatches("pw"))
        #expect(!token.passwordMatches("pW"))
    }

    @Test func rejectsUnusableCredentials() {
        #expect(throws: PKIError.self) { try NodeToken(caPEM: Self.pem, password: "") }
        #expect(throws: PKIError.self) { try NodeToken(caPEM: Self.pem, password: "has space") }
        #expect(throws: PKIError.self) { try NodeToken(caPEM: Self.pem, password: "pw", username: "a:b") }
        #expect(throws: PKIError.self) { try NodeToken(caHash: "nothex", username: "server", password: "pw") }
    }

    @Test func writesTokenFileAndNodeTokenLink() throws {
        try withTemporaryDirectory { dataDir in
            let files = NodeTokenFile(dataDirectory: dataDir)
            #expect(try files.read() == nil)
            let token = try files.loadOrCreate(caPEM: Self.pem)

            let content = try String(contentsOfFile: files.tokenPath, encoding: .utf8)
            #expect(content == token.text + "\n")
            #expect(try permissions(files.tokenPath) == 0o600)
            #expect(try permissions(dataDir + "/server") == 0o700)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: files.nodeTokenPath) == "token")
            #expect(try String(contentsOfFile: files.nodeTokenPath, encoding: .utf8) == content)

            // A restart keeps the secret; a new CA changes only the hash.
            let again = try files.loadOrCreate(caPEM: Self.pem)
            #expect(again == token)
            let rotated = try files.loadOrCreate(caPEM: Array("new ca".utf8))
            #expect(rotated.password == token.password)
            #expect(rotated.caHash == NodeToken.hashCA(pem: Array("new ca".utf8)))
            #expect(try files.read() == rotated)

            // An explicit --token secret wins over the stored one.
            let explicit = try files.loadOrCreate(caPEM: Self.pem, password: "chosen")
            #expect(explicit.password == "chosen")
            #expect(try files.read()?.password == "chosen")
        }
    }

    @Test func malformedTokenFileIsNamedAndKept() throws {
        try withTemporaryDirectory { dataDir in
            let files = NodeTokenFile(dataDirectory: dataDir)
            try FileManager.default.createDirectory(atPath: files.serverDirectory, withIntermediateDirectories: true)
            try writeText("K10nothex::server:pw\n", to: files.tokenPath)
            #expect {
                try files.loadOrCreate(caPEM: Self.pem)
            } throws: { error in
                (error as? PKIError)?.path == files.tokenPath
                    && (error as? PKIError)?.message.contains(files.tokenPath) == true
            }
            #expect(try String(contentsOfFile: files.tokenPath, encoding: .utf8) == "K10nothex::server:pw\n")
        }
    }
}
