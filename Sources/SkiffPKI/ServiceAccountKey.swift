import Crypto
import Foundation
import _CryptoExtras

/// The RSA key that signs and verifies service account tokens (RS256), stored as `service.key` beside the CAs, as
/// k3s stores it. One key both signs and verifies: there is a single API server.
public struct ServiceAccountKey: Sendable {
    /// The issuer kube-apiserver is given by k3s (`--service-account-issuer`).
    public static let issuer = "https://kubernetes.default.svc.cluster.local"
    /// The API audiences k3s configures (`--api-audiences`); tokens must carry one of them to authenticate.
    public static let apiAudiences = ["https://kubernetes.default.svc.cluster.local", "k3s"]
    /// The JWS algorithm.
    public static let algorithm = "RS256"

    let privateKey: _RSA.Signing.PrivateKey
    /// `kid`: base64url SHA-256 of the DER public key, as kube-apiserver derives it.
    public let keyID: String

    init(privateKey: _RSA.Signing.PrivateKey) {
        self.privateKey = privateKey
        self.keyID = Base64URL.encode(Array(SHA256.hash(data: privateKey.publicKey.derRepresentation)))
    }

    /// A new 2048-bit key.
    public static func generate() throws(PKIError) -> ServiceAccountKey {
        do {
            return ServiceAccountKey(privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
        } catch {
            throw PKIError(code: .invalidKey, message: "could not generate the service account key", cause: error)
        }
    }

    /// A key from PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    public init(pem: String) throws(PKIError) {
        do {
            self.init(privateKey: try _RSA.Signing.PrivateKey(pemRepresentation: pem))
        } catch {
            throw PKIError(code: .invalidKey, message: "not an RSA private key of at least 2048 bits", cause: error)
        }
    }

    /// PKCS#1 PEM text, as k3s writes `service.key`.
    public var privateKeyPEM: String { privateKey.pemRepresentation + "\n" }

    /// Reads `path`, or generates a key and writes it there (0600) when the file does not exist; a present but
    /// unreadable or corrupt file is an error naming it, and is never overwritten (it signed live tokens).
    public static func loadOrCreate(path: String) throws(PKIError) -> (key: ServiceAccountKey, created: Bool) {
        if let text = try FileSystem.readTextIfExists(path) {
            do {
                return (try ServiceAccountKey(pem: text), false)
            } catch {
                throw error.naming(path)
            }
        }
        let key = try generate()
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), mode: 0o700)
        try FileSystem.writeAtomically(path, contents: Array(key.privateKeyPEM.utf8), mode: 0o600)
        return (key, true)
    }

    // MARK: Tokens

    /// A signed compact JWT carrying `claims`.
    public func sign(_ claims: ServiceAccountClaims) throws(PKIError) -> String {
        try signed(input: CompactJWS.signingInput(algorithm: Self.algorithm, keyID: keyID, payload: claims.encoded()))
    }

    /// `input` (`header.payload`) with its RS256 signature appended.
    func signed(input: String) throws(PKIError) -> String {
        do {
            let signature = try privateKey.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
            return input + "." + Base64URL.encode(signature.rawRepresentation)
        } catch {
            throw PKIError(code: .certificateCreationFailed, message: "could not sign a token", cause: error)
        }
    }

    /// The claims of `token` once its signature, algorithm and claims check out; not whether the service account
    /// still exists (the caller looks that up).
    public func verify(
        _ token: String, audiences: [String] = ServiceAccountKey.apiAudiences, now: Date
    ) throws(ServiceAccountTokenError) -> ServiceAccountClaims {
        let jws = try CompactJWS(parsing: token)
        guard jws.algorithm == Self.algorithm else {
            throw .init(.unsupportedAlgorithm, "unsupported signing algorithm \"\(jws.algorithm)\"")
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: jws.signature)
        guard privateKey.publicKey.isValidSignature(signature, for: jws.signingInput, padding: .insecurePKCS1v1_5)
        else {
            throw .init(.badSignature, "invalid signature")
        }
        let claims = try ServiceAccountClaims.decode(jws.payload)
        try claims.validate(issuer: Self.issuer, audiences: audiences, now: now)
        return claims
    }
}
