import X509

/// A certificate together with its private key, and the PEM texts of both as written to or read from disk.
public struct CertificateKeyPair: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// The private key matching the certificate's public key.
    public let privateKey: Certificate.PrivateKey
    /// The certificate's PEM text, byte for byte as stored (it is what node tokens hash).
    public let certificatePEM: String
    /// The private key's PEM text.
    public let privateKeyPEM: String

    /// Parses a certificate and its key from PEM and checks that they belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        let certificate = try PEMCoding.decodeCertificate(certificatePEM)
        let privateKey = try PEMCoding.decodePrivateKey(privateKeyPEM)
        guard certificate.publicKey == privateKey.publicKey else {
            throw PKIError(code: .keyMismatch, message: "the private key does not match the certificate's public key")
        }
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Wraps already parsed and matched parts.
    init(certificate: Certificate, privateKey: Certificate.PrivateKey, certificatePEM: String, privateKeyPEM: String) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Wraps freshly made objects, encoding their PEM texts.
    init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws(PKIError) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = try PEMCoding.encode(certificate)
        self.privateKeyPEM = try PEMCoding.encode(privateKey)
    }
}

/// A certificate signed from a CSR: the holder keeps the private key, so there is none here.
public struct SignedCertificate: Sendable {
    /// The issued certificate.
    public let certificate: Certificate
    /// The issued certificate's PEM text.
    public let certificatePEM: String
    /// The issued certificate followed by the issuing CA certificate, as k3s returns from its certificate endpoints.
    public let chainPEM: String
}
