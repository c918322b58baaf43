import Foundation

/// A bootstrap token (`<id>.<secret>`, 6 and 16 characters of `[a-z0-9]`): a short-lived credential that lets a new
/// node join and do nothing else, kept as upstream and k3s keep it, in a Secret `kube-system/bootstrap-token-<id>` of
/// type `bootstrap.kubernetes.io/token`. Deleting the Secret or passing its expiration revokes it.
public struct BootstrapToken: Sendable, Equatable, CustomStringConvertible {
    public static let namespace = "kube-system"
    public static let secretType = "bootstrap.kubernetes.io/token"
    public static let secretPrefix = "bootstrap-token-"
    /// The group k3s gives its node tokens' users, besides `system:bootstrappers`.
    public static let nodeTokenGroup = "system:bootstrappers:skiff:default-node-token"

    public let id: String
    public let secret: String

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// Parses `<id>.<secret>`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 6, parts[1].count == 16,
            parts.allSatisfy({ $0.allSatisfy { Self.alphabet.contains($0) } })
        else { return nil }
        id = String(parts[0])
        secret = String(parts[1])
    }

    /// A new random token.
    public static func random() -> BootstrapToken {
        var generator = SystemRandomNumberGenerator()
        func draw(_ count: Int) -> String {
            String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
        }
        return BootstrapToken("\(draw(6)).\(draw(16))")!
    }

    /// `<id>.<secret>`.
    public var description: String { "\(id).\(secret)" }

    public var secretName: String { Self.secretPrefix + id }

    /// The Secret that makes the token valid until `expiration` (forever when nil).
    public func secretObject(description: String?, expiration: Date?) -> JSON {
        var data: JSON = [
            "token-id": .string(Self.base64(id)), "token-secret": .string(Self.base64(secret)),
            "usage-bootstrap-authentication": .string(Self.base64("true")),
            "usage-bootstrap-signing": .string(Self.base64("true")),
            "auth-extra-groups": .string(Self.base64(Self.nodeTokenGroup)),
        ]
        if let description { data["description"] = .string(Self.base64(description)) }
        if let expiration { data["expiration"] = .string(Self.base64(KubeTimestamp.string(expiration))) }
        return [
            "apiVersion": "v1", "kind": "Secret", "type": .string(Self.secretType),
            "metadata": ["name": .string(secretName), "namespace": .string(Self.namespace)],
            "data": data,
        ]
    }

    /// Whether `secret` (a stored Secret) makes this token valid at `now`, and if so with which extra groups.
    /// Checked as upstream's bootstrap authenticator does: type, id, secret (in constant time), usage, expiration.
    public func groups(validatedBy secret: JSON, now: Date) -> [String]? {
        guard secret["type"].stringValue == Self.secretType else { return nil }
        let data = secret["data"]
        func value(_ key: String) -> String? {
            data[key].stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        guard value("token-id") == id, let stored = value("token-secret"), Self.constantTimeEquals(stored, self.secret),
            value("usage-bootstrap-authentication") == "true"
        else { return nil }
        if let expiration = value("expiration") {
            guard let date = KubeTimestamp.date(expiration), date > now else { return nil }
        }
        let extra = (value("auth-extra-groups") ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return extra.filter { $0.hasPrefix("system:bootstrappers:") }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
