import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive advisory lock on a file, held while a store is open, so two processes never write one database.
final class FileLock: Sendable {
    private let descriptor: Mutex<Int32>
    let path: String

    init(path: String) throws(StoreError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.unavailable, "cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StoreError(.unavailable, "database is in use by another process (lock \(path) is held)")
        }
        self.descriptor = Mutex(fd)
    }

    func release() {
        descriptor.withLock { fd in
            if fd >= 0 {
                // Unlock before closing: a child forked by another thread at this moment holds a copy of the
                // descriptor until it execs (O_CLOEXEC), and closing ours alone would leave the lock held by it.
                flock(fd, LOCK_UN)
                close(fd)
                fd = -1
            }
        }
    }

    deinit { release() }
}
