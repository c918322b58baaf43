import Crypto
import Foundation
import SkiffClient
import SkiffModel

/// Reads the auto-deploy folder: which manifests are there (a cheap listing of sizes and modification times, polled)
/// and, for a new or changed one, its content, checksum and documents.
struct ManifestFolder: Sendable {
    let directory: String

    /// What the listing compares between polls: a file whose fingerprint changed is read again.
    struct Fingerprint: Hashable, Sendable {
        var size: Int
        var modified: Double
        var inode: Int
    }

    /// A manifest as read: its content's SHA-256 and its objects, or why they cannot be applied.
    struct Manifest: Sendable {
        var checksum: String
        var documents: Result<ManifestDocuments, ManifestDocuments.Invalid>
    }

    /// The manifests present now (relative paths, `.skip` twins applied), with their fingerprints.
    func scan() -> [String: Fingerprint] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory) else { return [:] }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String { paths.append(path) }
        var listing: [String: Fingerprint] = [:]
        for path in ManifestSelection.manifests(among: paths) {
            var info = stat()
            guard stat("\(directory)/\(path)", &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            listing[path] = Fingerprint(
                size: Int(info.st_size),
                modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9, inode: Int(info.st_ino))
        }
        return listing
    }

    /// Reads one manifest; nil when it vanished meanwhile.
    func read(_ path: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(path)") else { return nil }
        let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let documents: Result<ManifestDocuments, ManifestDocuments.Invalid>
        do {
            let text = String(decoding: data, as: UTF8.self)
            documents = .success(try ManifestDocuments(documents: try Self.decode(text, json: path.hasSuffix(".json"))))
        } catch {
            documents = .failure(error)
        }
        return Manifest(checksum: checksum, documents: documents)
    }

    private static func decode(_ text: String, json: Bool) throws(ManifestDocuments.Invalid) -> [JSON] {
        do {
            return try YAMLDocuments.decodeAll(text)
        } catch {
            throw ManifestDocuments.Invalid(message: "not valid \(json ? "JSON" : "YAML"): \(error.message)")
        }
    }
}
