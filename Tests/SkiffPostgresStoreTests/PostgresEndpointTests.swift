import SkiffPostgresStore
import Testing

@Suite struct PostgresEndpointTests {
    @Test func aTCPURLWithEverything() throws {
        let endpoint = try PostgresEndpoint(url: "postgres://skiff:s%40cret@db.example:6432/cluster?sslmode=require")
        #expect(endpoint.address == .tcp(host: "db.example", port: 6432))
        #expect(endpoint.username == "skiff")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.database == "cluster")
        #expect(endpoint.sslMode == .require)
        #expect(!endpoint.displayName.contains("cret"))
    }

    @Test(arguments: [
        ("postgres://skiff@/cluster?host=/var/run/postgresql", "/var/run/postgresql/.s.PGSQL.5432"),
        ("postgresql://skiff@%2Fvar%2Frun%2Fpostgresql:5433/cluster", "/var/run/postgresql/.s.PGSQL.5433"),
    ])
    func unixSocketsAsLibpqSpellsThem(url: String, socket: String) throws {
        let endpoint = try PostgresEndpoint(url: url)
        #expect(endpoint.address == .unixSocket(path: socket))
        #expect(endpoint.database == "cluster")
    }

    @Test func defaultsFollowLibpq() throws {
        let endpoint = try PostgresEndpoint(url: "postgres://skiff@db")
        #expect(endpoint.address == .tcp(host: "db", port: 5432))
        #expect(endpoint.database == nil)
        #expect(endpoint.sslMode == .prefer)
    }

    @Test func tlsFilesComeFromTheFlagsOrTheQuery() throws {
        let flags = try PostgresEndpoint(
            url: "postgres://u@h/d?sslmode=verify-full", caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem")
        #expect(flags.caFile == "/ca.pem" && flags.certFile == "/c.pem" && flags.keyFile == "/k.pem")
        let query = try PostgresEndpoint(url: "postgres://u@h/d?sslmode=verify-ca&sslrootcert=/q.pem")
        #expect(query.caFile == "/q.pem")
    }

    @Test(arguments: [
        ("mysql://u@h/d", "is not a postgres:// URL"),
        ("postgres://u@h/d?sslmode=sometimes", "sslmode \"sometimes\" is not one of"),
        ("postgres://u@h/d?application=x", "unsupported parameter \"application\""),
        ("postgres://u@/d", "names no host"),
        ("postgres://u:hunter2@h/d?sslmode=verify-full", "needs a CA file"),
        ("postgres://u@h/d?host=relative", "must be a socket directory"),
        ("postgres://u@h/a/b", "contains a /"),
    ])
    func badEndpointsAreRefusedWithOneLine(url: String, reason: String) {
        let error = #expect(throws: PostgresEndpoint.Error.self) { try PostgresEndpoint(url: url) }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
        #expect(error?.message.contains("hunter2") == false, "the password must not be echoed")
    }
}
