import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store connects: parsed from a libpq-style URL
/// (`postgres://user:pass@host:port/db?sslmode=…`), plus the TLS files of `--datastore-cafile`,
/// `--datastore-certfile` and `--datastore-keyfile`.
public struct PostgresEndpoint: Sendable, Equatable {
    /// How the connection reaches the server.
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself (`<directory>/.s.PGSQL.<port>`, as libpq derives it from a directory host).
        case unixSocket(path: String)
    }

    /// libpq's `sslmode` values skiff accepts.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var address: Address
    public var username: String
    public var password: String?
    /// nil: the server's default (a database named as the user).
    public var database: String?
    public var sslMode: SSLMode
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    /// Why an endpoint was refused; `description` is one line, fit for the command line.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// Parses `url` (schemes `postgres` and `postgresql`). A directory host — `host=/path` in the query, or a
    /// percent-encoded path as the host (`postgres://user@%2Fvar%2Frun%2Fpostgresql/db`) — is a unix socket, as in
    /// libpq. `sslrootcert`, `sslcert` and `sslkey` in the query stand in for the file arguments left nil.
    public init(
        url: String, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil
    ) throws(Error) {
        // The password is not echoed back in errors.
        let shown = Self.redacted(url)
        guard let components = URLComponents(string: url) else {
            throw Error("datastore endpoint \(shown) is not a valid URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw Error("datastore endpoint \(shown) is not a postgres:// URL")
        }
        var socketDirectory: String?
        var sslMode: SSLMode?
        var caFile = caFile
        var certFile = certFile
        var keyFile = keyFile
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "host":
                guard value.hasPrefix("/") else {
                    throw Error("datastore endpoint \(shown): host= must be a socket directory starting with /")
                }
                socketDirectory = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw Error("datastore endpoint \(shown): sslmode \(value.debugDescription) is not one of \(known)")
                }
                sslMode = mode
            case "sslrootcert": caFile = caFile ?? value
            case "sslcert": certFile = certFile ?? value
            case "sslkey": keyFile = keyFile ?? value
            default:
                throw Error("datastore endpoint \(shown): unsupported parameter \(item.name.debugDescription)")
            }
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else {
            throw Error("datastore endpoint \(shown): port \(port) is out of range")
        }
        let host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        if host.hasPrefix("/") {
            socketDirectory = socketDirectory ?? host
        }
        if let socketDirectory {
            address = .unixSocket(path: socketDirectory + "/.s.PGSQL.\(port)")
        } else if host.isEmpty {
            throw Error("datastore endpoint \(shown) names no host (add one, or ?host=/socket/directory)")
        } else {
            address = .tcp(host: host, port: port)
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        guard let user = user ?? Self.currentUserName() else {
            throw Error("datastore endpoint \(shown) names no user")
        }
        username = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else {
            throw Error("datastore endpoint \(shown): database name \(path.debugDescription) contains a /")
        }
        database = path.isEmpty ? nil : path
        // libpq's default is prefer; verification needs a CA to verify against, as libpq's sslrootcert.
        let mode = sslMode ?? .prefer
        if mode == .verifyCA || mode == .verifyFull, caFile == nil {
            throw Error("datastore endpoint \(shown): sslmode=\(mode.rawValue) needs a CA file (--datastore-cafile)")
        }
        if (certFile == nil) != (keyFile == nil) {
            throw Error("datastore endpoint \(shown): a client certificate needs both a certificate and a key file")
        }
        self.sslMode = mode
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "xxxxx"
        return components.string ?? url
    }

    /// The endpoint as a message names it: `user@host:port/db` or `user@/socket/path/db`, never the password.
    public var displayName: String {
        let location =
            switch address {
            case .tcp(let host, let port): "\(host):\(port)"
            case .unixSocket(let path): path
            }
        return "\(username)@\(location)/\(database ?? username)"
    }

    /// The TLS configuration and whether the server must accept it; nil without TLS. Reads the certificate files,
    /// so a missing or bad one fails here, before anything connects.
    func tlsSetting() throws(Error) -> (configuration: TLSConfiguration, required: Bool)? {
        if case .unixSocket = address { return nil }
        if sslMode == .disable { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        do {
            if let caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certFile, let keyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
        } catch {
            throw Error("datastore TLS files cannot be read: \(error)")
        }
        switch sslMode {
        case .disable, .allow, .prefer:
            configuration.certificateVerification = .none
            return (configuration, false)
        case .require:
            // libpq: require with a root certificate verifies the chain as verify-ca does.
            configuration.certificateVerification = caFile == nil ? .none : .noHostnameVerification
            return (configuration, true)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return (configuration, true)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return (configuration, true)
        }
    }

    /// The pool's configuration.
    func clientConfiguration() throws(Error) -> PostgresClient.Configuration {
        switch address {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS =
                switch try tlsSetting() {
                case nil: .disable
                case (let configuration, true)?: .require(configuration)
                case (let configuration, false)?: .prefer(configuration)
                }
            return PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        case .unixSocket(let path):
            return PostgresClient.Configuration(
                unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// A single connection's configuration (the start-up check, which reports the server's own error).
    func connectionConfiguration() throws(Error) -> PostgresConnection.Configuration {
        switch address {
        case .tcp(let host, let port):
            var tls = PostgresConnection.Configuration.TLS.disable
            if let (configuration, required) = try tlsSetting() {
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: configuration)
                } catch {
                    throw Error("datastore TLS configuration is invalid: \(error)")
                }
                tls = required ? .require(context) : .prefer(context)
            }
            return PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        case .unixSocket(let path):
            return PostgresConnection.Configuration(
                unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    private static func currentUserName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}
