import Foundation

/// Writes `RegistryHosts` files into containerd's `certs.d` directory and removes the directories of registries no
/// longer configured — only those skiff wrote (their `hosts.toml` starts with `RegistryHosts.header`), so a hosts
/// file an operator put there by hand stays. containerd reads these files at every pull: no restart is needed.
public struct RegistryHostsDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Writes `files` (directory name → `hosts.toml` text); returns the names of the directories it removed.
    @discardableResult
    public func write(_ files: [String: String]) throws -> [String] {
        let manager = FileManager.default
        try manager.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var removed: [String] = []
        for name in try manager.contentsOfDirectory(atPath: path).sorted() where files[name] == nil {
            let hosts = "\(path)/\(name)/hosts.toml"
            guard let data = manager.contents(atPath: hosts),
                String(decoding: data.prefix(RegistryHosts.header.utf8.count + 1), as: UTF8.self)
                    == RegistryHosts.header + "\n"
            else { continue }
            try manager.removeItem(atPath: "\(path)/\(name)")
            removed.append(name)
        }
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let directory = "\(path)/\(name)"
            try manager.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let file = "\(directory)/hosts.toml"
            if manager.contents(atPath: file) == Data(text.utf8) { continue }
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        }
        return removed
    }
}
