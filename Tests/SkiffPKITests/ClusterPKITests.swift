import Foundation
import Testing
import X509

@testable import SkiffPKI

@Suite struct ClusterPKITests {
    static func sans() throws -> ServingNames {
        try ServingNames(ServingNames.kubernetesAPIDefaults + ["10.43.0.1", "edge-server"])
    }

    static let allFiles = [
        "server-ca.crt", "server-ca.key", "client-ca.crt", "client-ca.key",
        "serving-kube-apiserver.crt", "serving-kube-apiserver.key", "client-admin.crt", "client-admin.key",
        "service.key",
    ]

    @Test func createsK3sLayoutWithPrivateModes() throws {
        try withTemporaryDirectory { dataDir in
            let layout = ClusterPKI.Layout(dataDirectory: dataDir)
            #expect(layout.directory == dataDir + "/server/tls")
            let pki = try ClusterPKI.loadOrCreate(directory: layout.directory, sans: Self.sans())

            for name in Self.allFiles {
                #expect(FileManager.default.fileExists(atPath: layout.directory + "/" + name), "\(name) missing")
            }
            for key in [
                layout.serverCAKey, layout.clientCAKey, layout.servingKey, layout.adminKey, layout.serviceAccountKey,
            ] {
                #expect(try permissions(key) == 0o600, "\(key)")
            }
            #expect(try permissions(layout.directory) == 0o700)
            #expect(try permissions(dataDir + "/server") == 0o700)
            #expect(pki.changes.count == 5)

            #expect(try ClientIdentity(certificate: pki.serverCA.certificate).user.hasPrefix("skiff-server-ca@"))
            #expect(try ClientIdentity(certificate: pki.clientCA.certificate).user.hasPrefix("skiff-client-ca@"))
            try pki.serverCA.verify(pki.serving.certificate, for: .serverAuth)
            #expect(
                try pki.clientCA.authenticateClient(chain: [pki.admin.certificate])
                    == ClientIdentity(user: "system:admin", groups: ["system:masters"]))
            // Client certificates from the client CA must not pass as serving, nor the other way round.
            #expect(throws: PKIError.self) { try pki.serverCA.authenticateClient(chain: [pki.admin.certificate]) }
            #expect(
                try String(contentsOfFile: layout.serverCACertificate, encoding: .utf8) == pki.serverCA.certificatePEM)
        }
    }

    @Test func reusesEverythingOnRestart() throws {
        try withTemporaryDirectory { dir in
            let first = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let before = try Self.allFiles.map { try bytes(dir + "/" + $0) }
            let second = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let after = try Self.allFiles.map { try bytes(dir + "/" + $0) }
            #expect(before == after)
            #expect(second.changes.isEmpty)
            #expect(second.serverCA.certificatePEM == first.serverCA.certificatePEM)
            #expect(second.serving.certificate == first.serving.certificate)
            #expect(second.admin.privateKeyPEM == first.admin.privateKeyPEM)
        }
    }

    @Test func reissuesServingCertificateWhenNamesAreNotCoveredKeepingCAs() throws {
        try withTemporaryDirectory { dir in
            let first = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let caBytes = try bytes(dir + "/server-ca.crt")
            let adminBytes = try bytes(dir + "/client-admin.crt")

            // A subset of the names is still covered: no change.
            let subset = try ClusterPKI.loadOrCreate(directory: dir, sans: ServingNames(["localhost"]))
            #expect(subset.changes.isEmpty)

            var wider = try Self.sans()
            try wider.add("192.168.50.7")
            try wider.add("edge.example.com")
            let second = try ClusterPKI.loadOrCreate(directory: dir, sans: wider)
            let missing = try ServingNames(["192.168.50.7", "edge.example.com"])
            #expect(
                second.changes == [
                    .issuedCertificate(
                        certificatePath: dir + "/serving-kube-apiserver.crt",
                        reason: .namesNotCovered(missing: missing)
                    )
                ]
            )
            #expect(ServingNames(certificate: second.serving.certificate) == wider)
            #expect(second.serving.certificate != first.serving.certificate)
            #expect(try bytes(dir + "/server-ca.crt") == caBytes)
            #expect(try bytes(dir + "/client-admin.crt") == adminBytes)
            #expect(try permissions(dir + "/serving-kube-apiserver.key") == 0o600)
        }
    }

    @Test func renewsLeavesWithinNinetyDaysOfExpiry() throws {
        try withTemporaryDirectory { dir in
            let start = Date()
            let first = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans(), now: start)
            let later = start.addingTimeInterval(270 * 86_400)
            #expect(try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans(), now: later).changes.isEmpty)

            let muchLater = start.addingTimeInterval(300 * 86_400)
            let renewed = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans(), now: muchLater)
            #expect(renewed.changes.count == 2)
            for change in renewed.changes {
                guard case .issuedCertificate(_, .expiring) = change else {
                    Issue.record("unexpected change \(change)")
                    continue
                }
            }
            #expect(renewed.serverCA.certificatePEM == first.serverCA.certificatePEM)
            #expect(renewed.serving.certificate.notValidAfter > first.serving.certificate.notValidAfter)
        }
    }

    @Test func reissuesLeafSignedByAnotherCA() throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let stranger = try CertificateAuthority.generate(namePrefix: "stranger")
            let foreign = try stranger.issue(.admin())
            try writeText(foreign.certificatePEM, to: dir + "/client-admin.crt")
            try writeText(foreign.privateKeyPEM, to: dir + "/client-admin.key")
            let pki = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            #expect(
                pki.changes == [.issuedCertificate(certificatePath: dir + "/client-admin.crt", reason: .notIssuedByCA)])
            #expect(pki.clientCA.isIssuer(of: pki.admin.certificate))
        }
    }

    @Test(arguments: [
        "server-ca.crt", "server-ca.key", "client-ca.crt", "serving-kube-apiserver.crt", "client-admin.key",
    ])
    func corruptFileIsNamedAndLeftUntouched(name: String) throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let path = dir + "/" + name
            let original = try String(contentsOfFile: path, encoding: .utf8)
            // Flip part of the base64 body so the PEM frame survives but the DER inside does not.
            let corrupt = original.replacingOccurrences(of: "\n", with: "\n!!", options: [], range: nil)
            try writeText(corrupt, to: path)

            #expect {
                try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            } throws: { error in
                guard let error = error as? PKIError else { return false }
                return error.path == path && error.message.contains(path)
                    && (error.code == .invalidPEM || error.code == .invalidKey)
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == corrupt)
        }
    }

    @Test func truncatedDERInsideValidPEMFrameIsAnError() throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let path = dir + "/server-ca.crt"
            let body = Data("not a certificate at all".utf8).base64EncodedString()
            let bogus = "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
            try writeText(bogus, to: path)
            #expect {
                try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            } throws: { error in
                (error as? PKIError)?.code == .invalidPEM && (error as? PKIError)?.path == path
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == bogus)
        }
    }

    @Test func halfMissingOrMismatchedCAIsAnErrorNotARegeneration() throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            let keyBytes = try bytes(dir + "/client-ca.key")
            try FileManager.default.removeItem(atPath: dir + "/client-ca.crt")
            #expect {
                try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            } throws: { error in
                (error as? PKIError)?.code == .incompleteKeyPair && (error as? PKIError)?.path == dir + "/client-ca.crt"
            }
            #expect(try bytes(dir + "/client-ca.key") == keyBytes)
            #expect(!FileManager.default.fileExists(atPath: dir + "/client-ca.crt"))

            // Server CA certificate with the client CA's key.
            try FileManager.default.removeItem(atPath: dir + "/client-ca.key")
            let serverKey = try bytes(dir + "/server-ca.key")
            try writeText(String(decoding: keyBytes, as: UTF8.self), to: dir + "/server-ca.key")
            #expect {
                try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            } throws: { error in
                (error as? PKIError)?.code == .keyMismatch
            }
            #expect(try bytes(dir + "/server-ca.key") == keyBytes)
            #expect(serverKey != keyBytes)
        }
    }

    @Test func unreadableFileIsNamed() throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            // A directory where a file should be: open succeeds but read fails with EISDIR on Linux.
            try FileManager.default.removeItem(atPath: dir + "/client-admin.crt")
            try FileManager.default.createDirectory(
                atPath: dir + "/client-admin.crt", withIntermediateDirectories: false)
            #expect {
                try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            } throws: { error in
                (error as? PKIError)?.code == .fileReadFailed && (error as? PKIError)?.path == dir + "/client-admin.crt"
            }
        }
    }

    @Test func halfMissingLeafIsReissued() throws {
        try withTemporaryDirectory { dir in
            _ = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            try FileManager.default.removeItem(atPath: dir + "/serving-kube-apiserver.key")
            let pki = try ClusterPKI.loadOrCreate(directory: dir, sans: Self.sans())
            #expect(
                pki.changes == [
                    .issuedCertificate(certificatePath: dir + "/serving-kube-apiserver.crt", reason: .incomplete)
                ])
            #expect(try permissions(dir + "/serving-kube-apiserver.key") == 0o600)
        }
    }
}
