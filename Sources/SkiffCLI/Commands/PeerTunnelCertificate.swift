import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffPKI
import Synchronization

/// The client certificate a server's embedded node presents on its tunnels to the other servers (several servers on
/// one datastore): `system:node:<node>` in `system:nodes`, signed here with the client CA every server shares — the
/// identity a remote agent gets from the node-certificate endpoint. Issued again at 80 % of its lifetime; the tunnels'
/// next connections present the new one.
final class PeerTunnelCertificate: Service, Sendable {
    let clientCA: CertificateAuthority
    let node: String
    /// The dialers' TLS: the cluster's server CA, and the current certificate.
    let tls: ClientTLS
    let logger: Logger
    let now: @Sendable () -> Date

    init(
        clientCA: CertificateAuthority, serverCAPEM: String, node: String, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.clientCA = clientCA
        self.node = node
        self.logger = logger
        self.now = now
        let issued = try Self.issue(clientCA, node: node, at: now())
        tls = try ClientTLS(
            trustedCAPEM: Array(serverCAPEM.utf8), certificatePEM: Array(issued.certificatePEM.utf8),
            keyPEM: Array(issued.privateKeyPEM.utf8))
        expiry = Mutex(issued.certificate.notValidAfter)
        issuedAt = Mutex(now())
    }

    private let expiry: Mutex<Date>
    private let issuedAt: Mutex<Date>

    static func issue(_ clientCA: CertificateAuthority, node: String, at time: Date) throws -> CertificateKeyPair {
        try clientCA.issueClientCertificate(
            commonName: "system:node:\(node)", organizations: ["system:nodes"], now: time)
    }

    /// When the certificate issued at `issued`, valid until `expiry`, is due again.
    static func renewal(issued: Date, expiry: Date) -> Date {
        issued.addingTimeInterval(expiry.timeIntervalSince(issued) * 0.8)
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let due = Self.renewal(issued: self.issuedAt.withLock { $0 }, expiry: self.expiry.withLock { $0 })
                let wait = max(due.timeIntervalSince(self.now()), 1)
                try await Task.sleep(for: .seconds(wait))
                do {
                    try self.renew()
                } catch {
                    self.logger.error(
                        "cannot renew the node's certificate for its tunnels to the other servers",
                        metadata: ["node": "\(self.node)", "error": "\(error)"])
                    try await Task.sleep(for: .seconds(60))
                }
            }
        }
    }

    /// Issues a new certificate and presents it from the next connection on.
    func renew() throws {
        let time = now()
        let issued = try Self.issue(clientCA, node: node, at: time)
        try tls.useClientCertificate(
            certificatePEM: Array(issued.certificatePEM.utf8), keyPEM: Array(issued.privateKeyPEM.utf8))
        expiry.withLock { $0 = issued.certificate.notValidAfter }
        issuedAt.withLock { $0 = time }
        logger.info(
            "renewed the node's certificate for its tunnels to the other servers",
            metadata: ["node": "\(node)", "until": "\(issued.certificate.notValidAfter)"])
    }
}
