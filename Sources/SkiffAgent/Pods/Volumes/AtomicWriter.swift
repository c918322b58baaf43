import Foundation

/// Writes a data volume the way kubelet's `AtomicWriter` does, so a reader never sees half an update: the files go
/// to a fresh timestamped directory, the `..data` symlink is swapped to it with one rename, and each visible entry is
/// a symlink through `..data`. Old entries and the previous directory are removed afterwards.
struct AtomicWriter {
    var directory: String
    var now: @Sendable () -> Date = { Date() }

    static let dataDirectory = "..data"

    /// Writes `files` unless the current contents equal them; returns whether anything changed.
    @discardableResult
    func write(_ files: [VolumeFile]) throws(VolumeError) -> Bool {
        do {
            return try writeThrowing(files)
        } catch let error as VolumeError {
            throw error
        } catch {
            throw VolumeError(message: "writing \(directory): \(error)")
        }
    }

    private func writeThrowing(_ files: [VolumeFile]) throws -> Bool {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files
        where file.path.hasPrefix("/") || file.path.split(separator: "/").contains("..") || file.path.hasPrefix("..") {
            throw VolumeError(message: "invalid path \(file.path)")
        }
        let dataLink = directory + "/" + Self.dataDirectory
        let oldTarget = try? manager.destinationOfSymbolicLink(atPath: dataLink)
        if let oldTarget, contentsEqual(directory + "/" + oldTarget, files) { return false }

        let stamp = Self.stamp(now())
        let target = "..\(stamp).\(UInt32.random(in: 0..<UInt32.max))"
        let targetPath = directory + "/" + target
        try manager.createDirectory(atPath: targetPath, withIntermediateDirectories: true)
        for file in files {
            let path = targetPath + "/" + file.path
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard
                manager.createFile(
                    atPath: path, contents: Data(file.data), attributes: [.posixPermissions: Int(file.mode)])
            else {
                throw VolumeError(message: "cannot write \(path)")
            }
            try manager.setAttributes([.posixPermissions: Int(file.mode)], ofItemAtPath: path)
        }
        let tempLink = directory + "/..data_tmp"
        try? manager.removeItem(atPath: tempLink)
        try manager.createSymbolicLink(atPath: tempLink, withDestinationPath: target)
        guard rename(tempLink, dataLink) == 0 else {
            throw VolumeError(message: "rename \(tempLink): errno \(errno)")
        }
        // Visible entries: one symlink per top-level name, through ..data.
        let topLevel = Set(files.map { String($0.path.split(separator: "/").first ?? "") })
        for name in topLevel {
            let link = directory + "/" + name
            if (try? manager.destinationOfSymbolicLink(atPath: link)) == Self.dataDirectory + "/" + name { continue }
            try? manager.removeItem(atPath: link)
            try manager.createSymbolicLink(atPath: link, withDestinationPath: Self.dataDirectory + "/" + name)
        }
        for entry in try manager.contentsOfDirectory(atPath: directory)
        where !entry.hasPrefix("..") && !topLevel.contains(entry) {
            try? manager.removeItem(atPath: directory + "/" + entry)
        }
        if let oldTarget, oldTarget != target { try? manager.removeItem(atPath: directory + "/" + oldTarget) }
        return true
    }

    private func contentsEqual(_ path: String, _ files: [VolumeFile]) -> Bool {
        let manager = FileManager.default
        guard let existing = manager.enumerator(atPath: path)?.allObjects as? [String] else { return false }
        var regular = 0
        for entry in existing {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                regular += 1
            }
        }
        guard regular == files.count else { return false }
        for file in files {
            guard let data = manager.contents(atPath: path + "/" + file.path), Array(data) == file.data else {
                return false
            }
            let mode = (try? manager.attributesOfItem(atPath: path + "/" + file.path)[.posixPermissions] as? Int) ?? -1
            if mode != Int(file.mode) { return false }
        }
        return true
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy_MM_dd_HH_mm_ss"
        return formatter.string(from: date)
    }
}
