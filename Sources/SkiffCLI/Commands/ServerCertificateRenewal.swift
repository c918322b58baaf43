import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffModel
import SkiffPKI

/// Renews the server's own leaf certificates while it runs — the serving certificate (presented from the next TLS
/// handshake on, no restart) and the admin client certificate (the admin kubeconfig is rewritten) — so that a server
/// that runs for years never serves an expired certificate (the one-year cliff k3s clusters fall off). They are
/// reissued when they enter the renewal window: 90 days before the end for the default one-year lifetime, the last
/// third of a shorter lifetime (the hidden `--server-certificate-lifetime`, for tests). The CAs last ten years.
struct ServerCertificateRenewal: Service {
    struct Settings: Sendable {
        var directory: String
        var names: ServingNames
        /// Lifetime of the issued leaves, seconds.
        var lifetime: TimeInterval
        var kubeconfigPath: String
        var kubeconfigMode: mode_t
        var server: String

        var renewalWindow: TimeInterval { min(SkiffPKI.renewalWindow, lifetime / 3) }

        /// Loads the TLS directory, reissuing leaves that are missing, do not fit, or are in their renewal window.
        func load(now: Date = Date()) throws(PKIError) -> ClusterPKI {
            try ClusterPKI.loadOrCreate(
                directory: directory, sans: names, now: now, renewalWindow: renewalWindow, leafValidity: lifetime)
        }

        /// When the next leaf enters its renewal window.
        func nextRenewal(_ pki: ClusterPKI) -> Date {
            min(pki.serving.certificate.notValidAfter, pki.admin.certificate.notValidAfter)
                .addingTimeInterval(-renewalWindow)
        }
    }

    let settings: Settings
    let serving: ServingCertificate
    let loaded: ClusterPKI
    let logger: Logger
    /// What it waits on (certificate dates are wall-clock; the waits between them are not).
    var clock: ServiceClock = .continuous

    func run() async throws {
        var pki = loaded
        while true {
            // Checked at least hourly: a clock that jumps (an edge box without RTC) is noticed soon.
            let wait = min(max(settings.nextRenewal(pki).timeIntervalSinceNow, 1), 3600)
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: .milliseconds(Int64(wait * 1000))) }
            } catch {
                return
            }
            do {
                pki = try renew()
            } catch {
                logger.error("cannot renew the server's certificates; retrying", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await clock.sleep(for: .seconds(10)) }
            }
        }
    }

    /// Reissues what is due and puts it to use.
    func renew() throws -> ClusterPKI {
        let pki = try settings.load()
        let layout = pki.layout
        for change in pki.changes {
            guard case .issuedCertificate(let path, _) = change else { continue }
            if path == layout.servingCertificate {
                try serving.replace(
                    certificatePEM: pki.serving.certificatePEM + pki.serverCA.certificatePEM,
                    keyPEM: pki.serving.privateKeyPEM)
                logger.info(
                    "serving certificate renewed", metadata: ["expires": "\(pki.serving.certificate.notValidAfter)"])
            } else if path == layout.adminCertificate {
                try Kubeconfig(admin: pki, server: settings.server).write(
                    to: settings.kubeconfigPath, mode: settings.kubeconfigMode)
                logger.info(
                    "admin certificate renewed",
                    metadata: [
                        "expires": "\(pki.admin.certificate.notValidAfter)", "kubeconfig": "\(settings.kubeconfigPath)",
                    ])
            }
        }
        return pki
    }
}
