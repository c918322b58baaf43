import Foundation
import X509

/// The server's certificate material under `<data-dir>/server/tls/`, laid out as k3s lays out its own.
public struct ClusterPKI: Sendable {
    /// File names inside the TLS directory.
    public struct Layout: Sendable, Hashable {
        /// The TLS directory, normally `<data-dir>/server/tls`.
        public let directory: String

        /// A layout rooted at `directory`.
        public init(directory: String) {
            self.directory = directory
        }

        /// The layout under `<dataDirectory>/server/tls`.
        public init(dataDirectory: String) {
            self.directory = FileSystem.join(FileSystem.join(dataDirectory, "server"), "tls")
        }

        /// `server-ca.crt`: signs serving certificates; its hash is pinned in node tokens.
        public var serverCACertificate: String { self.path("server-ca.crt") }
        /// `server-ca.key`.
        public var serverCAKey: String { self.path("server-ca.key") }
        /// `client-ca.crt`: signs client certificates the API server accepts.
        public var clientCACertificate: String { self.path("client-ca.crt") }
        /// `client-ca.key`.
        public var clientCAKey: String { self.path("client-ca.key") }
        /// `serving-kube-apiserver.crt`: the API server's TLS certificate.
        public var servingCertificate: String { self.path("serving-kube-apiserver.crt") }
        /// `serving-kube-apiserver.key`.
        public var servingKey: String { self.path("serving-kube-apiserver.key") }
        /// `client-admin.crt`: `system:admin` in `system:masters`, used for the admin kubeconfig.
        public var adminCertificate: String { self.path("client-admin.crt") }
        /// `client-admin.key`.
        public var adminKey: String { self.path("client-admin.key") }
        /// `service.key`: signs and verifies service account tokens.
        public var serviceAccountKey: String { self.path("service.key") }

        private func path(_ name: String) -> String {
            FileSystem.join(self.directory, name)
        }
    }

    /// Why a leaf certificate was (re)issued.
    public enum IssueReason: Sendable, Hashable, CustomStringConvertible {
        /// Neither the certificate nor its key existed.
        case missing
        /// One of the two files was missing.
        case incomplete
        /// The stored key did not match the stored certificate (e.g. a crash between writing the two).
        case keyMismatch
        /// The certificate was not signed by the current CA.
        case notIssuedByCA
        /// The certificate expires within the renewal window (or already has).
        case expiring(notValidAfter: Date)
        /// The certificate lacks some requested subject alternative names.
        case namesNotCovered(missing: ServingNames)
        /// The certificate's subject or usages differ from what is wanted now.
        case profileChanged

        public var description: String {
            switch self {
            case .missing: "missing"
            case .incomplete: "certificate or key missing"
            case .keyMismatch: "key does not match certificate"
            case .notIssuedByCA: "not issued by the current CA"
            case .expiring(let date): "expires at \(date)"
            case .namesNotCovered(let missing): "does not cover \(missing)"
            case .profileChanged: "subject or usage changed"
            }
        }
    }

    /// Something `loadOrCreate` changed on disk; callers log these.
    public enum Change: Sendable, Hashable, CustomStringConvertible {
        /// A new CA was generated and written to `certificatePath` (and its key beside it).
        case createdCA(certificatePath: String, commonName: String)
        /// A leaf certificate was issued and written to `certificatePath` (and its key beside it).
        case issuedCertificate(certificatePath: String, reason: IssueReason)
        /// A new service account signing key was generated and written to `keyPath`.
        case createdServiceAccountKey(keyPath: String)

        public var description: String {
            switch self {
            case .createdServiceAccountKey(let path): "created service account signing key at \(path)"
            case .createdCA(let path, let name): "created CA \(name) at \(path)"
            case .issuedCertificate(let path, let reason): "issued \(path) (\(reason))"
            }
        }
    }

    /// The common name of the API server's serving certificate, as in k3s.
    public static let servingCommonName = "kube-apiserver"

    /// Where the files live.
    public let layout: Layout
    /// The server CA (serving certificates).
    public let serverCA: CertificateAuthority
    /// The client CA (client certificates).
    public let clientCA: CertificateAuthority
    /// The API server's serving certificate and key.
    public let serving: CertificateKeyPair
    /// The admin client certificate and key.
    public let admin: CertificateKeyPair
    /// Signs and verifies service account tokens.
    public let serviceAccountKey: ServiceAccountKey
    /// What this load changed on disk, in order; empty on a plain restart.
    public let changes: [Change]

