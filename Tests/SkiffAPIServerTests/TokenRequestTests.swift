import Foundation
import SkiffModel
import SkiffPKI
import Testing

@testable import SkiffAPIServer

@Suite struct TokenRequestTests {
    static let audiences = ServiceAccountKey.apiAudiences

    @Test func defaultsAudiencesAndLifetime() throws {
        let spec = try TokenRequests.spec(
            ["spec": .emptyObject], apiAudiences: Self.audiences, serviceAccount: "default")
        #expect(spec.audiences == Self.audiences)
        #expect(spec.expirationSeconds == 3600)
        #expect(spec.boundObject == nil)
        let empty = try TokenRequests.spec(.emptyObject, apiAudiences: Self.audiences, serviceAccount: "default")
        #expect(empty == spec)
    }

    @Test func keepsRequestedAudiencesAndLifetime() throws {
        let spec = try TokenRequests.spec(
            ["spec": ["audiences": ["vault"], "expirationSeconds": 7200]], apiAudiences: Self.audiences,
            serviceAccount: "default")
        #expect(spec.audiences == ["vault"])
        #expect(spec.expirationSeconds == 7200)
    }

    @Test func refusesLifetimesOutsideUpstreamBounds() {
        for (seconds, text) in [
            (599, "may not specify a duration less than 10 minutes"), (4_294_967_296, "larger than 2^32"),
        ] {
            do {
                _ = try TokenRequests.spec(
                    ["spec": ["expirationSeconds": .int(Int64(seconds))]], apiAudiences: Self.audiences,
                    serviceAccount: "default")
                Issue.record("\(seconds) accepted")
            } catch {
                #expect(error.code == 422)
                #expect(
                    error.message.hasPrefix(
                        "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds"))
                #expect(error.message.contains(text), "\(error.message)")
            }
        }
    }

    @Test func bindsOnlyToPodsAndSecrets() throws {
        let pod = try TokenRequests.spec(
            ["spec": ["boundObjectRef": ["kind": "Pod", "apiVersion": "v1", "name": "web-0", "uid": "u1"]]],
            apiAudiences: Self.audiences, serviceAccount: "default")
        #expect(pod.boundObject?.kind == "Pod" && pod.boundObject?.name == "web-0" && pod.boundObject?.uid == "u1")
        #expect(throws: APIError.self) {
            try TokenRequests.spec(
                ["spec": ["boundObjectRef": ["kind": "ConfigMap", "name": "x"]]], apiAudiences: Self.audiences,
                serviceAccount: "default")
        }
    }

    @Test func responseCarriesTokenAndExpiration() {
        let spec = TokenRequests.Spec(audiences: ["k3s"], expirationSeconds: 600, boundObject: nil)
        let response = TokenRequests.response(
            namespace: "default", serviceAccount: "builder", spec: spec, token: "t.o.k",
            now: Date(timeIntervalSince1970: 1_800_000_000.7))
        #expect(response["kind"].stringValue == "TokenRequest")
        #expect(response["apiVersion"].stringValue == "authentication.k8s.io/v1")
        #expect(response["status"]["token"].stringValue == "t.o.k")
        #expect(response["status"]["expirationTimestamp"].stringValue == "2027-01-15T08:10:00Z")
        #expect(response["metadata"]["namespace"].stringValue == "default")
    }

    @Test func onlyJWTShapedBearerTokensGoToTheServiceAccountAuthenticator() {
        #expect(ServiceAccountTokenAuthenticator.looksLikeJWT("a.b.c"))
        #expect(!ServiceAccountTokenAuthenticator.looksLikeJWT("K10abc::server:secret"))
        #expect(!ServiceAccountTokenAuthenticator.looksLikeJWT("secret"))
    }

    @Test func authenticatesLiveServiceAccountsAndRevokesDeletedOnes() async throws {
        let key = try ServiceAccountKey.generate()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let claims = ServiceAccountClaims(
            issuer: ServiceAccountKey.issuer, namespace: "apps", name: "builder", uid: "uid-1",
            audiences: Self.audiences, now: now, lifetime: 3600)
        let token = try key.sign(claims)
        func authenticator(_ uid: String?) -> Authenticator {
            Authenticator(
                joinSecret: "secret",
                serviceAccounts: ServiceAccountTokenAuthenticator(
                    key: key,
                    liveUID: { resource, namespace, name in
                        resource == "serviceaccounts" && namespace == "apps" && name == "builder" ? uid : nil
                    }, now: { now }, logger: .init(label: "test")))
        }
        let user = await authenticator("uid-1").authenticate(peerCertificate: nil, authorization: "Bearer " + token)
        #expect(
            user
                == UserInfo(
                    name: "system:serviceaccount:apps:builder",
                    groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
                    uid: "uid-1"))
        #expect(await authenticator(nil).authenticate(peerCertificate: nil, authorization: "Bearer " + token) == nil)
        #expect(
            await authenticator("uid-2").authenticate(peerCertificate: nil, authorization: "Bearer " + token) == nil)
        // The join secret still works beside service account tokens.
        #expect(
            await authenticator(nil).authenticate(peerCertificate: nil, authorization: "Bearer secret")?.name == "node")
        let dotted = Authenticator(
            joinSecret: "my.join.secret",
            serviceAccounts: ServiceAccountTokenAuthenticator(
                key: key, liveUID: { _, _, _ in nil }, now: { now }, logger: .init(label: "test")))
        #expect(await dotted.authenticate(peerCertificate: nil, authorization: "Bearer my.join.secret")?.name == "node")
        #expect(await dotted.authenticate(peerCertificate: nil, authorization: "Bearer my.join.secreT") == nil)
    }
}
