import Foundation
import Synchronization

/// A child process whose exit is awaited without blocking the concurrency pool: a dedicated thread sits in
/// `waitpid` and resumes the waiters. (Foundation's `Process` was dropped here: its SIGCHLD-driven reaping left a
/// SIGKILLed containerd as a zombie whose termination handler never ran.) Standard streams are files (or /dev/null),
/// never pipes, so a chatty child can't fill a pipe and stall.
final class ChildProcess: Sendable {
    private let latch = ExitLatch()

    /// The child's pid (for SIGTERM and tests).
    let pid: Int32

    /// Starts `executable` with `arguments`; stdin/stdout/stderr go to the given files (nil: /dev/null).
    init(
        executable: String, arguments: [String], stdin: FileHandle? = nil, stdout: FileHandle? = nil,
        stderr: FileHandle? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (handle, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let handle {
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // Nothing else of ours goes to the child: NIO's listening socket has no O_CLOEXEC, and containerd hands what
        // it inherits on to every shim, which outlive us and kept the API port bound after skiff exited.
        Self.closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handling and an unblocked mask in the child, whatever the parent's threads have set.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw ContainerdError(.startFailed, "spawning \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        let spawned = child
        let latch = self.latch
        let waiter = Thread {
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG spelled out (macros don't import).
            let signal = status & 0x7F
            latch.finish(signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
        }
        waiter.name = "skiff-wait-\(spawned)"
        waiter.start()
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+; the Glibc module does not import it), looked up once.
    private static let addCloseFrom: AddCloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"
    )
    .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Closes every descriptor above 2 in the child: all at once where glibc can, else each one open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// The exit code once it exited (128+signal when killed by a signal).
    func exitCode() async -> Int32 { await latch.wait() }

    var hasExited: Bool { latch.hasFinished }

    /// Sends `signal` unless the child already exited (and so may have been reaped).
    func send(_ signal: Int32) {
        if !hasExited { kill(pid, signal) }
    }
}

/// The exit code, once known, and whoever waits for it.
private final class ExitLatch: Sendable {
    private enum State {
        case running([CheckedContinuation<Int32, Never>])
        case exited(Int32)
    }

    private let state = Mutex<State>(.running([]))

    func finish(_ code: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            guard case .running(let waiters) = state else { return [] }
            state = .exited(code)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = state.withLock { state -> Int32? in
                switch state {
                case .running(var waiters):
                    waiters.append(continuation)
                    state = .running(waiters)
                    return nil
                case .exited(let code):
                    return code
                }
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    var hasFinished: Bool {
        state.withLock { if case .exited = $0 { true } else { false } }
    }
}

/// Looks a command up in `PATH` like a shell does.
func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    for dir in (path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
