import Crypto
import Foundation
import _CryptoExtras

/// The control plane's shared secrets (CA certificates and keys, the service-account key) sealed for the datastore, so
/// that several servers on one database present the same CA, as k3s' bootstrap data: a key derived from the cluster
/// token's secret (PBKDF2-SHA256, a random salt) seals the files with AES-GCM. Whoever holds the token can open it;
/// the database alone reveals nothing. Pure: bytes in, bytes out.
public enum BootstrapBundle {
    /// The files under `server/tls/` every server must share; leaves (serving, admin) stay each server's own.
    public static let sharedFiles = ["server-ca.crt", "server-ca.key", "client-ca.crt", "client-ca.key", "service.key"]

    static let magic = Array("skiff-bootstrap-v1\n".utf8)
    static let saltBytes = 16
    static let rounds = 210_000

    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Where a cluster's bundle lives in the datastore: named by a hash of the token secret, so a server with another
    /// token finds nothing there rather than a bundle it cannot open.
    public static func storeKey(secret: String) -> String {
        let digest = SHA256.hash(data: Array("skiff-bootstrap:\(secret)".utf8))
        return "/bootstrap/" + digest.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// `files` (name → content) sealed under `secret`.
    public static func seal(_ files: [String: [UInt8]], secret: String) throws(Error) -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: saltBytes)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let document = files.sorted { $0.key < $1.key }.map { ($0.key, Data($0.value).base64EncodedString()) }
        do {
            let plain = Array(try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: document)))
            let box = try AES.GCM.seal(plain, using: try key(secret: secret, salt: salt))
            guard let combined = box.combined else { throw Error(description: "sealing the bootstrap data failed") }
            return magic + salt + Array(combined)
        } catch let error as Error {
            throw error
        } catch {
            throw Error(description: "sealing the bootstrap data failed: \(error)")
        }
    }

    /// The files of a sealed bundle; fails when `secret` is not the one it was sealed with.
    public static func open(_ sealed: [UInt8], secret: String) throws(Error) -> [String: [UInt8]] {
        guard sealed.count > magic.count + saltBytes, Array(sealed.prefix(magic.count)) == magic else {
            throw Error(description: "the datastore's bootstrap data is not in skiff's format")
        }
        let salt = Array(sealed[magic.count..<(magic.count + saltBytes)])
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(combined: sealed[(magic.count + saltBytes)...])
            plain = try AES.GCM.open(box, using: try key(secret: secret, salt: salt))
        } catch {
            throw Error(
                description: "the datastore's bootstrap data does not open with this token (another cluster's?)")
        }
        guard let document = try? JSONSerialization.jsonObject(with: plain) as? [String: String] else {
            throw Error(description: "the datastore's bootstrap data is damaged")
        }
        var files: [String: [UInt8]] = [:]
        for (name, encoded) in document {
            guard let bytes = Data(base64Encoded: encoded) else {
                throw Error(description: "the datastore's bootstrap data is damaged")
            }
            files[name] = Array(bytes)
        }
        return files
    }

    /// This server's shared files from `tls/` (those present).
    public static func read(directory: String) throws(PKIError) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in sharedFiles {
            if let bytes = try FileSystem.readIfExists(FileSystem.join(directory, name)) { files[name] = bytes }
        }
        return files
    }

    /// Puts the cluster's shared files into `tls/` (keys 0600); true when any differed. When a CA changes, this
    /// server's leaves signed by the old one are removed, so that loading the PKI issues new ones.
    @discardableResult
    public static func install(_ files: [String: [UInt8]], directory: String) throws(PKIError) -> Bool {
        try FileSystem.makeDirectories(directory, mode: 0o700)
        var changed = false
        for name in sharedFiles {
            guard let bytes = files[name] else { continue }
            let path = FileSystem.join(directory, name)
            guard try FileSystem.readIfExists(path) != bytes else { continue }
            try FileSystem.writeAtomically(path, contents: bytes, mode: name.hasSuffix(".key") ? 0o600 : 0o644)
            changed = true
        }
        if changed {
            for leaf in [
                "serving-kube-apiserver.crt", "serving-kube-apiserver.key", "client-admin.crt", "client-admin.key",
            ] {
                unlink(FileSystem.join(directory, leaf))
            }
        }
        return changed
    }

    static func key(secret: String, salt: [UInt8]) throws -> SymmetricKey {
        try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(secret.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
    }
}
