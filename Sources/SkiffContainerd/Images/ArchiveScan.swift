/// One image archive as seen in the images dir: enough to tell whether it changed since it was imported.
public struct ArchiveFingerprint: Sendable, Hashable {
    public var name: String
    public var size: UInt64
    /// Modification time, nanoseconds since the epoch.
    public var modified: Int64

    public init(name: String, size: UInt64, modified: Int64) {
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// How an archive is read: `ctr import` takes a plain tar; compressed ones are decompressed first.
public enum ArchiveCompression: Sendable, Equatable {
    case none
    case gzip
    case zstd

    /// The compression of an importable file name, nil for anything else (hidden and partial files included).
    public init?(fileName: String) {
        guard !fileName.hasPrefix(".") else { return nil }
        if fileName.hasSuffix(".tar") {
            self = .none
        } else if fileName.hasSuffix(".tar.gz") || fileName.hasSuffix(".tgz") {
            self = .gzip
        } else if fileName.hasSuffix(".tar.zst") {
            self = .zstd
        } else {
            return nil
        }
    }
}

/// The importer's change detection, pure: which archives to import after a scan of the directory.
///
/// An archive is imported when its fingerprint differs from the one last imported (new, replaced, grown) and — while
/// watching — when it did not change since the previous scan, so a file still being copied in is not imported
/// half-written.
public struct ArchiveScan: Sendable, Equatable {
    /// What was imported (or failed to import: a broken archive is not retried until it changes).
    public private(set) var handled: [String: ArchiveFingerprint] = [:]
    /// The previous scan, for the stability check.
    public private(set) var previous: [String: ArchiveFingerprint] = [:]

    public init() {}

    /// The archives to import now, in name order. `requireStable` is false for the initial import (nothing is being
    /// written at start, and the agent waits for it).
    public mutating func due(_ current: [ArchiveFingerprint], requireStable: Bool) -> [ArchiveFingerprint] {
        defer { previous = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        let names = Set(current.map(\.name))
        handled = handled.filter { names.contains($0.key) }
        return current.filter { archive in
            guard ArchiveCompression(fileName: archive.name) != nil else { return false }
            guard handled[archive.name] != archive else { return false }
            return !requireStable || previous[archive.name] == archive
        }.sorted { $0.name < $1.name }
    }

    /// Records that `archive` was handled, successfully or not.
    public mutating func markHandled(_ archive: ArchiveFingerprint) {
        handled[archive.name] = archive
    }
}
