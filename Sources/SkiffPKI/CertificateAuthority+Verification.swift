import Foundation
import SwiftASN1
import X509

extension CertificateAuthority {
    /// Checks that a presented client chain (leaf first, then any intermediates) leads to this CA, and returns its identity.
    public func authenticateClient(chain: [Certificate], now: Date = Date()) throws(PKIError) -> ClientIdentity {
        guard let leaf = chain.first else {
            throw PKIError(code: .verificationFailed, message: "no client certificate was presented")
        }
        try self.verify(leaf, for: .clientAuth, intermediates: Array(chain.dropFirst()), now: now)
        return try ClientIdentity(certificate: leaf)
    }

    /// Like `authenticateClient(chain:now:)`, for a PEM bundle with the leaf first.
    public func authenticateClient(chainPEM: String, now: Date = Date()) throws(PKIError) -> ClientIdentity {
        try self.authenticateClient(chain: PEMCoding.decodeCertificates(chainPEM), now: now)
    }

    /// Checks that `leaf` chains to this CA (directly or through `intermediates`), is within its validity period and is
    /// allowed `usage`. This is the subset of RFC 5280 path validation that a private cluster CA needs, done synchronously.
    public func verify(
        _ leaf: Certificate,
        for usage: LeafProfile.Usage,
        intermediates: [Certificate] = [],
        now: Date = Date()
    ) throws(PKIError) {
        try Self.checkUsable(leaf, role: "certificate", usage: usage, now: now)
        try Self.checkUsable(self.certificate, role: "CA certificate", usage: nil, now: now)

        var current = leaf
        // Bounded so that a crafted loop of intermediates cannot spin forever.
        for _ in 0...intermediates.count {
            if self.isIssuer(of: current) {
                return
            }
            guard
                let parent = intermediates.first(where: { candidate in
                    candidate.subject == current.issuer
                        && candidate.publicKey.isValidSignature(current.signature, for: current)
                })
            else {
                throw PKIError(
                    code: .verificationFailed,
                    message: "certificate '\(current.subject)' (issuer '\(current.issuer)') is not signed by "
                        + "CA '\(self.certificate.subject)'"
                )
            }
            guard case .isCertificateAuthority = try? parent.extensions.basicConstraints else {
                throw PKIError(
                    code: .verificationFailed,
                    message: "intermediate '\(parent.subject)' is not a CA certificate"
                )
            }
            try Self.checkUsable(parent, role: "intermediate certificate", usage: usage, now: now)
            current = parent
        }
        throw PKIError(
            code: .verificationFailed,
            message: "no chain from '\(leaf.subject)' to CA '\(self.certificate.subject)'"
        )
    }

    /// Extensions this verifier understands; a critical extension outside this set makes a certificate unusable.
    private static let understoodExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage, .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.subjectKeyIdentifier,
        .X509ExtensionID.authorityKeyIdentifier,
    ]

    /// Validity period, critical extensions and (when `usage` is given) extended key usage of one certificate.
    private static func checkUsable(
        _ certificate: Certificate,
        role: String,
        usage: LeafProfile.Usage?,
        now: Date
    ) throws(PKIError) {
        guard certificate.notValidBefore <= now else {
            throw PKIError(
                code: .verificationFailed,
                message: "\(role) '\(certificate.subject)' is not valid before \(certificate.notValidBefore)"
            )
        }
        guard now <= certificate.notValidAfter else {
            throw PKIError(
                code: .verificationFailed,
                message: "\(role) '\(certificate.subject)' expired at \(certificate.notValidAfter)"
            )
        }
        for ext in certificate.extensions where ext.critical && !understoodExtensions.contains(ext.oid) {
            throw PKIError(
                code: .verificationFailed,
                message: "\(role) '\(certificate.subject)' has an unsupported critical extension \(ext.oid)"
            )
        }
        guard let usage else {
            return
        }
        let extendedKeyUsage: ExtendedKeyUsage?
        do {
            extendedKeyUsage = try certificate.extensions.extendedKeyUsage
        } catch {
            throw PKIError(
                code: .verificationFailed,
                message: "\(role) '\(certificate.subject)' has a malformed extended key usage",
                cause: error
            )
        }
        // As in Go's crypto/x509: no EKU extension means any usage.
        if let extendedKeyUsage, !extendedKeyUsage.contains(usage.x509Usage), !extendedKeyUsage.contains(.any) {
            throw PKIError(
                code: .verificationFailed,
                message: "\(role) '\(certificate.subject)' is not allowed for \(usage.rawValue)"
            )
        }
    }
}
