import Foundation
import Testing

@testable import SkiffPKI

/// Real TLS stacks must accept what this module issues; OpenSSL stands in for them.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct OpenSSLInteropTests {
    @Test func opensslVerifiesChainsPurposesAndSANs() throws {
        try withTemporaryDirectory { dir in
            let pki = try ClusterPKI.loadOrCreate(
                directory: dir,
                sans: ServingNames(["localhost", "kubernetes.default.svc", "127.0.0.1", "10.43.0.1", "::1", "fd00::2"])
            )
            let layout = pki.layout

            let serving = try run(
                "/usr/bin/openssl",
                ["verify", "-CAfile", layout.serverCACertificate, "-purpose", "sslserver", layout.servingCertificate]
            )
            #expect(serving.status == 0, "\(serving.output)")
            #expect(serving.output.contains(": OK"))

            let admin = try run(
                "/usr/bin/openssl",
                ["verify", "-CAfile", layout.clientCACertificate, "-purpose", "sslclient", layout.adminCertificate]
            )
            #expect(admin.status == 0, "\(admin.output)")

            // Wrong CA and wrong purpose must fail.
            let wrongCA = try run(
                "/usr/bin/openssl",
                ["verify", "-CAfile", layout.clientCACertificate, layout.servingCertificate]
            )
            #expect(wrongCA.status != 0)
            let wrongPurpose = try run(
                "/usr/bin/openssl",
                ["verify", "-CAfile", layout.clientCACertificate, "-purpose", "sslserver", layout.adminCertificate]
            )
            #expect(wrongPurpose.status != 0)

            let text = try run("/usr/bin/openssl", ["x509", "-noout", "-text", "-in", layout.servingCertificate])
            #expect(text.status == 0)
            for fragment in [
                "DNS:localhost", "DNS:kubernetes.default.svc", "IP Address:127.0.0.1", "IP Address:10.43.0.1",
                "IP Address:0:0:0:0:0:0:0:1", "IP Address:FD00:0:0:0:0:0:0:2", "TLS Web Server Authentication",
                "CA:FALSE", "ecdsa-with-SHA256",
            ] {
                #expect(text.output.contains(fragment), "missing \(fragment)")
            }

            let subject = try run(
                "/usr/bin/openssl",
                ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", layout.adminCertificate]
            )
            #expect(subject.output.contains("CN=system:admin"))
            #expect(subject.output.contains("O=system:masters"))

            // OpenSSL reads the private keys and agrees they match the certificates.
            for (cert, key) in [
                (layout.servingCertificate, layout.servingKey), (layout.serverCACertificate, layout.serverCAKey),
            ] {
                let fromCert = try run("/usr/bin/openssl", ["x509", "-noout", "-pubkey", "-in", cert])
                let fromKey = try run("/usr/bin/openssl", ["pkey", "-pubout", "-in", key])
                #expect(fromKey.status == 0, "\(fromKey.output)")
                #expect(fromCert.output == fromKey.output)
            }

            // The node token hash equals sha256 of the CA file, as `sha256sum server-ca.crt` shows in k3s docs.
            let digest = try run("/usr/bin/openssl", ["dgst", "-sha256", "-r", layout.serverCACertificate])
            let token = try NodeToken(caPEM: Array(pki.serverCA.certificatePEM.utf8), password: "pw")
            #expect(digest.output.hasPrefix(token.caHash ?? "-"))
        }
    }

    @Test func signsCSRMadeByOpenSSL() throws {
        try withTemporaryDirectory { dir in
            let ca = try CertificateAuthority.generate(namePrefix: "skiff-client-ca")
            try writeText(ca.certificatePEM, to: dir + "/ca.crt")

            for keySpec in [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"], ["-newkey", "rsa:2048"]] {
                let made = try run(
                    "/usr/bin/openssl",
                    [
                        "req", "-new", "-nodes", "-keyout", dir + "/agent.key", "-out", dir + "/agent.csr",
                        "-subj", "/O=system:masters/CN=system:admin",
                    ] + keySpec
                )
                #expect(made.status == 0, "\(made.output)")
                let csrPEM = try String(contentsOfFile: dir + "/agent.csr", encoding: .utf8)

                let signed = try ca.sign(csrPEM: csrPEM, as: .nodeClient(nodeName: "edge-3"))
                try writeText(signed.certificatePEM, to: dir + "/agent.crt")
                let verified = try run(
                    "/usr/bin/openssl",
                    ["verify", "-CAfile", dir + "/ca.crt", "-purpose", "sslclient", dir + "/agent.crt"]
                )
                #expect(verified.status == 0, "\(verified.output)")
                // The CSR asked for system:admin; the certificate says what the CA decided.
                #expect(
                    try ca.authenticateClient(chainPEM: signed.chainPEM)
                        == ClientIdentity(user: "system:node:edge-3", groups: ["system:nodes"]))

                let fromCert = try run("/usr/bin/openssl", ["x509", "-noout", "-pubkey", "-in", dir + "/agent.crt"])
                let fromKey = try run("/usr/bin/openssl", ["pkey", "-pubout", "-in", dir + "/agent.key"])
                #expect(fromCert.output == fromKey.output)
            }
        }
    }
}
