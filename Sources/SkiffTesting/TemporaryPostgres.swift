import Foundation
import Synchronization

/// A PostgreSQL server of the test's own: Debian's binaries, `initdb` into a temporary directory, listening on a unix
/// socket there only (no TCP port). PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
/// user (through `setpriv`, which execs, so the process we hold is the server itself). Every role connects without a
/// password (trust), as `postgres`.
public final class TemporaryPostgres: Sendable {
    /// Why PostgreSQL tests cannot run here, or nil when they can.
    public static let unavailableReason: String? = {
        guard let bin = binDirectory else {
            return "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres); apt-get install postgresql"
        }
        if geteuid() == 0, getpwnam("postgres") == nil {
            return "running as root without a postgres user to run \(bin)/postgres as"
        }
        return nil
    }()

    /// The newest installed server's binaries.
    static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed().map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/postgres") }
    }()

    private static let sharedInstance = Mutex<Task<TemporaryPostgres, any Error>?>(nil)

    /// The one server of this test process, started on first use; its watchdog stops it when the process is gone.
    public static func shared() async throws -> TemporaryPostgres {
        let task = sharedInstance.withLock { task in
            if let task { return task }
            let started = Task { try await TemporaryPostgres.start() }
            task = started
            return started
        }
        return try await task.value
    }

    /// The directory holding the socket (`.s.PGSQL.5432`) and the data directory.
    public let directory: String
    private let bin: String
    private let process = Mutex<Process?>(nil)
    private let databases = Mutex(0)

    private init(directory: String, bin: String) {
        self.directory = directory
        self.bin = bin
    }

    /// `initdb` and start a new server (stop it with `stop()` and `remove()`).
    public static func start() async throws -> TemporaryPostgres {
        if let reason = unavailableReason { throw TemporaryPostgresError("cannot start PostgreSQL: \(reason)") }
        let bin = binDirectory!
        let directory = try TemporaryDirectory("skiff-postgres").path
        if geteuid() == 0 {
            // The postgres user must reach its directory (mkdtemp makes it 0700 for root).
            guard let user = getpwnam("postgres") else { throw TemporaryPostgresError("no postgres user") }
            chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let server = TemporaryPostgres(directory: directory, bin: bin)
        try server.startWatchdog()
        try await server.run(
            "initdb", ["-D", server.dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        try await server.startServer()
        return server
    }

    var dataDirectory: String { directory + "/data" }

    /// A `postgres://` URL for `database` on this server's socket.
    public func url(database: String) -> String {
        "postgres://postgres@/\(database)?host=\(directory)"
    }

    /// Creates a new, empty database and returns its URL.
    public func createDatabase(_ prefix: String = "skiff") async throws -> String {
        let number = databases.withLock { count in
            count += 1
            return count
        }
        let name = "\(prefix)_\(getpid())_\(number)"
        try await run("createdb", ["-h", directory, "-U", "postgres", name])
        return url(database: name)
    }

    /// Starts the server (again) on the same data directory and waits until it accepts connections.
    public func startServer() async throws {
        let postgres = try makeProcess(
            "postgres",
            [
                "-D", dataDirectory, "-k", directory, "-c", "listen_addresses=", "-c", "fsync=off",
                "-c", "max_connections=200",
            ])
        let log = FileHandle(forWritingAtPath: directory + "/server.log") ?? FileHandle.nullDevice
        postgres.standardOutput = log
        postgres.standardError = log
        try postgres.run()
        process.withLock { $0 = postgres }
        // postmaster.pid's last line says "ready" once the server accepts connections.
        for _ in 0..<300 {
            if !postgres.isRunning {
                let output = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
                throw TemporaryPostgresError("postgres exited: \(output.suffix(2000))")
            }
            let pid = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)) ?? ""
            if pid.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "ready" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TemporaryPostgresError("postgres did not become ready in 15 s")
    }

    /// Stops the server (fast shutdown: sessions are ended, committed work is kept) and waits for it to exit.
    public func stopServer() async {
        guard
            let postgres = process.withLock({ process in
                defer { process = nil }
                return process
            })
        else { return }
        kill(postgres.processIdentifier, SIGINT)
        for _ in 0..<600 where postgres.isRunning {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Stops the server and deletes its directory.
    public func remove() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeProcess(_ tool: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        if geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", "\(bin)/\(tool)"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "\(bin)/\(tool)")
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        return process
    }

    private func run(_ tool: String, _ arguments: [String]) async throws {
        let process = try makeProcess(tool, arguments)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        guard status == 0 else {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TemporaryPostgresError("\(tool) failed (\(status)): \(text)")
        }
    }

    /// A shell that outlives this process by at most half a second: once the test process is gone (however it
    /// ended; exit handlers do not run under the test runner), it stops the server and deletes its directory.
    private func startWatchdog() throws {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
            sleep 1; rm -rf "$1"
            """
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", script, "skiff-postgres-watchdog", directory]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try watchdog.run()
    }
}

/// A PostgreSQL test server could not be started.
public struct TemporaryPostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
