import Foundation
import Logging
import SkiffAgent
import SkiffClient
import SkiffPKI
import Testing

@testable import SkiffCLI

/// A server's embedded node dials the other servers with a certificate its own server signs: another server (same
/// client CA) takes it as that node's tunnel, before and after a renewal.
@Suite(.timeLimit(.minutes(1))) struct PeerTunnelCertificateTests {
    @Test func renewalIsDueAtEightyPercentOfTheLifetime() {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(PeerTunnelCertificate.renewal(issued: issued, expiry: issued + 1000) == issued + 800)
    }

    @Test func anotherServerTakesTheTunnelAsTheNodesBeforeAndAfterARenewal() async throws {
        try await HTTPClusterAPITests.withServer { server in
            let certificate = try PeerTunnelCertificate(
                clientCA: server.pki.clientCA, serverCAPEM: server.pki.serverCA.certificatePEM, node: "emb-1",
                logger: HTTPClusterAPITests.logger)
            func dialUntilRegistered() async throws {
                let (_, signal) = AsyncStream<Void>.makeStream()
                let dialer = TunnelDialer(
                    configuration: .init(
                        server: server.url, nodeName: "emb-1", tls: certificate.tls, authorization: nil,
                        backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))),
                    endpoint: TunnelTests.FollowingKubelet(abandoned: signal), logger: HTTPClusterAPITests.logger)
                let dialing = Task { await dialer.dial() }
                try await TunnelTests.waitFor(server, node: "emb-1", registered: true)
                dialing.cancel()
                await dialing.value
                try await TunnelTests.waitFor(server, node: "emb-1", registered: false)
            }
            try await dialUntilRegistered()
            let before = certificate.tls.current.certificateChain
            try certificate.renew()
            #expect(
                "\(certificate.tls.current.certificateChain)" != "\(before)", "the renewal presents a new certificate")
            try await dialUntilRegistered()
        }
    }
}
