import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffModel
import SkiffPKI
import Testing

/// Node identity at join against a real API server: a certificate request signed for `system:node:<name>`, the node
/// password that keeps the name, and the certificate as the node's credential afterwards.
@Suite(.timeLimit(.minutes(2))) struct NodeCertificateTests {
    @Test func aJoiningNodeGetsItsCertificateAndKeepsItsNameWithItsPassword() async throws {
        try await HTTPClusterAPITests.withServer { server in
            let join = try HTTPClusterAPITests.join(server)
            let ca = try await join.fetchCA()
            let request = try CertificateRequest(commonName: "system:node:edge-1")
            let chain = try await join.requestNodeCertificate(
                caPEM: ca, node: "edge-1", password: "first-machine-password", requestPEM: request.requestPEM)
            #expect(chain.contains("BEGIN CERTIFICATE"))

            // The certificate is the node's credential now: the server knows it as system:node:edge-1.
            try await HTTPClusterAPI.withAPI(
                server: server.url, trustedCAPEM: ca,
                credentials: .clientCertificate(certificatePEM: Array(chain.utf8), keyPEM: Array(request.privateKeyPEM.utf8)),
                logger: HTTPClusterAPITests.logger
            ) { api in
                let review: JSON = ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"]
                let answer = try await api.create(
                    api.type("authentication.k8s.io", "v1", "selfsubjectreviews"), namespace: nil, object: review,
                    fieldManager: "test")
                #expect(answer["status"]["userInfo"]["username"] == "system:node:edge-1")
                #expect(answer["status"]["userInfo"]["groups"].arrayValue?.contains("system:nodes") == true)

                // Its tunnel is registered for the node its certificate names, whatever name it claims.
                let (_, signal) = AsyncStream<Void>.makeStream()
                let dialer = TunnelDialer(
                    configuration: .init(
                        server: server.url, nodeName: "impostor", tls: api.tlsConfiguration, authorization: api.authorization),
                    endpoint: TunnelTests.FollowingKubelet(abandoned: signal), logger: HTTPClusterAPITests.logger)
                #expect(api.authorization == nil, "no token secret once the node has its certificate")
                let dialing = Task { await dialer.dial() }
                try await TunnelTests.waitFor(server, node: "edge-1", registered: true)
                #expect(server.kubelets.nodes == ["edge-1"])
                dialing.cancel()
                await dialing.value
            }

            // The same machine again (same password): a new certificate.
            let again = try CertificateRequest(commonName: "system:node:edge-1")
            _ = try await join.requestNodeCertificate(
                caPEM: ca, node: "edge-1", password: "first-machine-password", requestPEM: again.requestPEM)

            // Another machine with the token but not the password cannot take the name, and is told why.
            let stranger = try CertificateRequest(commonName: "system:node:edge-1")
            do throws(ClientError) {
                _ = try await join.requestNodeCertificate(
                    caPEM: ca, node: "edge-1", password: "second-machine-password", requestPEM: stranger.requestPEM)
                Issue.record("a second machine took the node name")
            } catch {
                #expect(error.code == .unauthorized)
                #expect(error.message.contains("node \"edge-1\" joined before with another node password"))
                #expect(error.message.contains("kube-system/edge-1.node-password.skiff"))
            }
        }
    }

    @Test func aNodeCertificateNeedsTheTokenAndAUsablePassword() async throws {
        try await HTTPClusterAPITests.withServer { server in
            let ca = try await HTTPClusterAPITests.join(server).fetchCA()
            let request = try CertificateRequest(commonName: "x")
            let wrongToken = try HTTPClusterAPITests.join(server, token: "K10" + (server.token.caHash ?? "") + "::server:wrong-secret")
            await #expect(throws: ClientError.self) {
                _ = try await wrongToken.requestNodeCertificate(
                    caPEM: ca, node: "edge-2", password: "a-long-enough-password", requestPEM: request.requestPEM)
            }
            let join = try HTTPClusterAPITests.join(server)
            do throws(ClientError) {
                _ = try await join.requestNodeCertificate(
                    caPEM: ca, node: "edge-2", password: "short", requestPEM: request.requestPEM)
                Issue.record("a short password was taken")
            } catch {
                #expect(error.message.contains("at least 16 characters"))
            }
        }
    }
}
