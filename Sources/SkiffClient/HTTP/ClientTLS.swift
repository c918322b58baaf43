import NIOSSL
import Synchronization

/// The TLS a client speaks to the server with, replaceable while the client runs: a renewed client certificate is
/// used by every connection opened afterwards (the API client's and the tunnel's), while open ones keep theirs.
public final class ClientTLS: Sendable {
    private let configuration: Mutex<TLSConfiguration>

    public init(_ configuration: TLSConfiguration) {
        self.configuration = Mutex(configuration)
    }

    /// TLS that trusts the cluster CA alone (never the system store) and presents the client certificate (PEM).
    public convenience init(trustedCAPEM: [UInt8], certificatePEM: [UInt8], keyPEM: [UInt8]) throws(ClientError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(trustedCAPEM))
        } catch {
            throw ClientError(.invalidCredentials, "cannot load the CA", cause: error)
        }
        self.init(tls)
        try useClientCertificate(certificatePEM: certificatePEM, keyPEM: keyPEM)
    }

    /// The configuration for the next connection.
    public var current: TLSConfiguration { configuration.withLock { $0 } }

    /// Presents this certificate chain and key (PEM) from now on.
    public func useClientCertificate(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(ClientError) {
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKeySource
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM).map { .certificate($0) }
            key = .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))
        } catch {
            throw ClientError(.invalidCredentials, "cannot load the client certificate", cause: error)
        }
        configuration.withLock {
            $0.certificateChain = chain
            $0.privateKey = key
        }
    }
}
