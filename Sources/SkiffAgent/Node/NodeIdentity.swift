import Foundation
import Logging
import SkiffClient
import SkiffPKI

/// The agent's identity toward the server: its node password (made once, kept 0600 in `<directory>/node-password`)
/// and a client certificate for `system:node:<name>` that the server signs at every start, for a key made here that
/// never leaves the node (`<directory>/client-node.key`, 0600, beside `client-node.crt`). After the join the agent
/// speaks with the certificate, not the token's secret: its API client and its tunnel.
struct NodeIdentity {
    let directory: String
    let nodeName: String
    let logger: Logger

    var passwordPath: String { "\(directory)/node-password" }
    /// The server CA as fetched at the join and verified against the token, kept so a restart needs no server.
    var caPath: String { "\(directory)/server-ca.crt" }

    /// The CA kept at an earlier join, when the token pins it (a token for another cluster pins another CA).
    func pinnedCA(token: JoinToken) -> [UInt8]? {
        guard let pem = FileManager.default.contents(atPath: caPath), (try? token.verify(caPEM: Array(pem))) != nil
        else { return nil }
        return Array(pem)
    }

    func keepCA(_ pem: [UInt8]) throws {
        try write(String(decoding: pem, as: UTF8.self), to: caPath, mode: 0o644)
    }

    /// The node password, made on first use.
    func password() throws -> String {
        if let existing = try? String(contentsOfFile: passwordPath, encoding: .utf8) {
            let password = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if password.utf8.count >= 16 { return password }
        }
        let password = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try write(password + "\n", to: passwordPath, mode: 0o600)
        logger.info("node password created", metadata: ["file": "\(passwordPath)"])
        return password
    }

    /// The credentials to run with: a fresh node certificate, or the token's secret from a server that issues none.
    func credentials(join: ClusterJoin, caPEM: [UInt8]) async throws -> ClusterCredentials {
        let request = try CertificateRequest(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"])
        let chain: String
        do {
            chain = try await issue(join: join, caPEM: caPEM, requestPEM: request.requestPEM)
        } catch let error as ClientError where error.code == .unexpectedResponse {
            logger.warning(
                "the server issues no node certificates: the agent keeps using the token's secret",
                metadata: ["error": "\(error)"])
            return .bearerToken(join.token.secret)
        }
        try keep(chain: chain, keyPEM: request.privateKeyPEM)
        logger.info("node certificate issued", metadata: ["user": "system:node:\(nodeName)"])
        return .clientCertificate(certificatePEM: Array(chain.utf8), keyPEM: Array(request.privateKeyPEM.utf8))
    }

    /// A new certificate (for a new key) asked for with the current one, kept on disk; answers the PEMs.
    func renew(join: ClusterJoin, caPEM: [UInt8]) async throws -> (certificatePEM: [UInt8], keyPEM: [UInt8]) {
        let request = try CertificateRequest(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"])
        let chain = try await issue(join: join, caPEM: caPEM, requestPEM: request.requestPEM)
        try keep(chain: chain, keyPEM: request.privateKeyPEM)
        return (Array(chain.utf8), Array(request.privateKeyPEM.utf8))
    }

    /// Writes the key and then its certificate (a reader that finds the new certificate finds its key).
    func keep(chain: String, keyPEM: String) throws {
        try write(keyPEM, to: keyPath, mode: 0o600)
        try write(chain, to: certificatePath, mode: 0o644)
    }

    var certificatePath: String { "\(directory)/client-node.crt" }
    var keyPath: String { "\(directory)/client-node.key" }

    /// A certificate for `requestPEM`, asked for with the node's current certificate while it is valid (so a node
    /// that joined with a bootstrap token keeps working after the token expires), else with the token.
    func issue(join: ClusterJoin, caPEM: [UInt8], requestPEM: String) async throws -> String {
        let password = try password()
        if let current = currentCertificate() {
            do {
                return try await join.requestNodeCertificate(
                    caPEM: caPEM, node: nodeName, password: password, requestPEM: requestPEM, presenting: current)
            } catch {
                guard error.code == .unauthorized else { throw error }
                logger.warning(
                    "the server did not renew the node certificate on its own authority: asking with the token",
                    metadata: ["error": "\(error)"])
            }
        }
        return try await join.requestNodeCertificate(
            caPEM: caPEM, node: nodeName, password: password, requestPEM: requestPEM)
    }

    /// When the kept certificate was written (when the agent got it).
    func certificateObtained() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: certificatePath))?[.modificationDate] as? Date
    }

    /// The node certificate and key on disk while the certificate is valid for another second; nil otherwise.
    func currentCertificate(now: Date = Date()) -> (certificatePEM: [UInt8], keyPEM: [UInt8])? {
        guard let certificate = FileManager.default.contents(atPath: certificatePath),
            let key = FileManager.default.contents(atPath: keyPath),
            let window = CertificateValidity.window(pem: String(decoding: certificate, as: UTF8.self)),
            window.notValidBefore <= now, window.notValidAfter > now.addingTimeInterval(1)
        else { return nil }
        return (Array(certificate), Array(key))
    }

    /// Writes atomically with `mode` from the start (a key is never readable by others, even briefly).
    func write(_ text: String, to path: String, mode: mode_t) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        FileManager.default.createFile(
            atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: NSNumber(value: mode)])
        guard chmod(temporary, mode) == 0, rename(temporary, path) == 0 else {
            throw ClientError(.invalidCredentials, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
