import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A cluster certificate authority: its certificate and key, and the operations that issue leaf certificates from it.
public struct CertificateAuthority: Sendable {
    /// The CA certificate and private key.
    public let keyPair: CertificateKeyPair

    /// The CA certificate.
    public var certificate: Certificate { self.keyPair.certificate }
    /// The CA certificate's PEM text, byte for byte as stored.
    public var certificatePEM: String { self.keyPair.certificatePEM }
    /// The CA private key's PEM text.
    public var privateKeyPEM: String { self.keyPair.privateKeyPEM }

    /// Wraps a certificate and key after checking that the certificate is a CA certificate.
    public init(keyPair: CertificateKeyPair) throws(PKIError) {
        let constraints: BasicConstraints?
        do {
            constraints = try keyPair.certificate.extensions.basicConstraints
        } catch {
            throw PKIError(
                code: .invalidPEM, message: "the certificate's basic constraints are malformed", cause: error)
        }
        guard case .isCertificateAuthority = constraints else {
            throw PKIError(
                code: .invalidArgument,
                message:
                    "certificate '\(keyPair.certificate.subject)' is not a CA certificate (basicConstraints CA is not set)"
            )
        }
        self.keyPair = keyPair
    }

    /// Loads a CA from the PEM texts of its certificate and private key.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        try self.init(keyPair: CertificateKeyPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM))
    }

    /// Generates a self-signed ECDSA P-256 CA named `<namePrefix>@<unix time>`, as k3s names `k3s-server-ca@…`.
    public static func generate(
        namePrefix: String,
        now: Date = Date(),
        validity: TimeInterval = SkiffPKI.caValidity
    ) throws(PKIError) -> CertificateAuthority {
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return try generate(commonName: "\(namePrefix)@\(seconds)", now: now, validity: validity)
    }

    /// Generates a self-signed ECDSA P-256 CA with the given common name.
    public static func generate(
        commonName: String,
        now: Date = Date(),
        validity: TimeInterval = SkiffPKI.caValidity
    ) throws(PKIError) -> CertificateAuthority {
        guard !commonName.isEmpty else {
            throw PKIError(code: .invalidArgument, message: "a CA needs a non-empty common name")
        }
        guard validity > 0 else {
            throw PKIError(code: .invalidArgument, message: "validity must be positive, got \(validity) s")
        }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = DistinguishedName([
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: commonName)
            )
        ])
        let certificate = try buildCertificate {
            let extensions = try Certificate.Extensions([
                Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
                Certificate.Extension(
                    KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true), critical: true),
                Certificate.Extension(SubjectKeyIdentifier(hash: key.publicKey), critical: false),
            ])
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-SkiffPKI.clockSkewAllowance),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: name,
                subject: name,
                extensions: extensions,
                issuerPrivateKey: key
            )
        }
        return try CertificateAuthority(keyPair: CertificateKeyPair(certificate: certificate, privateKey: key))
    }

    /// Issues a leaf certificate with a newly generated ECDSA P-256 key.
    public func issue(_ profile: LeafProfile, now: Date = Date()) throws(PKIError) -> CertificateKeyPair {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try self.makeLeaf(publicKey: key.publicKey, profile: profile, now: now)
        return try CertificateKeyPair(certificate: certificate, privateKey: key)
    }

    /// Issues a TLS serving certificate for `names`.
    public func issueServingCertificate(
        commonName: String,
        names: ServingNames,
        now: Date = Date()
    ) throws(PKIError) -> CertificateKeyPair {
        try self.issue(.serving(commonName: commonName, names: names), now: now)
    }

    /// Issues a TLS client certificate for user `commonName` in groups `organizations`.
    public func issueClientCertificate(
        commonName: String,
        organizations: [String] = [],
        now: Date = Date()
    ) throws(PKIError) -> CertificateKeyPair {
        try self.issue(.client(commonName: commonName, organizations: organizations), now: now)
    }

    /// Signs a PEM PKCS#10 request: only its public key is used; subject, names and usages come from `profile`.
    public func sign(csrPEM: String, as profile: LeafProfile, now: Date = Date()) throws(PKIError) -> SignedCertificate
    {
        try self.sign(csr: PEMCoding.decodeCSR(csrPEM), as: profile, now: now)
    }

    /// Signs a DER PKCS#10 request: only its public key is used; subject, names and usages come from `profile`.
    public func sign(csrDER: [UInt8], as profile: LeafProfile, now: Date = Date()) throws(PKIError) -> SignedCertificate
    {
        try self.sign(csr: PEMCoding.decodeCSR(der: csrDER), as: profile, now: now)
    }

    /// Signs a parsed request after checking its self-signature, which proves the requester holds the key.
    public func sign(
        csr: CertificateSigningRequest,
        as profile: LeafProfile,
        now: Date = Date()
    ) throws(PKIError) -> SignedCertificate {
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw PKIError(code: .invalidCSR, message: "the request's signature does not verify with its public key")
        }
        guard csr.publicKey != self.certificate.publicKey else {
            throw PKIError(code: .invalidCSR, message: "the request carries the CA's own public key")
        }
        let certificate = try self.makeLeaf(publicKey: csr.publicKey, profile: profile, now: now)
        let pem = try PEMCoding.encode(certificate)
        return SignedCertificate(certificate: certificate, certificatePEM: pem, chainPEM: pem + self.certificatePEM)
    }

    /// Whether `certificate` names this CA as issuer and carries a valid signature from its key.
    public func isIssuer(of certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// Builds and signs a leaf certificate for `publicKey`.
    func makeLeaf(publicKey: Certificate.PublicKey, profile: LeafProfile, now: Date) throws(PKIError) -> Certificate {
        try profile.validate()
        let caCertificate = self.certificate
        let notBefore = now.addingTimeInterval(-SkiffPKI.clockSkewAllowance)
        // A leaf must not outlive its issuer; clients would reject it at that point anyway.
        let notAfter = min(now.addingTimeInterval(profile.validity), caCertificate.notValidAfter)
        guard notAfter > now else {
            throw PKIError(
                code: .certificateCreationFailed,
                message:
                    "CA '\(caCertificate.subject)' expired at \(caCertificate.notValidAfter); it cannot issue certificates"
            )
        }

        var attributes: [RelativeDistinguishedName] = profile.organizations.map {
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(type: .RDNAttributeType.organizationName, utf8String: $0)
            )
        }
        attributes.append(
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: profile.commonName)
            )
        )
        let subject = DistinguishedName(attributes)

        // RSA keys may also be used for key transport in old TLS suites; EC keys only sign.
        let isRSA = _RSA.Signing.PublicKey(publicKey) != nil
        let authorityKeyID: ArraySlice<UInt8>
        do {
            authorityKeyID =
                try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: caCertificate.publicKey).keyIdentifier
        } catch {
            throw PKIError(code: .invalidPEM, message: "the CA's subject key identifier is malformed", cause: error)
        }

        let caKey = self.keyPair.privateKey
        return try buildCertificate {
            var extensions = try Certificate.Extensions([
                Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
                Certificate.Extension(KeyUsage(digitalSignature: true, keyEncipherment: isRSA), critical: true),
                Certificate.Extension(
                    ExtendedKeyUsage(profile.usages.map { $0.x509Usage }),
                    critical: false
                ),
                Certificate.Extension(SubjectKeyIdentifier(hash: publicKey), critical: false),
                Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: authorityKeyID), critical: false),
            ])
            if !profile.names.isEmpty {
                var generalNames: [GeneralName] = profile.names.dnsNames.map { .dnsName($0) }
                generalNames += profile.names.ipAddressBytes.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
                try extensions.append(
                    Certificate.Extension(SubjectAlternativeNames(generalNames), critical: false)
                )
            }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: caCertificate.subject,
                subject: subject,
                extensions: extensions,
                issuerPrivateKey: caKey
            )
        }
    }
}

extension LeafProfile.Usage {
    /// The swift-certificates value for this usage.
    var x509Usage: ExtendedKeyUsage.Usage {
        switch self {
        case .serverAuth: .serverAuth
        case .clientAuth: .clientAuth
        }
    }
}

/// Runs a swift-certificates construction, turning its untyped errors into `PKIError`.
private func buildCertificate(_ body: () throws -> Certificate) throws(PKIError) -> Certificate {
    do {
        return try body()
    } catch let error as PKIError {
        throw error
    } catch {
        throw PKIError(
            code: .certificateCreationFailed, message: "could not build or sign the certificate", cause: error)
    }
}
