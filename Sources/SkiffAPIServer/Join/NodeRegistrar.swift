import Crypto
import Foundation
import SkiffModel
import SkiffPKI

/// Node identity at join, k3s' model: an agent that holds the join token posts a PKCS#10 request for its node name to
/// `/v1-skiff/node-certificate` and gets back a client certificate for `system:node:<name>` (group `system:nodes`)
/// signed by the cluster's client CA; the key never leaves the node.
///
/// A node password guards the name: the first join stores a salted SHA-256 of the agent's password in the Secret
/// `kube-system/<name>.node-password.skiff`; a later join under that name must present the same password, so a second
/// machine holding the token cannot take over an existing node. The password is random and long (the agent makes
/// it), so a fast hash is enough.
public struct NodeRegistrar: Sendable {
    let clientCA: CertificateAuthority
    /// How long issued node certificates are valid.
    public let validity: TimeInterval

    public init(clientCA: CertificateAuthority, validity: TimeInterval = SkiffPKI.leafValidity) {
        self.clientCA = clientCA
        self.validity = validity
    }

    public static let minimumPasswordLength = 16

    public static func secretName(node: String) -> String { "\(node).node-password.skiff" }

    /// `<salt hex>$<hex SHA-256 of salt and password>`.
    static func hash(_ password: String, salt: [UInt8]) -> String {
        let digest = SHA256.hash(data: salt + Array(password.utf8))
        return hex(salt) + "$" + hex(Array(digest))
    }

    static func matches(_ password: String, stored: String) -> Bool {
        let parts = stored.split(separator: "$", maxSplits: 1)
        guard parts.count == 2, let salt = bytes(hex: parts[0]) else { return false }
        let expected = Array(hash(password, salt: salt).utf8)
        let given = Array(stored.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Checks (or, on the first join, records) `node`'s password, then signs `csrPEM` for it; the certificate and the
    /// CA's follow, PEM.
    func register(node: String, password: String, csrPEM: String, registry: ObjectRegistry) async throws(APIError)
        -> String
    {
        let problems = NameValidation.subdomainErrors(node)
        guard problems.isEmpty else {
            throw APIError.badRequest("node name \"\(node)\" is not valid: \(problems.joined(separator: "; "))")
        }
        guard password.utf8.count >= Self.minimumPasswordLength else {
            throw APIError.badRequest("the node password must be at least \(Self.minimumPasswordLength) characters")
        }
        guard let secrets = registry.resources.lookup(group: "", version: "v1", resource: "secrets") else {
            throw APIError.internal("secrets are not served")
        }
        let name = Self.secretName(node: node)
        do throws(APIError) {
            let existing = try await registry.getObject(secrets, namespace: "kube-system", name: name)
            let stored =
                existing["data"]["hash"].stringValue.flatMap { Data(base64Encoded: $0) }
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard Self.matches(password, stored: stored) else {
                throw APIError.forbidden(
                    "node \"\(node)\" joined before with another node password: another machine cannot take its name. "
                        + "If that machine is gone for good, delete the Secret kube-system/\(name) and join again")
            }
        } catch {
            guard error.code == 404 else { throw error }
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
            let secret: JSON = [
                "apiVersion": "v1", "kind": "Secret", "type": "skiff.io/node-password",
                "metadata": ["name": .string(name), "namespace": "kube-system"],
                "data": ["hash": .string(Data(Self.hash(password, salt: salt).utf8).base64EncodedString())],
            ]
            _ = try await registry.create(secrets, namespace: "kube-system", object: secret)
        }
        do {
            return try clientCA.sign(csrPEM: csrPEM, as: .nodeClient(nodeName: node, validity: validity)).chainPEM
        } catch {
            throw APIError.badRequest("the certificate request cannot be signed: \(error)")
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}
