import Foundation
import SkiffAPIServer
import SkiffClient
import SkiffModel
import SkiffPKI
import SkiffTesting
import Testing

@testable import SkiffAgent

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
                credentials: .clientCertificate(
                    certificatePEM: Array(chain.utf8), keyPEM: Array(request.privateKeyPEM.utf8)),
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
                        server: server.url, nodeName: "impostor", tls: api.tls, authorization: api.authorization),
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
            let wrongToken = try HTTPClusterAPITests.join(
                server, token: "K10" + (server.token.caHash ?? "") + "::server:wrong-secret")
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

    /// Runs `body` as node `name`, with a certificate the server signs at join.
    static func asNode<T: Sendable>(
        _ server: HTTPClusterAPITests.Server, _ name: String, _ body: (HTTPClusterAPI) async throws -> T
    ) async throws -> T {
        let join = try HTTPClusterAPITests.join(server)
        let ca = try await join.fetchCA()
        let request = try CertificateRequest(commonName: "system:node:\(name)", organizations: ["system:nodes"])
        let chain = try await join.requestNodeCertificate(
            caPEM: ca, node: name, password: "password-of-\(name)-machine", requestPEM: request.requestPEM)
        return try await HTTPClusterAPI.withAPI(
            server: server.url, trustedCAPEM: ca,
            credentials: .clientCertificate(
                certificatePEM: Array(chain.utf8), keyPEM: Array(request.privateKeyPEM.utf8)),
            logger: HTTPClusterAPITests.logger, body)
    }

    static func pod(_ name: String, node: String, secret: String, configMap: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
            "spec": [
                "nodeName": .string(node),
                "containers": [
                    [
                        "name": "app", "image": "busybox",
                        "env": [
                            ["name": "K", "valueFrom": ["configMapKeyRef": ["name": .string(configMap), "key": "k"]]]
                        ],
                    ]
                ],
                "volumes": [["name": "s", "secret": ["secretName": .string(secret)]]],
            ],
        ]
    }

    /// A node's certificate reads the secrets and configMaps of the pods bound to it and writes its own Node, its own
    /// Lease and its own pods' status: another node's objects are refused with upstream's message.
    @Test func aNodeCertificateReachesOnlyWhatItsPodsNeed() async throws {
        try await HTTPClusterAPITests.withServer { server in
            // Setup as the cluster admin.
            try await HTTPClusterAPITests.withAdmin(server) { admin in
                let secrets = admin.type("", "v1", "secrets")
                let configMaps = admin.type("", "v1", "configmaps")
                for name in ["a-secret", "b-secret"] {
                    _ = try await admin.create(
                        secrets, namespace: "default",
                        object: ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name)]],
                        fieldManager: "t")
                }
                for name in ["a-config", "b-config"] {
                    _ = try await admin.create(
                        configMaps, namespace: "default",
                        object: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)]],
                        fieldManager: "t")
                }
                let pods = admin.type("", "v1", "pods")
                _ = try await admin.create(
                    pods, namespace: "default",
                    object: Self.pod("a", node: "edge-a", secret: "a-secret", configMap: "a-config"),
                    fieldManager: "t")
                _ = try await admin.create(
                    pods, namespace: "default",
                    object: Self.pod("b", node: "edge-b", secret: "b-secret", configMap: "b-config"),
                    fieldManager: "t")
            }
            try await Self.asNode(server, "edge-a") { api in
                let secrets = api.type("", "v1", "secrets")
                let configMaps = api.type("", "v1", "configmaps")
                let pods = api.type("", "v1", "pods")
                let nodes = api.type("", "v1", "nodes")
                let leases = api.type("coordination.k8s.io", "v1", "leases")
                #expect(try await api.get(secrets, namespace: "default", name: "a-secret").name == "a-secret")
                #expect(try await api.get(configMaps, namespace: "default", name: "a-config").name == "a-config")
                #expect(
                    try await api.list(pods, namespace: nil, options: ListOptions()).items.count == 2,
                    "pods are read by all")

                func refused(_ expected: String, _ call: () async throws(APIError) -> Void) async {
                    do throws(APIError) {
                        try await call()
                        Issue.record("allowed: \(expected)")
                    } catch {
                        #expect(error.code == 403, "\(error)")
                        #expect(error.message == expected)
                    }
                }
                await refused(
                    "secrets \"b-secret\" is forbidden: User \"system:node:edge-a\" cannot get resource \"secrets\" in API "
                        + "group \"\" in the namespace \"default\": no relationship found between node 'edge-a' and this object"
                ) { () async throws(APIError) in _ = try await api.get(secrets, namespace: "default", name: "b-secret")
                }
                await refused(
                    "configmaps \"b-config\" is forbidden: User \"system:node:edge-a\" cannot get resource \"configmaps\" in "
                        + "API group \"\" in the namespace \"default\": no relationship found between node 'edge-a' and this object"
                ) { () async throws(APIError) in
                    _ = try await api.get(configMaps, namespace: "default", name: "b-config")
                }
                await refused(
                    "secrets is forbidden: User \"system:node:edge-a\" cannot list resource \"secrets\" in API group \"\" in "
                        + "the namespace \"default\": a node may only get single objects its pods refer to"
                ) { () async throws(APIError) in
                    _ = try await api.list(secrets, namespace: "default", options: ListOptions())
                }

                // Pod status: its own pod's, not another node's.
                let status: JSON = ["status": ["message": "seen by edge-a"]]
                _ = try await api.patch(
                    pods, namespace: "default", name: "a", patch: status, patchType: .merge, subresource: "status",
                    fieldManager: "t")
                await refused(
                    "pods \"b\" is forbidden: User \"system:node:edge-a\" cannot patch resource \"pods/status\" in API group "
                        + "\"\" in the namespace \"default\": no relationship found between node 'edge-a' and this object"
                ) { () async throws(APIError) in
                    _ = try await api.patch(
                        pods, namespace: "default", name: "b", patch: status, patchType: .merge, subresource: "status",
                        fieldManager: "t")
                }
                await refused(
                    "pods \"b\" is forbidden: User \"system:node:edge-a\" cannot delete resource \"pods\" in API group \"\" "
                        + "in the namespace \"default\": no relationship found between node 'edge-a' and this object"
                ) { () async throws(APIError) in
                    try await api.delete(pods, namespace: "default", name: "b", options: .emptyObject)
                }

                // Its own Node and Lease only.
                let node: JSON = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "edge-a"]]
                _ = try await api.create(nodes, namespace: nil, object: node, fieldManager: "t")
                var other = node
                other["metadata"]["name"] = "edge-b"
                await refused(
                    "nodes \"edge-b\" is forbidden: User \"system:node:edge-a\" cannot create resource \"nodes\" in API group "
                        + "\"\" at the cluster scope: node 'edge-a' cannot create node 'edge-b'"
                ) { () async throws(APIError) in
                    _ = try await api.create(nodes, namespace: nil, object: other, fieldManager: "t")
                }
                let lease: JSON = [
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "edge-b"],
                    "spec": ["holderIdentity": "edge-b"],
                ]
                await refused(
                    "leases.coordination.k8s.io \"edge-b\" is forbidden: User \"system:node:edge-a\" cannot create resource "
                        + "\"leases\" in API group \"coordination.k8s.io\" in the namespace \"kube-node-lease\": node 'edge-a' "
                        + "cannot create the lease of node 'edge-b'"
                ) { () async throws(APIError) in
                    _ = try await api.create(leases, namespace: "kube-node-lease", object: lease, fieldManager: "t")
                }
            }
            // The other node reads its own pod's secret.
            try await Self.asNode(server, "edge-b") { api in
                let secret = try await api.get(api.type("", "v1", "secrets"), namespace: "default", name: "b-secret")
                #expect(secret.name == "b-secret")
            }
        }
    }

    /// A bootstrap token joins (a node certificate) and does nothing else; once deleted or expired it joins nothing,
    /// while the node that joined with it renews its certificate on its own authority.
    @Test func aBootstrapTokenOnlyJoinsAndTheNodeOutlivesIt() async throws {
        try await HTTPClusterAPITests.withServer { server in
            let token = BootstrapToken.random()
            let expired = BootstrapToken.random()
            try await HTTPClusterAPITests.withAdmin(server) { admin in
                let secrets = admin.type("", "v1", "secrets")
                _ = try await admin.create(
                    secrets, namespace: "kube-system", object: token.secretObject(description: "test", expiration: nil),
                    fieldManager: "t")
                _ = try await admin.create(
                    secrets, namespace: "kube-system",
                    object: expired.secretObject(description: nil, expiration: Date().addingTimeInterval(-1)),
                    fieldManager: "t")
            }
            let caHash = try #require(server.token.caHash)
            let join = try HTTPClusterAPITests.join(server, token: "K10\(caHash)::\(token)")
            let ca = try await join.fetchCA()

            // Joining: the certificate is issued.
            let directory = try TemporaryDirectory("skiff-bootstrap-node")
            defer { directory.remove() }
            let identity = NodeIdentity(
                directory: directory.path, nodeName: "edge-boot", logger: HTTPClusterAPITests.logger)
            let credentials = try await identity.credentials(join: join, caPEM: ca)
            guard case .clientCertificate = credentials else {
                Issue.record("no certificate from a bootstrap token: \(credentials)")
                return
            }
            // Nothing else: the API refuses the bootstrap token's user.
            try await HTTPClusterAPI.withAPI(
                server: server.url, trustedCAPEM: ca, credentials: .bearerToken(token.description),
                logger: HTTPClusterAPITests.logger
            ) { api in
                do throws(APIError) {
                    _ = try await api.list(api.type("", "v1", "nodes"), namespace: nil, options: ListOptions())
                    Issue.record("a bootstrap token reached the API")
                } catch {
                    #expect(error.code == 403)
                    #expect(
                        error.message.contains("User \"system:bootstrap:\(token.id)\" cannot list resource \"nodes\""))
                }
            }

            // An expired token joins nothing.
            let late = try HTTPClusterAPITests.join(server, token: "K10\(caHash)::\(expired)")
            let request = try CertificateRequest(commonName: "system:node:edge-late")
            await #expect(throws: ClientError.self) {
                _ = try await late.requestNodeCertificate(
                    caPEM: ca, node: "edge-late", password: "a-long-enough-password", requestPEM: request.requestPEM)
            }

            // The token is deleted: it joins nothing more, but the node renews with its own certificate.
            try await HTTPClusterAPITests.withAdmin(server) { admin in
                try await admin.delete(
                    admin.type("", "v1", "secrets"), namespace: "kube-system", name: token.secretName,
                    options: .emptyObject)
            }
            await #expect(throws: ClientError.self) {
                _ = try await join.requestNodeCertificate(
                    caPEM: ca, node: "edge-other", password: "a-long-enough-password", requestPEM: request.requestPEM)
            }
            let before = try String(contentsOfFile: identity.certificatePath, encoding: .utf8)
            guard case .clientCertificate = try await identity.credentials(join: join, caPEM: ca) else {
                Issue.record("the joined node lost its certificate with the token")
                return
            }
            #expect(
                try String(contentsOfFile: identity.certificatePath, encoding: .utf8) != before, "a new certificate")
        }
    }

    /// While the agent runs, its certificate is renewed before it ends: once the first one has expired, a new
    /// connection (the tunnel) still authenticates, with the renewed certificate, which is also kept on disk.
    @Test func aRunningNodeRenewsItsCertificateBeforeItExpires() async throws {
        try await HTTPClusterAPITests.withServer(nodeCertificateValidity: 4) { server in
            let join = try HTTPClusterAPITests.join(server)
            let ca = try await join.fetchCA()
            let directory = try TemporaryDirectory("skiff-renewing-node")
            defer { directory.remove() }
            let identity = NodeIdentity(
                directory: directory.path, nodeName: "edge-renew", logger: HTTPClusterAPITests.logger)
            let credentials = try await identity.credentials(join: join, caPEM: ca)
            let first = try String(contentsOfFile: identity.certificatePath, encoding: .utf8)
            let end = try #require(CertificateValidity.window(pem: first)).notValidAfter
            try await HTTPClusterAPI.withAPI(
                server: server.url, trustedCAPEM: ca, credentials: credentials, logger: HTTPClusterAPITests.logger
            ) { api in
                let renewal = Task {
                    try await NodeCertificateRenewal(
                        identity: identity, join: join, caPEM: ca, tls: api.tls, logger: HTTPClusterAPITests.logger
                    ).run()
                }
                defer { renewal.cancel() }
                try await Task.sleep(for: .milliseconds(Int64(end.timeIntervalSinceNow * 1000) + 500))
                #expect(Date() > end, "the first certificate has expired")
                let (_, signal) = AsyncStream<Void>.makeStream()
                let dialer = TunnelDialer(
                    configuration: .init(server: server.url, nodeName: "edge-renew", tls: api.tls, authorization: nil),
                    endpoint: TunnelTests.FollowingKubelet(abandoned: signal), logger: HTTPClusterAPITests.logger)
                let dialing = Task { await dialer.dial() }
                defer { dialing.cancel() }
                let deadline = Date().addingTimeInterval(10)
                while server.kubelets.endpoint(for: "edge-renew") == nil, Date() < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(server.kubelets.endpoint(for: "edge-renew") != nil, "a new connection authenticates")
                let now = try String(contentsOfFile: identity.certificatePath, encoding: .utf8)
                #expect(now != first, "the renewed certificate is kept on disk")
                #expect((CertificateValidity.window(pem: now)?.notValidAfter ?? end) > end)
            }
        }
    }

    @Test func renewalIsDueBetween70And90PercentOfTheLifetimeSinceItWasObtained() {
        let obtained = Date(timeIntervalSince1970: 1_800_000_000)
        // The signer backdates notValidBefore by an hour; the lifetime that counts starts when it was obtained.
        let validity = (
            notValidBefore: obtained.addingTimeInterval(-3600), notValidAfter: obtained.addingTimeInterval(100)
        )
        #expect(
            NodeCertificateRenewal.renewalTime(obtained: obtained, validity: validity, fraction: 0.7) == obtained + 70)
        #expect(
            NodeCertificateRenewal.renewalTime(obtained: obtained, validity: validity, fraction: 0.9) == obtained + 90)
        let old = (notValidBefore: obtained.addingTimeInterval(10), notValidAfter: obtained.addingTimeInterval(110))
        #expect(NodeCertificateRenewal.renewalTime(obtained: obtained, validity: old, fraction: 0.7) == obtained + 80)
    }
}
