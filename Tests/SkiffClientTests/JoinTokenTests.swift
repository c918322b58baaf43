import SkiffPKI
import Testing

@testable import SkiffClient

@Suite struct JoinTokenTests {
    static let pem = Array("-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n".utf8)
    static let hash = NodeToken.hashCA(pem: pem)

    @Test func parsesTheFullTokenTheServerWrites() throws {
        let token = try JoinToken(parsing: "K10\(Self.hash)::server:s3cret\n")
        #expect(token.caHash == Self.hash)
        #expect(token.secret == "s3cret")
        #expect(!token.description.contains("s3cret"), "the secret never reaches logs")
    }

    @Test func acceptsAnUppercaseHash() throws {
        let token = try JoinToken(parsing: "K10\(Self.hash.uppercased())::server:pw")
        #expect(token.caHash == Self.hash)
    }

    @Test(arguments: [
        ("s3cret", "does not pin the server's CA hash"),
        ("K10::server:s3cret", "does not pin the server's CA hash"),
        ("K10abc::server:s3cret", "64 hex digits"),
        ("K10\(String(repeating: "g", count: 64))::server:pw", "64 hex digits"),
        ("K10\(String(repeating: "a", count: 64))server:pw", "no '::'"),
        ("K10\(String(repeating: "a", count: 64))::server:", "password must not be empty"),
        ("   ", "must not be empty"),
    ])
    func refusesTokensThatCannotPinTheCA(text: String, message: String) {
        #expect {
            _ = try JoinToken(parsing: text)
        } throws: { error in
            guard let error = error as? ClientError else { return false }
            return error.code == .invalidToken && error.message.contains(message)
        }
    }

    @Test func acceptsTheCAWhoseHashIsPinned() throws {
        let token = try JoinToken(parsing: "K10\(Self.hash)::server:pw")
        try token.verify(caPEM: Self.pem)
    }

    @Test func refusesAnyOtherCA() throws {
        let token = try JoinToken(parsing: "K10\(Self.hash)::server:pw")
        var other = Self.pem
        other.append(UInt8(ascii: "\n"))  // one byte more: a different file
        #expect {
            try token.verify(caPEM: other)
        } throws: { error in
            guard let error = error as? ClientError else { return false }
            return error.code == .caHashMismatch && error.message.contains("CA hash")
                && error.message.contains(NodeToken.hashCA(pem: other))
        }
    }
}
