import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffClient
import SkiffPKI
import SkiffStore
import SkiffTesting
import Testing

@testable import SkiffCLI

/// The server's own certificates renew while it runs: past the end of the first serving and admin certificates, a
/// new connection verifies the server (the client checks its certificate's dates) and authenticates with the admin
/// certificate the renewal wrote, without a restart.
@Suite(.timeLimit(.minutes(1))) struct ServerCertificateRenewalTests {
    static let logger = Logger(label: "server-certificate-renewal-test")

    @Test func theServingAndAdminCertificatesAreRenewedWhileTheServerRuns() async throws {
        let directory = try TemporaryDirectory("skiff-server-renewal")
        defer { directory.remove() }
        // Seeded first: the 3 s the certificates live start counting when they are made, just before the server.
        let registry = ObjectRegistry(store: MemoryStore(), logger: Self.logger)
        try await registry.seed()
        let settings = ServerCertificateRenewal.Settings(
            directory: directory.file("tls"), names: try ServingNames(ServingNames.kubernetesAPIDefaults), lifetime: 3,
            kubeconfigPath: directory.file("kubeconfig"), kubeconfigMode: 0o600, server: "https://127.0.0.1:0")
        let pki = try settings.load()
        let firstEnd = min(pki.serving.certificate.notValidAfter, pki.admin.certificate.notValidAfter)
        let serving = try ServingCertificate(
            certificatePEM: pki.serving.certificatePEM + pki.serverCA.certificatePEM, keyPEM: pki.serving.privateKeyPEM)
        var configuration = APIServerConfiguration(
            host: "127.0.0.1", port: 0, servingCertificatePEM: pki.serving.certificatePEM,
            servingKeyPEM: pki.serving.privateKeyPEM, clientCAPEM: pki.clientCA.certificatePEM, joinSecret: nil,
            advertiseAddress: "127.0.0.1")
        configuration.servingCertificate = serving
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = APIServer(
            configuration: configuration, registry: registry, logger: Self.logger,
            onListening: { continuation.yield($0) })
        let renewal = ServerCertificateRenewal(settings: settings, serving: serving, loaded: pki, logger: Self.logger)
        let group = ServiceGroup(services: [server, renewal], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // The renewal writes a new admin certificate (at 70–90 % of the 3 s); wait for it (the suite's time
            // limit ends a hang), then for the first certificates to expire.
            let layout = ClusterPKI.Layout(directory: settings.directory)
            var adminCertificate = try String(contentsOfFile: layout.adminCertificate, encoding: .utf8)
            while (CertificateValidity.window(pem: adminCertificate)?.notValidAfter ?? firstEnd) <= firstEnd {
                try await Task.sleep(for: .milliseconds(50))
                adminCertificate = try String(contentsOfFile: layout.adminCertificate, encoding: .utf8)
            }
            let wait = Int64(firstEnd.timeIntervalSinceNow * 1000) + 300
            if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
            #expect(Date() > firstEnd, "the first certificates have expired")

            // A new client: a new connection, which verifies the server's certificate as served now, with the
            // admin certificate as it is on disk now.
            #expect((CertificateValidity.window(pem: adminCertificate)?.notValidAfter ?? firstEnd) > Date())
            try await HTTPClusterAPI.withAPI(
                server: "https://127.0.0.1:\(port)", trustedCAPEM: Array(pki.serverCA.certificatePEM.utf8),
                credentials: .clientCertificate(
                    certificatePEM: Array(adminCertificate.utf8),
                    keyPEM: Array(try String(contentsOfFile: layout.adminKey, encoding: .utf8).utf8)),
                logger: Self.logger
            ) { api in
                let namespaces = try await api.list(api.type("", "v1", "namespaces"), namespace: nil, options: .init())
                #expect(!namespaces.items.isEmpty)
            }
            let kubeconfig = try String(contentsOfFile: settings.kubeconfigPath, encoding: .utf8)
            #expect(kubeconfig.contains(Data(adminCertificate.utf8).base64EncodedString()), "the kubeconfig carries it")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