    /// Loads the TLS directory, creating what is missing and reissuing leaf certificates that no longer fit.
    ///
    /// CAs are created only when both of their files are absent; any unreadable, corrupt, half-present or
    /// mismatched CA file is an error naming the file, and nothing is overwritten. The serving certificate is
    /// reissued when it does not cover `sans`, was not signed by the server CA, or expires within `renewalWindow`.
    ///
    /// `leafValidity` is the lifetime of the leaves it issues (the serving and admin certificates).
    public static func loadOrCreate(
        directory: String,
        sans: ServingNames,
        now: Date = Date(),
        renewalWindow: TimeInterval = SkiffPKI.renewalWindow,
        leafValidity: TimeInterval = SkiffPKI.leafValidity
    ) throws(PKIError) -> ClusterPKI {
        let layout = Layout(directory: directory)
        try FileSystem.makeDirectories(directory, mode: 0o700)
        var changes: [Change] = []

        let serverCA = try loadOrCreateCA(
            certificatePath: layout.serverCACertificate,
            keyPath: layout.serverCAKey,
            namePrefix: "skiff-server-ca",
            now: now,
            changes: &changes
        )
        let clientCA = try loadOrCreateCA(
            certificatePath: layout.clientCACertificate,
            keyPath: layout.clientCAKey,
            namePrefix: "skiff-client-ca",
            now: now,
            changes: &changes
        )
        let serving = try loadOrIssueLeaf(
            certificatePath: layout.servingCertificate,
            keyPath: layout.servingKey,
            authority: serverCA,
            profile: .serving(commonName: servingCommonName, names: sans, validity: leafValidity),
            now: now,
            renewalWindow: renewalWindow,
            changes: &changes
        )
        let admin = try loadOrIssueLeaf(
            certificatePath: layout.adminCertificate,
            keyPath: layout.adminKey,
            authority: clientCA,
            profile: .admin(validity: leafValidity),
            now: now,
            renewalWindow: renewalWindow,
            changes: &changes
        )
        let serviceAccount = try ServiceAccountKey.loadOrCreate(path: layout.serviceAccountKey)
        if serviceAccount.created {
            changes.append(.createdServiceAccountKey(keyPath: layout.serviceAccountKey))
        }
        return ClusterPKI(
            layout: layout,
            serverCA: serverCA,
            clientCA: clientCA,
            serving: serving,
            admin: admin,
            serviceAccountKey: serviceAccount.key,
            changes: changes
        )
    }

    /// Decides whether a stored leaf still serves `profile`; `nil` means keep it. Pure: no file access.
    public static func reissueReason(
        for existing: CertificateKeyPair,
        authority: CertificateAuthority,
        profile: LeafProfile,
        now: Date,
        renewalWindow: TimeInterval = SkiffPKI.renewalWindow
    ) -> IssueReason? {
        let certificate = existing.certificate
        guard authority.isIssuer(of: certificate) else {
            return .notIssuedByCA
        }
        if certificate.notValidAfter.timeIntervalSince(now) < renewalWindow {
            return .expiring(notValidAfter: certificate.notValidAfter)
        }
        guard let identity = try? ClientIdentity(certificate: certificate),
            identity.user == profile.commonName,
            identity.groups == profile.organizations,
            let usages = try? certificate.extensions.extendedKeyUsage,
            profile.usages.allSatisfy({ usages.contains($0.x509Usage) })
        else {
            return .profileChanged
        }
        let present = ServingNames(certificate: certificate)
        if !profile.names.isSubset(of: present) {
            var missing = ServingNames()
            for name in profile.names.dnsNames where !present.dnsNames.contains(name) {
                missing.addCertificateDNSName(name)
            }
            for bytes in profile.names.ipAddressBytes where !present.ipAddressBytes.contains(bytes) {
                missing.addIPAddressBytes(bytes)
            }
            return .namesNotCovered(missing: missing)
        }
        return nil
    }

    private static func loadOrCreateCA(
        certificatePath: String,
        keyPath: String,
        namePrefix: String,
        now: Date,
        changes: inout [Change]
    ) throws(PKIError) -> CertificateAuthority {
        switch try CertificateKeyPair.read(certificatePath: certificatePath, keyPath: keyPath) {
        case .loaded(let pair):
            do {
                return try CertificateAuthority(keyPair: pair)
            } catch {
                throw error.naming(certificatePath)
            }
        case .missing:
            let authority = try CertificateAuthority.generate(namePrefix: namePrefix, now: now)
            try authority.keyPair.write(certificatePath: certificatePath, keyPath: keyPath)
            let name = (try? ClientIdentity(certificate: authority.certificate).user) ?? namePrefix
            changes.append(.createdCA(certificatePath: certificatePath, commonName: name))
            return authority
        case .incomplete(let missingPath):
            // Regenerating would silently replace the surviving half and invalidate everything it signed.
            throw PKIError(
                code: .incompleteKeyPair,
                message: "\(missingPath) is missing but its partner exists; restore it, or delete both "
                    + "\(certificatePath) and \(keyPath) to generate a new CA (all issued certificates and tokens "
                    + "will then need replacing)",
                path: missingPath
            )
        case .mismatched:
            throw PKIError(
                code: .keyMismatch,
                message: "\(keyPath) does not hold the private key of \(certificatePath)",
                path: keyPath
            )
        }
    }

    private static func loadOrIssueLeaf(
        certificatePath: String,
        keyPath: String,
        authority: CertificateAuthority,
        profile: LeafProfile,
        now: Date,
        renewalWindow: TimeInterval,
        changes: inout [Change]
    ) throws(PKIError) -> CertificateKeyPair {
        let reason: IssueReason
        switch try CertificateKeyPair.read(certificatePath: certificatePath, keyPath: keyPath) {
        case .loaded(let pair):
            guard
                let found = reissueReason(
                    for: pair,
                    authority: authority,
                    profile: profile,
                    now: now,
                    renewalWindow: renewalWindow
                )
            else {
                return pair
            }
            reason = found
        case .missing:
            reason = .missing
        case .incomplete:
            reason = .incomplete
        case .mismatched:
            reason = .keyMismatch
        }
        let pair = try authority.issue(profile, now: now)
        try pair.write(certificatePath: certificatePath, keyPath: keyPath)
        changes.append(.issuedCertificate(certificatePath: certificatePath, reason: reason))
        return pair
    }
}

extension ServingNames {
    /// The DNS and IP subject alternative names a certificate carries (empty if it has none or they are malformed).
    public init(certificate: Certificate) {
        self.init()
        guard let names = try? certificate.extensions.subjectAlternativeNames else {
            return
        }
        for name in names {
            switch name {
            case .dnsName(let dns):
                self.addCertificateDNSName(dns)
            case .ipAddress(let octets):
                self.addIPAddressBytes(Array(octets.bytes))
            default:
                continue
            }
        }
    }
}
