import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import SkiffPKI

@Suite struct CertificateAuthorityTests {
    @Test func generatedCAHasK3sStyleNameAndTenYearLifetime() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let ca = try CertificateAuthority.generate(namePrefix: "skiff-server-ca", now: now)
        let identity = try ClientIdentity(certificate: ca.certificate)
        #expect(identity.user == "skiff-server-ca@1700000000")
        #expect(ca.certificate.subject == ca.certificate.issuer)
        #expect(ca.certificate.notValidAfter == now.addingTimeInterval(SkiffPKI.caValidity))
        #expect(ca.certificate.notValidBefore <= now)
        #expect(try ca.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(try ca.certificate.extensions.keyUsage?.keyCertSign == true)
        #expect(ca.certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(ca.certificate.publicKey.isValidSignature(ca.certificate.signature, for: ca.certificate))
    }

    @Test func caRoundTripsThroughPEM() throws {
        let ca = try CertificateAuthority.generate(namePrefix: "skiff-client-ca")
        #expect(ca.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(ca.certificatePEM.hasSuffix("-----END CERTIFICATE-----\n"))
        #expect(ca.privateKeyPEM.contains("PRIVATE KEY-----"))

        let loaded = try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: ca.privateKeyPEM)
        #expect(loaded.certificate == ca.certificate)
        #expect(loaded.keyPair.privateKey == ca.keyPair.privateKey)
        #expect(loaded.certificatePEM == ca.certificatePEM)

        // The loaded CA can still issue certificates that chain to the original.
        let leaf = try loaded.issueClientCertificate(commonName: "someone")
        #expect(ca.isIssuer(of: leaf.certificate))
    }

    @Test func loadingRejectsMismatchedKeyAndNonCACertificate() throws {
        let other = try CertificateAuthority.generate(namePrefix: "other")
        #expect {
            try CertificateAuthority(certificatePEM: sharedCA.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        } throws: { error in
            (error as? PKIError)?.code == .keyMismatch
        }
        let leaf = try sharedCA.issueClientCertificate(commonName: "leaf")
        #expect {
            try CertificateAuthority(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        } throws: { error in
            (error as? PKIError)?.code == .invalidArgument
        }
        #expect {
            try CertificateAuthority(certificatePEM: "garbage", privateKeyPEM: sharedCA.privateKeyPEM)
        } throws: { error in
            (error as? PKIError)?.code == .invalidPEM
        }
    }

    @Test func servingCertificateVerifiesWithSwiftCertificatesAndCarriesSANs() async throws {
        let names = try ServingNames([
            "localhost", "kubernetes.default.svc", "127.0.0.1", "10.43.0.1", "::1", "fd00::10",
        ])
        let serving = try sharedCA.issueServingCertificate(commonName: "kube-apiserver", names: names)
        let certificate = serving.certificate

        let san = try #require(try certificate.extensions.subjectAlternativeNames)
        let dnsNames = san.compactMap { name -> String? in
            if case .dnsName(let dns) = name { return dns }
            return nil
        }
        let ipCount = san.filter { if case .ipAddress = $0 { true } else { false } }.count
        #expect(dnsNames == ["localhost", "kubernetes.default.svc"])
        #expect(ipCount == 4)
        #expect(ServingNames(certificate: certificate) == names)
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == false)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) >= SkiffPKI.leafValidity)

        for (host, ip) in [("localhost", nil), (nil, "10.43.0.1"), (nil, "::1"), ("kubernetes.default.svc", nil)] {
            var verifier = Verifier(rootCertificates: CertificateStore([sharedCA.certificate])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: host, serverIP: ip)
            }
            let result = await verifier.validate(leaf: certificate, intermediates: CertificateStore())
            guard case .validCertificate(let chain) = result else {
                Issue.record("serving certificate did not verify for \(host ?? ip ?? "?"): \(result)")
                continue
            }
            #expect(chain.count == 2)
        }

        // A name that is not in the certificate must fail the identity check.
        var strict = Verifier(rootCertificates: CertificateStore([sharedCA.certificate])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: "evil.example.com", serverIP: nil)
        }
        let rejected = await strict.validate(leaf: certificate, intermediates: CertificateStore())
        guard case .couldNotValidate = rejected else {
            Issue.record("certificate verified for a host it does not name")
            return
        }
    }

    @Test func servingCertificateWithoutNamesIsRefused() throws {
        #expect {
            try sharedCA.issueServingCertificate(commonName: "kube-apiserver", names: ServingNames())
        } throws: { error in
            (error as? PKIError)?.code == .invalidArgument
        }
    }

    @Test(arguments: [
        ("system:admin", ["system:masters"]),
        ("system:node:edge-1", ["system:nodes"]),
        ("system:kube-proxy", []),
        ("jane", ["dev", "ops", "system:authenticated"]),
    ])
    func clientCertificateIdentityIsExtracted(user: String, groups: [String]) throws {
        let client = try sharedCA.issueClientCertificate(commonName: user, organizations: groups)
        #expect(try ClientIdentity(certificate: client.certificate) == ClientIdentity(user: user, groups: groups))
        #expect(try client.certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == true)

        let identity = try sharedCA.authenticateClient(chain: [client.certificate])
        #expect(identity.user == user)
        #expect(identity.groups == groups)
        #expect(try sharedCA.authenticateClient(chainPEM: client.certificatePEM) == identity)
    }

    @Test func nodeAndAdminProfilesMatchKubernetesConventions() throws {
        let node = try sharedCA.issue(.nodeClient(nodeName: "edge-7"))
        #expect(
            try sharedCA.authenticateClient(chain: [node.certificate])
                == ClientIdentity(user: "system:node:edge-7", groups: ["system:nodes"]))
        let admin = try sharedCA.issue(.admin())
        #expect(
            try sharedCA.authenticateClient(chain: [admin.certificate])
                == ClientIdentity(user: "system:admin", groups: ["system:masters"]))
    }

    @Test func kubeletServingProfileMatchesK3s() throws {
        let profile = try LeafProfile.kubeletServing(nodeName: "Edge-4", nodeIPs: ["192.168.1.20", "fd00::20"])
        #expect(profile.commonName == "Edge-4")
        #expect(profile.names.dnsNames == ["edge-4", "localhost"])
        #expect(profile.names.ipAddresses == ["127.0.0.1", "::1", "192.168.1.20", "fd00::20"])
        #expect(profile.usages == [.serverAuth])
        let issued = try sharedCA.issue(profile)
        try sharedCA.verify(issued.certificate, for: .serverAuth)
        #expect(throws: PKIError.self) { try sharedCA.verify(issued.certificate, for: .clientAuth) }
    }

    @Test func clientAuthenticationRejectsForeignExpiredAndServingCertificates() throws {
        let foreignCA = try CertificateAuthority.generate(namePrefix: "foreign")
        let foreign = try foreignCA.issueClientCertificate(
            commonName: "system:admin", organizations: ["system:masters"])
        #expect {
            try sharedCA.authenticateClient(chain: [foreign.certificate])
        } throws: { error in
            (error as? PKIError)?.code == .verificationFailed
        }

        // Same subject and issuer name as a real CA, different key: the signature check must catch it.
        let impostorCA = try CertificateAuthority.generate(
            commonName: try ClientIdentity(certificate: sharedCA.certificate).user
        )
        let forged = try impostorCA.issueClientCertificate(
            commonName: "system:admin", organizations: ["system:masters"])
        #expect(forged.certificate.issuer == sharedCA.certificate.subject)
        #expect {
            try sharedCA.authenticateClient(chain: [forged.certificate])
        } throws: { error in
            (error as? PKIError)?.code == .verificationFailed
        }

        let client = try sharedCA.issueClientCertificate(commonName: "late")
        #expect {
            try sharedCA.authenticateClient(chain: [client.certificate], now: Date().addingTimeInterval(400 * 86_400))
        } throws: { error in
            (error as? PKIError)?.message.contains("expired") == true
        }

        let serving = try sharedCA.issueServingCertificate(commonName: "srv", names: ServingNames(["localhost"]))
        #expect {
            try sharedCA.authenticateClient(chain: [serving.certificate])
        } throws: { error in
            (error as? PKIError)?.message.contains("clientAuth") == true
        }

        #expect {
            try sharedCA.authenticateClient(chain: [])
        } throws: { error in
            (error as? PKIError)?.code == .verificationFailed
        }
    }

    @Test func leafNeverOutlivesItsCA() throws {
        let now = Date()
        let shortCA = try CertificateAuthority.generate(commonName: "short", now: now, validity: 30 * 86_400)
        let leaf = try shortCA.issueClientCertificate(commonName: "x", now: now)
        #expect(leaf.certificate.notValidAfter == shortCA.certificate.notValidAfter)
    }

    @Test func signsCSRWithCallerChosenIdentityIgnoringRequestedSubject() throws {
        let requesterKey = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: DistinguishedName {
                CommonName("system:admin")
                OrganizationName("system:masters")
            },
            privateKey: Certificate.PrivateKey(requesterKey),
            attributes: CertificateSigningRequest.Attributes()
        )
        let csrPEM = try csr.serializeAsPEM().pemString

        let signed = try sharedCA.sign(csrPEM: csrPEM, as: .nodeClient(nodeName: "edge-2"))
        #expect(signed.certificate.publicKey == Certificate.PublicKey(requesterKey.publicKey))
        let identity = try sharedCA.authenticateClient(chain: [signed.certificate])
        #expect(identity == ClientIdentity(user: "system:node:edge-2", groups: ["system:nodes"]))
        #expect(signed.chainPEM == signed.certificatePEM + sharedCA.certificatePEM)

        let serving = try sharedCA.sign(
            csrDER: try csr.serializeAsPEM().derBytes,
            as: .serving(commonName: "edge-2", names: ServingNames(["edge-2", "localhost", "127.0.0.1", "::1"]))
        )
        #expect(ServingNames(certificate: serving.certificate).dnsNames == ["edge-2", "localhost"])
        try sharedCA.verify(serving.certificate, for: .serverAuth)
    }

    @Test func rejectsCSRsThatAreMalformedOrNotSelfSigned() throws {
        #expect {
            try sharedCA.sign(csrPEM: "not a csr", as: .client(commonName: "x"))
        } throws: { error in
            (error as? PKIError)?.code == .invalidCSR
        }
        #expect {
            try sharedCA.sign(csrPEM: sharedCA.certificatePEM, as: .client(commonName: "x"))
        } throws: { error in
            (error as? PKIError)?.message.contains("CERTIFICATE REQUEST") == true
        }

        // A request whose signature was made by a different key than the one it carries.
        let good = try CertificateSigningRequest(
            version: .v1,
            subject: DistinguishedName { CommonName("x") },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()),
            attributes: CertificateSigningRequest.Attributes()
        )
        let other = try CertificateSigningRequest(
            version: .v1,
            subject: DistinguishedName { CommonName("x") },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()),
            attributes: CertificateSigningRequest.Attributes()
        )
        let tampered = try CertificateSigningRequest(
            version: .v1,
            subject: good.subject,
            publicKey: good.publicKey,
            attributes: good.attributes,
            signatureAlgorithm: other.signatureAlgorithm,
            signature: other.signature
        )
        #expect {
            try sharedCA.sign(csr: tampered, as: .client(commonName: "x"))
        } throws: { error in
            (error as? PKIError)?.code == .invalidCSR
        }
    }

    @Test func verifiesThroughAnIntermediate() throws {
        // An intermediate CA issued by the root, then a client certificate issued by the intermediate.
        let intermediateKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let now = Date()
        let intermediateName = try DistinguishedName { CommonName("intermediate") }
        let intermediateCert = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: intermediateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(86_400 * 400),
            issuer: sharedCA.certificate.subject,
            subject: intermediateName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: sharedCA.keyPair.privateKey
        )
        let intermediate = try CertificateAuthority(
            certificatePEM: try intermediateCert.serializeAsPEM().pemString,
            privateKeyPEM: try intermediateKey.serializeAsPEM().pemString
        )
        let leaf = try intermediate.issueClientCertificate(commonName: "deep", organizations: ["g"])
        let identity = try sharedCA.authenticateClient(chain: [leaf.certificate, intermediateCert])
        #expect(identity == ClientIdentity(user: "deep", groups: ["g"]))
        #expect {
            try sharedCA.authenticateClient(chain: [leaf.certificate])
        } throws: { error in
            (error as? PKIError)?.code == .verificationFailed
        }
    }
}
