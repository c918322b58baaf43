import Foundation
import Testing

@testable import SkiffPKI

@Suite struct KubeconfigTests {
    static let sample = Kubeconfig(
        server: "https://127.0.0.1:6443",
        certificateAuthorityPEM: "CA\n",
        clientCertificatePEM: "CERT\n",
        clientKeyPEM: "KEY\n"
    )

    @Test func rendersK3sShape() {
        let expected = """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: \(Data("CA\n".utf8).base64EncodedString())
                server: https://127.0.0.1:6443
              name: default
            contexts:
            - context:
                cluster: default
                user: default
              name: default
            current-context: default
            kind: Config
            preferences: {}
            users:
            - name: default
              user:
                client-certificate-data: \(Data("CERT\n".utf8).base64EncodedString())
                client-key-data: \(Data("KEY\n".utf8).base64EncodedString())

            """
        #expect(Self.sample.render() == expected)
    }

    @Test(arguments: [
        ("default", "default"),
        ("https://[::1]:6443", "\"https://[::1]:6443\""),
        ("true", "\"true\""),
        ("No", "\"No\""),
        ("null", "\"null\""),
        ("1.5", "\"1.5\""),
        ("0x1f", "\"0x1f\""),
        ("has space", "\"has space\""),
        ("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\""),
        ("line\nbreak", "\"line\\nbreak\""),
        ("#comment", "\"#comment\""),
        ("", "\"\""),
        ("edge:", "\"edge:\""),
        ("système", "\"système\""),
    ])
    func quotesScalarsThatNeedIt(value: String, expected: String) {
        #expect(YAMLScalar.quote(value) == expected)
    }

    @Test func writesWithModeAndCreatesParents() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/etc/skiff/skiff.yaml"
            try Self.sample.write(to: path)
            #expect(try permissions(path) == 0o600)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.sample.render())
            try Self.sample.write(to: path, mode: 0o644)
            #expect(try permissions(path) == 0o644)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/etc/skiff")
            #expect(leftovers == ["skiff.yaml"])
        }
    }

    @Test func writeFailsWithNamedErrorWhenParentIsAFile() throws {
        try withTemporaryDirectory { dir in
            try writeText("x", to: dir + "/file")
            #expect {
                try Self.sample.write(to: dir + "/file/kubeconfig.yaml")
            } throws: { error in
                (error as? PKIError)?.code == .fileWriteFailed
                    && (error as? PKIError)?.message.contains(dir + "/file") == true
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
    func kubectlReadsTheAdminKubeconfig() throws {
        try withTemporaryDirectory { dir in
            let pki = try ClusterPKI.loadOrCreate(
                directory: dir + "/tls", sans: ServingNames(["localhost", "127.0.0.1"]))
            let config = Kubeconfig(admin: pki, server: "https://127.0.0.1:6443", name: "edge \"lab\"")
            let path = dir + "/kubeconfig.yaml"
            try config.write(to: path)

            let server = try run(
                "/usr/bin/kubectl",
                ["config", "view", "--kubeconfig", path, "--raw", "-o", "jsonpath={.clusters[0].cluster.server}"]
            )
            #expect(server.status == 0, "\(server.output)")
            #expect(server.output == "https://127.0.0.1:6443")

            let context = try run("/usr/bin/kubectl", ["config", "current-context", "--kubeconfig", path])
            #expect(context.output.trimmingCharacters(in: .whitespacesAndNewlines) == "edge \"lab\"")

            let keyData = try run(
                "/usr/bin/kubectl",
                ["config", "view", "--kubeconfig", path, "--raw", "-o", "jsonpath={.users[0].user.client-key-data}"]
            )
            let decoded = Data(base64Encoded: keyData.output).map { String(decoding: $0, as: UTF8.self) }
            #expect(decoded == pki.admin.privateKeyPEM)
        }
    }
}
