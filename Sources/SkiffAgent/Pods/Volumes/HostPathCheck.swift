import Foundation

/// kubelet's hostPath `type` checks: `DirectoryOrCreate` and `FileOrCreate` create what is missing; the other types
/// require the path to exist as that kind; an empty type checks nothing.
enum HostPathCheck {
    static func check(_ path: String, type: String) throws(VolumeError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isDirectory)
        switch type {
        case "", "Unset":
            return
        case "DirectoryOrCreate":
            if !exists {
                do {
                    try manager.createDirectory(
                        atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                } catch {
                    throw VolumeError(message: "hostPath type check failed: \(path) cannot be created: \(error)")
                }
            } else if !isDirectory.boolValue {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a directory")
            }
        case "Directory":
            guard exists, isDirectory.boolValue else {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a directory")
            }
        case "FileOrCreate":
            if !exists {
                try? manager.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
                    throw VolumeError(message: "hostPath type check failed: \(path) cannot be created")
                }
            } else if isDirectory.boolValue {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a file")
            }
        case "File":
            guard exists, !isDirectory.boolValue else {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a file")
            }
        case "Socket", "CharDevice", "BlockDevice":
            guard exists else { throw VolumeError(message: "hostPath type check failed: \(path) is not a \(type)") }
            let attributes = try? manager.attributesOfItem(atPath: path)
            let fileType = attributes?[.type] as? FileAttributeType
            let expected: FileAttributeType =
                type == "Socket" ? .typeSocket : type == "CharDevice" ? .typeCharacterSpecial : .typeBlockSpecial
            guard fileType == expected else {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a \(type)")
            }
        default:
            throw VolumeError(message: "hostPath type \(type) is not supported")
        }
    }
}
