import Foundation

/// sd_notify(3) without libsystemd: a datagram of `KEY=value` lines to the socket systemd names in `NOTIFY_SOCKET`
/// (a path, or an abstract address written `@name`), as a `Type=notify` unit expects.
struct SystemdNotifier: Sendable {
    let socketPath: String

    struct SendError: Error, CustomStringConvertible {
        var description: String
    }

    /// The notifier systemd asked for, if any. The variable is removed from the environment so that children
    /// (containerd speaks sd_notify too) do not report for this process.
    static func takeFromEnvironment() -> SystemdNotifier? {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        unsetenv("NOTIFY_SOCKET")
        return SystemdNotifier(socketPath: path)
    }

    /// Sends one datagram of `KEY=value` lines (`READY=1`, `STATUS=…`).
    func send(_ lines: [String]) throws(SendError) {
        let payload = Array(lines.joined(separator: "\n").utf8)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SendError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            throw SendError(description: "NOTIFY_SOCKET is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.enumerated() { bytes[index] = byte }
        }
        // An abstract address's length counts exactly its bytes; a path's includes the terminating zero.
        let length = MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
            }
        }
        guard sent == payload.count else {
            throw SendError(description: "sendto \(socketPath): \(String(cString: strerror(errno)))")
        }
    }
}
