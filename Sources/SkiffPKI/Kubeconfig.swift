import Foundation

/// A kubeconfig with one cluster, one client-certificate user and one context, shaped like k3s's `k3s.yaml`.
public struct Kubeconfig: Sendable, Hashable {
    /// The API server URL, e.g. `https://127.0.0.1:6443`.
    public var server: String
    /// PEM of the CA that signs the server's certificate.
    public var certificateAuthorityPEM: String
    /// PEM of the client certificate.
    public var clientCertificatePEM: String
    /// PEM of the client certificate's private key.
    public var clientKeyPEM: String
    /// The name used for the cluster, the user and the context (k3s uses `default` for all three).
    public var name: String

    /// Creates a kubeconfig from its parts.
    public init(
        server: String,
        certificateAuthorityPEM: String,
        clientCertificatePEM: String,
        clientKeyPEM: String,
        name: String = "default"
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.name = name
    }

    /// The admin kubeconfig for a cluster: server CA, `client-admin` certificate and key.
    public init(admin pki: ClusterPKI, server: String, name: String = "default") {
        self.init(
            server: server,
            certificateAuthorityPEM: pki.serverCA.certificatePEM,
            clientCertificatePEM: pki.admin.certificatePEM,
            clientKeyPEM: pki.admin.privateKeyPEM,
            name: name
        )
    }

    /// The YAML text. The shape is fixed, so it is written directly; every value is emitted as a safe YAML scalar.
    public func render() -> String {
        let name = YAMLScalar.quote(self.name)
        return """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: \(Self.base64(self.certificateAuthorityPEM))
                server: \(YAMLScalar.quote(self.server))
              name: \(name)
            contexts:
            - context:
                cluster: \(name)
                user: \(name)
              name: \(name)
            current-context: \(name)
            kind: Config
            preferences: {}
            users:
            - name: \(name)
              user:
                client-certificate-data: \(Self.base64(self.clientCertificatePEM))
                client-key-data: \(Self.base64(self.clientKeyPEM))

            """
    }

    /// Writes `render()` to `path` atomically with exactly `mode`, creating missing parent directories (0755).
    public func write(to path: String, mode: mode_t = 0o600) throws(PKIError) {
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), mode: 0o755)
        try FileSystem.writeAtomically(path, contents: Array(self.render().utf8), mode: mode)
    }

    private static func base64(_ text: String) -> String {
        // Base64's alphabet (A–Z a–z 0–9 + / =) never needs quoting in YAML.
        Data(text.utf8).base64EncodedString()
    }
}

/// Emits YAML scalars: plain when unambiguous, double-quoted (JSON-style escapes, valid YAML) otherwise.
enum YAMLScalar {
    static func quote(_ value: String) -> String {
        isPlainSafe(value) ? value : doubleQuoted(value)
    }

    /// Whether `value` reads back as the same string when written plain.
    static func isPlainSafe(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last else {
            return false
        }
        let allowed = value.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || "-_./:@+=".unicodeScalars.contains(scalar)
        }
        let firstIsSafe =
            (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") || first == "/"
            || (first >= "0" && first <= "9")
        guard allowed, firstIsSafe, last != ":" else {
            return false
        }
        // Words and numbers that YAML 1.1 or 1.2 would resolve to booleans, nulls or numbers.
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]
        if reserved.contains(value.lowercased()) {
            return false
        }
        let numeric = value.unicodeScalars.allSatisfy { scalar in
            (scalar >= "0" && scalar <= "9") || "+-._:eExXoObB".unicodeScalars.contains(scalar)
                || (scalar >= "a" && scalar <= "f") || (scalar >= "A" && scalar <= "F")
        }
        let startsWithDigit = (first >= "0" && first <= "9")
        return !(numeric && startsWithDigit)
    }

    static func doubleQuoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            case _
            where scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xfeff:
                // Line and byte-order marks that YAML readers may fold or strip.
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
