import Foundation
import SwiftASN1
import X509

/// PEM encoding and decoding of certificates, keys and CSRs, mapping library errors to `PKIError`.
enum PEMCoding {
    /// PEM text of `certificate`, ending in a newline.
    static func encode(_ certificate: Certificate) throws(PKIError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw PKIError(
                code: .certificateCreationFailed, message: "could not encode certificate as PEM", cause: error)
        }
    }

    /// PEM text of `key`, ending in a newline.
    static func encode(_ key: Certificate.PrivateKey) throws(PKIError) -> String {
        do {
            return try key.serializeAsPEM().pemString + "\n"
        } catch {
            throw PKIError(code: .invalidKey, message: "could not encode private key as PEM", cause: error)
        }
    }

    /// All certificates in a PEM bundle, in order; throws if there is none or any block is not a certificate.
    static func decodeCertificates(_ pem: String) throws(PKIError) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw PKIError(code: .invalidPEM, message: "not valid PEM", cause: error)
        }
        guard !documents.isEmpty else {
            throw PKIError(code: .invalidPEM, message: "no PEM CERTIFICATE block found")
        }
        var certificates: [Certificate] = []
        for document in documents {
            guard document.discriminator == Certificate.defaultPEMDiscriminator else {
                throw PKIError(
                    code: .invalidPEM,
                    message: "expected a CERTIFICATE PEM block, found '\(document.discriminator)'"
                )
            }
            do {
                certificates.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw PKIError(
                    code: .invalidPEM, message: "CERTIFICATE block is not a valid X.509 certificate", cause: error)
            }
        }
        return certificates
    }

    /// The single certificate in `pem` (a bundle's first certificate).
    static func decodeCertificate(_ pem: String) throws(PKIError) -> Certificate {
        let certificates = try decodeCertificates(pem)
        guard let first = certificates.first else {
            throw PKIError(code: .invalidPEM, message: "no certificate found")
        }
        return first
    }

    /// A private key in PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM form.
    static func decodePrivateKey(_ pem: String) throws(PKIError) -> Certificate.PrivateKey {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: pem)
        } catch {
            throw PKIError(code: .invalidPEM, message: "not a single valid PEM private key block", cause: error)
        }
        do {
            return try Certificate.PrivateKey(pemDocument: document)
        } catch {
            throw PKIError(
                code: .invalidKey,
                message: "'\(document.discriminator)' block is not a supported private key",
                cause: error
            )
        }
    }

    /// A PKCS#10 request in PEM form (`CERTIFICATE REQUEST` or the legacy `NEW CERTIFICATE REQUEST`).
    static func decodeCSR(_ pem: String) throws(PKIError) -> CertificateSigningRequest {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: pem)
        } catch {
            throw PKIError(code: .invalidCSR, message: "not a single valid PEM block", cause: error)
        }
        guard document.discriminator == "CERTIFICATE REQUEST" || document.discriminator == "NEW CERTIFICATE REQUEST"
        else {
            throw PKIError(
                code: .invalidCSR,
                message: "expected a CERTIFICATE REQUEST PEM block, found '\(document.discriminator)'"
            )
        }
        return try decodeCSR(der: document.derBytes)
    }

    /// A PKCS#10 request in DER form.
    static func decodeCSR(der: [UInt8]) throws(PKIError) -> CertificateSigningRequest {
        do {
            return try CertificateSigningRequest(derEncoded: der)
        } catch {
            throw PKIError(code: .invalidCSR, message: "not a valid PKCS#10 certificate signing request", cause: error)
        }
    }
}

/// When a certificate stops being valid: an agent renews its node certificate before that moment.
public enum CertificateValidity {
    /// The validity window of the first certificate in a PEM bundle; nil when there is none.
    public static func window(pem: String) -> (notValidBefore: Date, notValidAfter: Date)? {
        guard let certificate = try? PEMCoding.decodeCertificate(pem) else { return nil }
        return (certificate.notValidBefore, certificate.notValidAfter)
    }
}
