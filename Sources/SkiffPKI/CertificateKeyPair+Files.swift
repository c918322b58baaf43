import X509

extension CertificateKeyPair {
    /// What is on disk for a certificate/key pair.
    enum StoredState: Sendable {
        /// Neither file exists.
        case missing
        /// Exactly one of the two files exists; `missingPath` names the absent one.
        case incomplete(missingPath: String)
        /// Both files exist, parsed, and belong together.
        case loaded(CertificateKeyPair)
        /// Both files parsed but the key does not match the certificate.
        case mismatched
    }

    /// Reads a pair from disk. Unreadable or corrupt files throw an error naming the file and leave it untouched.
    static func read(certificatePath: String, keyPath: String) throws(PKIError) -> StoredState {
        let certificateText = try FileSystem.readTextIfExists(certificatePath)
        let keyText = try FileSystem.readTextIfExists(keyPath)
        switch (certificateText, keyText) {
        case (nil, nil):
            return .missing
        case (nil, .some):
            return .incomplete(missingPath: certificatePath)
        case (.some, nil):
            return .incomplete(missingPath: keyPath)
        case (.some(let certificatePEM), .some(let keyPEM)):
            let certificate: Certificate
            do {
                certificate = try PEMCoding.decodeCertificate(certificatePEM)
            } catch {
                throw error.naming(certificatePath)
            }
            let key: Certificate.PrivateKey
            do {
                key = try PEMCoding.decodePrivateKey(keyPEM)
            } catch {
                throw error.naming(keyPath)
            }
            guard certificate.publicKey == key.publicKey else {
                return .mismatched
            }
            return .loaded(
                CertificateKeyPair(
                    certificate: certificate,
                    privateKey: key,
                    certificatePEM: certificatePEM,
                    privateKeyPEM: keyPEM
                )
            )
        }
    }

    /// Writes the key (0600) and then the certificate (0644), each atomically.
    func write(certificatePath: String, keyPath: String) throws(PKIError) {
        // Key first: a crash in between leaves an old certificate with a new key, which the next start detects as a
        // mismatch, rather than a certificate whose key was never stored.
        try FileSystem.writeAtomically(keyPath, contents: Array(self.privateKeyPEM.utf8), mode: 0o600)
        try FileSystem.writeAtomically(certificatePath, contents: Array(self.certificatePEM.utf8), mode: 0o644)
    }
}
