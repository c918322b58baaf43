import Crypto
import SwiftASN1
import X509

/// A node's side of getting a certificate: a fresh P-256 key and a PKCS#10 request naming `commonName`, both PEM. The
/// key stays with the node; the signer sets the certificate's identity itself (`CertificateAuthority.sign`).
public struct CertificateRequest: Sendable {
    public let privateKeyPEM: String
    public let requestPEM: String

    public init(commonName: String, organizations: [String] = []) throws(PKIError) {
        let key = P256.Signing.PrivateKey()
        do {
            let request = try CertificateSigningRequest(
                version: .v1,
                subject: DistinguishedName {
                    CommonName(commonName)
                    for organization in organizations { OrganizationName(organization) }
                },
                privateKey: Certificate.PrivateKey(key), attributes: CertificateSigningRequest.Attributes())
            requestPEM = try request.serializeAsPEM().pemString
        } catch {
            throw PKIError(code: .invalidCSR, message: "cannot build a certificate request: \(error)")
        }
        privateKeyPEM = try PEMCoding.encode(Certificate.PrivateKey(key))
    }
}
