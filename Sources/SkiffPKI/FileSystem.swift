#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The blocking POSIX file operations this module needs: bounded reads, atomic writes with exact modes, symlinks.
/// Callers run these off event loops.
enum FileSystem {
    /// Files larger than this are not PEM material or tokens; refusing them bounds memory on bad input.
    static let maximumReadSize = 4 << 20

    /// The file's bytes, or `nil` if it does not exist.
    static func readIfExists(_ path: String) throws(PKIError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT {
                return nil
            }
            throw PKIError(
                code: .fileReadFailed,
                message: "\(path): cannot open for reading",
                path: path,
                cause: SystemCallError(call: "open", errno: code)
            )
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR {
                    continue
                }
                throw PKIError(
                    code: .fileReadFailed,
                    message: "\(path): read failed",
                    path: path,
                    cause: SystemCallError(call: "read", errno: code)
                )
            }
            if count == 0 {
                return bytes
            }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumReadSize {
                throw PKIError(
                    code: .fileReadFailed,
                    message: "\(path): larger than \(maximumReadSize) bytes, refusing to read it",
                    path: path
                )
            }
        }
    }

    /// The file's text, or `nil` if it does not exist; throws `invalidPEM` naming the file if it is not UTF-8.
    static func readTextIfExists(_ path: String) throws(PKIError) -> String? {
        guard let bytes = try readIfExists(path) else {
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PKIError(code: .invalidPEM, message: "\(path): not UTF-8 text", path: path)
        }
        return text
    }

    /// Whether anything (file, directory, link, even a dangling one) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The permission bits of `path`, or `nil` if it cannot be examined.
    static func permissions(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return nil
        }
        return info.st_mode & 0o7777
    }

    /// Creates `path` and any missing parents; directories this call creates get `mode`, existing ones are left alone.
    static func makeDirectories(_ path: String, mode: mode_t) throws(PKIError) {
        guard !path.isEmpty else {
            return
        }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw PKIError(code: .fileWriteFailed, message: "\(path): exists and is not a directory", path: path)
            }
            return
        }
        let parent = parentDirectory(of: path)
        if parent != path {
            try makeDirectories(parent, mode: mode)
        }
        if mkdir(path, mode) != 0 {
            let code = errno
            if code == EEXIST {
                return  // created concurrently
            }
            throw PKIError(
                code: .fileWriteFailed,
                message: "\(path): cannot create directory",
                path: path,
                cause: SystemCallError(call: "mkdir", errno: code)
            )
        }
        // mkdir's mode is filtered by the umask; set it exactly.
        _ = chmod(path, mode)
    }

    /// Replaces `path` with `contents` so that readers see either the old or the new file, never a torn one, even
    /// across a power cut: write a temporary file with `mode`, fsync it, rename it over `path`, fsync the directory.
    static func writeAtomically(_ path: String, contents: [UInt8], mode: mode_t) throws(PKIError) {
        let directory = parentDirectory(of: path)
        let temporary = "\(directory)/.\(baseName(of: path)).tmp-\(hexString(randomBytes(6)))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 {
            throw writeError(path, "cannot create temporary file \(temporary)", call: "open")
        }
        var succeeded = false
        defer {
            if !succeeded {
                unlink(temporary)
            }
        }
        do {
            defer { close(fd) }
            // open's mode is filtered by the umask; set it exactly before any secret reaches the file.
            guard fchmod(fd, mode) == 0 else {
                throw writeError(path, "cannot set mode \(octal(mode))", call: "fchmod")
            }
            var offset = 0
            while offset < contents.count {
                let written = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR {
                        continue
                    }
                    throw writeError(path, "write failed", call: "write")
                }
                offset += written
            }
            guard fsync(fd) == 0 else {
                throw writeError(path, "fsync failed", call: "fsync")
            }
        }
        guard rename(temporary, path) == 0 else {
            throw writeError(path, "cannot move \(temporary) into place", call: "rename")
        }
        succeeded = true
        syncDirectory(directory)
    }

    /// Makes `path` a symbolic link to `target`, replacing whatever file or link is there (atomically).
    static func ensureSymlink(at path: String, target: String) throws(PKIError) {
        if let existing = readLink(path), existing == target {
            return
        }
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw PKIError(code: .fileWriteFailed, message: "\(path): is a directory, expected a link", path: path)
        }
        let temporary = "\(parentDirectory(of: path))/.\(baseName(of: path)).tmp-\(hexString(randomBytes(6)))"
        guard symlink(target, temporary) == 0 else {
            throw writeError(path, "cannot create symbolic link to \(target)", call: "symlink")
        }
        guard rename(temporary, path) == 0 else {
            let error = writeError(path, "cannot move link \(temporary) into place", call: "rename")
            unlink(temporary)
            throw error
        }
        syncDirectory(parentDirectory(of: path))
    }

    /// The target of the symbolic link at `path`, or `nil` if it is not a link.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { pointer -> Int in
            guard let base = pointer.baseAddress else {
                return -1
            }
            return readlink(path, base, pointer.count)
        }
        guard count >= 0 else {
            return nil
        }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory part of `path` (`.` when there is none).
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") {
            trimmed = trimmed.dropLast()
        }
        guard let slash = trimmed.lastIndex(of: "/") else {
            return "."
        }
        if slash == trimmed.startIndex {
            return "/"
        }
        return String(trimmed[..<slash])
    }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.last.map(String.init) ?? path
    }

    /// `base` joined with `component` by exactly one slash.
    static func join(_ base: String, _ component: String) -> String {
        base.hasSuffix("/") ? base + component : base + "/" + component
    }

    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            // Best effort: some filesystems refuse fsync on directories, and the data itself is already durable.
            _ = fsync(fd)
            close(fd)
        }
    }

    private static func writeError(_ path: String, _ what: String, call: String) -> PKIError {
        PKIError(
            code: .fileWriteFailed,
            message: "\(path): \(what)",
            path: path,
            cause: SystemCallError(call: call, errno: errno)
        )
    }
}

/// `mode` as octal text, e.g. `0600`.
func octal(_ mode: mode_t) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// The text `strerror` gives for `code`.
func describeErrno(_ code: Int32) -> String {
    guard let text = strerror(code) else {
        return "unknown error"
    }
    return String(cString: text)
}

/// `count` bytes from the system's cryptographically secure generator.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
