import NIOCore
import NIOSSL
import Synchronization

/// The certificate the API server presents, replaceable while it runs: every TLS handshake takes the current one
/// (NIOSSL's context callback, called once per client hello), so a renewed certificate is served from the next
/// connection on, without a restart; open connections keep theirs.
public final class ServingCertificate: Sendable {
    private let current: Mutex<NIOSSLContextConfigurationOverride>

    public init(certificatePEM: String, keyPEM: String) throws {
        current = Mutex(try Self.override(certificatePEM: certificatePEM, keyPEM: keyPEM))
    }

    /// Serves this chain and key (PEM) from the next handshake on.
    public func replace(certificatePEM: String, keyPEM: String) throws {
        let next = try Self.override(certificatePEM: certificatePEM, keyPEM: keyPEM)
        current.withLock { $0 = next }
    }

    /// For `TLSConfiguration.sslContextCallback`.
    var contextCallback: NIOSSLContextCallback {
        { [self] _, promise in promise.succeed(current.withLock { $0 }) }
    }

    private static func override(certificatePEM: String, keyPEM: String) throws -> NIOSSLContextConfigurationOverride {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map {
            .certificate($0)
        }
        override.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        return override
    }
}
