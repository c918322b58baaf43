import Foundation
import SkiffPKI
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
    /// The loopback TCP port of a server started with `startWithTLS`; nil: unix socket only.
    public let port: Int?
    /// The certificates of a server started with `startWithTLS`.
    public let tls: TLSFiles?
    private let bin: String
    private let process = Mutex<Process?>(nil)
    private let databases = Mutex(0)

    private init(directory: String, bin: String, port: Int? = nil, tls: TLSFiles? = nil) {
        self.directory = directory
        self.bin = bin
        self.port = port
        self.tls = tls
    }

    /// PEM files (CA, certificates, keys) for a server with `ssl=on`, made by `SkiffPKI`.
    public struct TLSFiles: Sendable {
        /// The CA that signed the server's certificate and the client's.
        public var caFile: String
        /// A CA that signed nothing here (a wrong `--datastore-cafile`).
        public var otherCAFile: String
        /// The server's certificate, for the names given to `startWithTLS`, and its key.
        public var serverCertFile: String
        public var serverKeyFile: String
        /// A client certificate for `clientUser` (its common name), and its key.
        public var clientCertFile: String
        public var clientKeyFile: String
        /// The role that logs in with the client certificate only (pg_hba `cert`).
        public var clientUser = "skiff_cert"
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

    /// `initdb` and start a new server that also listens on a free loopback TCP port with `ssl=on`: its certificate
    /// (for `serverNames`, DNS names or IP addresses) and a client certificate come from a new CA. TCP connections
    /// must use TLS (`hostnossl … reject`); `clientUser` must present its client certificate (`hostssl … cert`, the
    /// certificate's CN is the role), every other role is trusted. The unix socket stays trusted, as in `start()`.
    /// `clientUser` owns a database of its name. Stop it with `remove()`.
    public static func startWithTLS(serverNames: [String] = ["127.0.0.1", "localhost"]) async throws
        -> TemporaryPostgres
    {
        if let reason = unavailableReason { throw TemporaryPostgresError("cannot start PostgreSQL: \(reason)") }
        let bin = binDirectory!
        let directory = try TemporaryDirectory("skiff-postgres-tls").path
        let files = try writeCertificates(into: directory + "/tls", serverNames: serverNames)
        let server = TemporaryPostgres(directory: directory, bin: bin, port: try freeLoopbackPort(), tls: files)
        if geteuid() == 0 {
            // The postgres user must own its directory and its key (PostgreSQL refuses a key others can read).
            guard let user = getpwnam("postgres") else { throw TemporaryPostgresError("no postgres user") }
            for path in [directory, directory + "/tls", files.serverKeyFile, files.serverCertFile, files.caFile] {
                chown(path, user.pointee.pw_uid, user.pointee.pw_gid)
            }
        }
        try server.startWatchdog()
        try await server.run(
            "initdb", ["-D", server.dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        let rules = """
            local all all trust
            hostssl all \(files.clientUser) 127.0.0.1/32 cert
            hostssl all all 127.0.0.1/32 trust
            hostnossl all all 127.0.0.1/32 reject

            """
        try server.writeAsServer(rules, to: server.dataDirectory + "/pg_hba.conf")
        try await server.startServer()
        try await server.run("createuser", server.toolConnection + [files.clientUser])
        try await server.run("createdb", server.toolConnection + ["-O", files.clientUser, files.clientUser])
        return server
    }

    /// A `postgres://` URL for `database` over loopback TCP (a server from `startWithTLS`), as `user`.
    public func tcpURL(database: String, user: String = "postgres", query: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port ?? 5432)/\(database)?\(query)"
    }

    private static func writeCertificates(into folder: String, serverNames: [String]) throws -> TLSFiles {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ca = try CertificateAuthority.generate(commonName: "skiff-test-postgres-ca")
        let other = try CertificateAuthority.generate(commonName: "skiff-test-other-ca")
        let serving = try ca.issueServingCertificate(commonName: "postgres", names: try ServingNames(serverNames))
        let client = try ca.issueClientCertificate(commonName: "skiff_cert")
        let files = TLSFiles(
            caFile: folder + "/ca.crt", otherCAFile: folder + "/other-ca.crt", serverCertFile: folder + "/server.crt",
            serverKeyFile: folder + "/server.key", clientCertFile: folder + "/client.crt",
            clientKeyFile: folder + "/client.key")
        for (path, text) in [
            (files.caFile, ca.certificatePEM), (files.otherCAFile, other.certificatePEM),
            (files.serverCertFile, serving.certificatePEM), (files.serverKeyFile, serving.privateKeyPEM),
            (files.clientCertFile, client.certificatePEM), (files.clientKeyFile, client.privateKeyPEM),
        ] {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw TemporaryPostgresError("cannot write \(path)")
            }
            chmod(path, path.hasSuffix(".key") ? 0o600 : 0o644)
        }
        chmod(folder, 0o755)
        return files
    }

    /// A loopback port nobody listens on right now (the kernel's choice for port 0).
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TemporaryPostgresError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TemporaryPostgresError("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Writes a file in the data directory, owned by the user the server runs as.
    private func writeAsServer(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TemporaryPostgresError("cannot write \(path)")
        }
        if geteuid() == 0, let user = getpwnam("postgres") {
            chown(path, user.pointee.pw_uid, user.pointee.pw_gid)
        }
    }

    var dataDirectory: String { directory + "/data" }

    /// A `postgres://` URL for `database` on this server's socket.
    public func url(database: String) -> String {
        "postgres://postgres@/\(database)?host=\(directory)"
    }

    /// How PostgreSQL's command-line tools reach this server: its unix socket, named after its port.
    private var toolConnection: [String] { ["-h", directory, "-p", String(port ?? 5432), "-U", "postgres"] }

    /// Creates a new, empty database and returns its URL (over TLS for a server from `startWithTLS`).
    public func createDatabase(_ prefix: String = "skiff") async throws -> String {
        let number = databases.withLock { count in
            count += 1
            return count
        }
        let name = "\(prefix)_\(getpid())_\(number)"
        try await run("createdb", toolConnection + [name])
        return port == nil ? url(database: name) : tcpURL(database: name, query: "sslmode=require")
    }

    /// Runs SQL as `postgres` on `database` through the unix socket (psql; the first failing statement fails it).
    public func execute(_ sql: String, database: String = "postgres") async throws {
        try await run("psql", toolConnection + ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql])
    }

    /// Starts the server (again) on the same data directory and waits until it accepts connections.
    public func startServer() async throws {
        var listen = ["-c", "listen_addresses="]
        if let port {
            listen = ["-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)"]
        }
        if let tls {
            listen += [
                "-c", "ssl=on", "-c", "ssl_cert_file=\(tls.serverCertFile)", "-c", "ssl_key_file=\(tls.serverKeyFile)",
                "-c", "ssl_ca_file=\(tls.caFile)",
            ]
        }
        let postgres = try makeProcess(
            "postgres",
            ["-D", dataDirectory, "-k", directory, "-c", "fsync=off", "-c", "max_connections=200"] + listen)
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
