import Foundation
import Synchronization

/// A child process whose exit is awaited without blocking a thread: Foundation's termination handler resumes the
/// waiters. Standard streams are files (or /dev/null), never pipes, so a chatty child can't fill a pipe and stall.
final class ChildProcess: Sendable {
    private let process: Process
    private let latch = ExitLatch()

    /// The child's pid (for SIGTERM and tests).
    let pid: Int32

    /// Starts `executable` with `arguments`; stdin/stdout/stderr go to the given files (nil: /dev/null).
    init(
        executable: String, arguments: [String], stdin: FileHandle? = nil, stdout: FileHandle? = nil,
        stderr: FileHandle? = nil, environment: [String: String]? = nil
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        if let environment { process.environment = environment }
        self.process = process
        let latch = self.latch
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            latch.finish(finished.terminationReason == .uncaughtSignal ? 128 + status : status)
        }
        try process.run()
        pid = process.processIdentifier
    }

    /// The exit code once it exited (128+signal when killed by a signal).
    func exitCode() async -> Int32 { await latch.wait() }

    var hasExited: Bool { latch.hasFinished }

    /// Sends `signal` unless the child already exited.
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
