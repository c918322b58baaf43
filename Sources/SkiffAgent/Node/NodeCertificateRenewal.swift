import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import SkiffPKI

/// Renews the node's client certificate while the agent runs, as client-go's certificate manager does: at a random
/// point between 70 % and 90 % of its lifetime, the agent asks for a new one with the current one (no token needed),
/// keeps it on disk and hands it to the TLS its API client and tunnel open connections with. Open connections keep
/// the certificate they were opened with; every new one presents the new certificate. A refused or failed renewal is
/// retried (every 10 s, or sooner near the end) until the certificate expires; the agent then keeps running on its
/// open connections and gets a new certificate at its next start.
struct NodeCertificateRenewal: Service {
    let identity: NodeIdentity
    let join: ClusterJoin
    let caPEM: [UInt8]
    let tls: ClientTLS
    let logger: Logger
    /// What it waits on (certificate dates are wall-clock; the waits between them are not).
    var clock: ServiceClock = .continuous
    /// When the agent got the certificate it starts with: now for one just issued, the file's time for one kept from
    /// an earlier run (a kept certificate well into its life is renewed at once, not a full lifetime later).
    var obtained: Date? = nil

    /// When to renew a certificate valid over `validity`, obtained at `obtained`: `fraction` (0.7–0.9) of the way
    /// from the later of the two starts to the end. The signer backdates `notValidBefore` for clock skew, so the
    /// lifetime that counts starts when the agent got the certificate.
    static func renewalTime(obtained: Date, validity: (notValidBefore: Date, notValidAfter: Date), fraction: Double)
        -> Date
    {
        let start = max(obtained, validity.notValidBefore)
        return start.addingTimeInterval(validity.notValidAfter.timeIntervalSince(start) * fraction)
    }

    func run() async throws {
        var obtained = self.obtained ?? Date()
        while !Task.isCancelled {
            guard let pem = try? String(contentsOfFile: identity.certificatePath, encoding: .utf8),
                let validity = CertificateValidity.window(pem: pem)
            else {
                logger.warning("no node certificate to renew", metadata: ["file": "\(identity.certificatePath)"])
                return
            }
            let due = Self.renewalTime(obtained: obtained, validity: validity, fraction: Double.random(in: 0.7...0.9))
            guard await sleep(until: due) else { return }
            while !Task.isCancelled {
                do {
                    let renewed = try await identity.renew(join: join, caPEM: caPEM)
                    try tls.useClientCertificate(certificatePEM: renewed.certificatePEM, keyPEM: renewed.keyPEM)
                    obtained = Date()
                    let expires = CertificateValidity.window(
                        pem: String(decoding: renewed.certificatePEM, as: UTF8.self))
                    logger.info(
                        "node certificate renewed",
                        metadata: [
                            "user": "system:node:\(identity.nodeName)",
                            "expires": "\(expires?.notValidAfter ?? obtained)",
                        ])
                    break
                } catch {
                    let left = validity.notValidAfter.timeIntervalSinceNow
                    logger.warning(
                        "node certificate renewal failed; retrying",
                        metadata: ["error": "\(error)", "expires.in.seconds": "\(Int(left))"])
                    guard left > 0 else { return }
                    guard await sleep(until: Date().addingTimeInterval(min(10, max(left / 4, 0.5)))) else { return }
                }
            }
        }
    }

    /// False when shutdown came first.
    private func sleep(until date: Date) async -> Bool {
        let seconds = max(date.timeIntervalSinceNow, 0)
        do {
            try await cancelWhenGracefulShutdown { try await clock.sleep(for: .milliseconds(Int64(seconds * 1000))) }
            return true
        } catch {
            return false
        }
    }
}
