import Foundation
import Testing

@testable import SkiffModel

/// Bootstrap tokens as upstream's authenticator judges them: the Secret's type, id, secret, usage and expiration.
@Suite struct BootstrapTokenTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aRandomTokenRoundTripsAndItsSecretValidatesIt() throws {
        let token = BootstrapToken.random()
        #expect(BootstrapToken(token.description) == token)
        #expect(token.id.count == 6 && token.secret.count == 16)
        #expect(BootstrapToken.random() != token)
        let secret = token.secretObject(description: "for the shop floor", expiration: Self.now + 60)
        #expect(secret["metadata"]["name"].stringValue == "bootstrap-token-\(token.id)")
        #expect(secret["type"].stringValue == "bootstrap.kubernetes.io/token")
        #expect(token.groups(validatedBy: secret, now: Self.now) == ["system:bootstrappers:skiff:default-node-token"])
    }

    @Test func expiredWrongOrUnusableTokensAreNotValid() throws {
        let token = try #require(BootstrapToken("abcdef.0123456789abcdef"))
        let secret = token.secretObject(description: nil, expiration: Self.now + 60)
        #expect(token.groups(validatedBy: secret, now: Self.now + 60) == nil, "expired at its expiration")
        #expect(
            token.groups(validatedBy: token.secretObject(description: nil, expiration: nil), now: .distantFuture) != nil
        )
        let guessed = try #require(BootstrapToken("abcdef.0123456789abcdee"))
        #expect(guessed.groups(validatedBy: secret, now: Self.now) == nil, "another secret with the same id")
        var untyped = secret
        untyped["type"] = "Opaque"
        #expect(token.groups(validatedBy: untyped, now: Self.now) == nil)
        var signingOnly = secret
        signingOnly["data"]["usage-bootstrap-authentication"] = .string(Data("false".utf8).base64EncodedString())
        #expect(token.groups(validatedBy: signingOnly, now: Self.now) == nil)
        var extraGroups = secret
        extraGroups["data"]["auth-extra-groups"] = .string(
            Data("system:masters,system:bootstrappers:x".utf8).base64EncodedString())
        #expect(
            token.groups(validatedBy: extraGroups, now: Self.now) == ["system:bootstrappers:x"],
            "only bootstrapper groups")
        for text in ["abcdef0123456789abcdef", "abcdef.0123456789abcdef.x", "Abcdef.0123456789abcdef", ""] {
            #expect(BootstrapToken(text) == nil, "\(text)")
        }
    }
}
