import Foundation
import Logging
import SkiffPostgresStore
import SkiffStore
import SkiffTesting
import Testing

/// The store over TLS to a real PostgreSQL (`ssl=on`, its certificates from a CA made by the test): verification
/// against `--datastore-cafile`, a client certificate for `cert` authentication, and a wrong CA as a clear error.
/// The server refuses TCP without TLS (`hostnossl … reject`), so a connection that works is encrypted.
@Suite(.enabled(if: TemporaryPostgres.unavailableReason == nil, "PostgreSQL is not available"))
struct PostgresTLSTests {
    let logger = Logger(label: "test")

    /// One TLS server for the suite (certificates for 127.0.0.1 and localhost), and one whose certificate names
    /// another host, both started on first use.
    static let server = Task { try await TemporaryPostgres.startWithTLS() }
    static let misnamedServer = Task { try await TemporaryPostgres.startWithTLS(serverNames: ["db.example.internal"]) }

    /// A new database on `server`, as a URL with `query` instead of the default sslmode.
    func database(on server: TemporaryPostgres, _ query: String) async throws -> String {
        try await server.createDatabase("tls").replacingOccurrences(of: "sslmode=require", with: query)
    }

    /// Writes through a running store and reads the value back.
    func roundTrip(_ endpoint: PostgresEndpoint) async throws {
        try await PostgresStore.withStore(endpoint: endpoint, logger: logger) { store in
            let created = try await store.create("/tls/key", value: Array("over TLS".utf8))
            let read = try await store.get("/tls/key", revision: nil)
            #expect(read?.value == Array("over TLS".utf8))
            #expect(read?.modRevision == created.modRevision)
        }
    }

    func connectError(_ endpoint: PostgresEndpoint) async -> StoreError? {
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.connect(endpoint: endpoint, logger: logger)
        }
    }

    @Test func verifyFullWithTheCAFile() async throws {
        let server = try await Self.server.value
        let tls = try #require(server.tls)
        try await roundTrip(
            try PostgresEndpoint(url: try await database(on: server, "sslmode=verify-full"), caFile: tls.caFile))
        // By host name: the name is checked (SNI and the certificate's DNS name), not the address.
        try await roundTrip(
            try PostgresEndpoint(
                url: try await database(on: server, "sslmode=verify-full").replacingOccurrences(
                    of: "@127.0.0.1:", with: "@localhost:"),
                caFile: tls.caFile))
        // The same through the URL's sslrootcert, and verify-ca.
        try await roundTrip(
            try PostgresEndpoint(
                url: try await database(on: server, "sslmode=verify-ca&sslrootcert=\(tls.caFile)")))
    }

    @Test func withoutTLSTheServerRefuses() async throws {
        let server = try await Self.server.value
        let error = await connectError(
            try PostgresEndpoint(url: try await database(on: server, "sslmode=disable")))
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("no encryption") == true, "\(error?.message ?? "")")
    }

    @Test func aClientCertificateLogsIn() async throws {
        let server = try await Self.server.value
        let tls = try #require(server.tls)
        let url = server.tcpURL(database: tls.clientUser, user: tls.clientUser, query: "sslmode=verify-full")
        try await roundTrip(
            try PostgresEndpoint(
                url: url, caFile: tls.caFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile))
        // Without it, `cert` authentication fails with the server's reason.
        let error = await connectError(try PostgresEndpoint(url: url, caFile: tls.caFile))
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("certificate") == true, "\(error?.message ?? "")")
    }

    @Test func aWrongCAIsAClearError() async throws {
        let server = try await Self.server.value
        let tls = try #require(server.tls)
        for mode in ["verify-full", "verify-ca", "require"] {
            let endpoint = try PostgresEndpoint(
                url: try await database(on: server, "sslmode=\(mode)"), caFile: tls.otherCAFile)
            let error = await connectError(endpoint)
            #expect(error?.code == .unavailable)
            let message = error?.message ?? ""
            #expect(message.hasPrefix("cannot connect to PostgreSQL at postgres@127.0.0.1:"), "\(message)")
            #expect(
                message.contains("the server's certificate is not signed by the datastore CA file's CA"), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func verifyFullChecksTheHostName() async throws {
        let server = try await Self.misnamedServer.value
        let tls = try #require(server.tls)
        let error = await connectError(
            try PostgresEndpoint(url: try await database(on: server, "sslmode=verify-full"), caFile: tls.caFile))
        #expect(error?.code == .unavailable)
        #expect(
            error?.message.contains("the server's certificate does not name 127.0.0.1") == true,
            "\(error?.message ?? "")")
        // verify-ca checks the chain only, as libpq's.
        try await roundTrip(
            try PostgresEndpoint(url: try await database(on: server, "sslmode=verify-ca"), caFile: tls.caFile))
    }
}
