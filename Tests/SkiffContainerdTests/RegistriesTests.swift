import Foundation
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffContainerd

@Suite struct RegistriesConfigTests {
    func parse(_ text: String) throws -> RegistriesConfig {
        try RegistriesConfig(json: try JSON(parsing: text))
    }

    @Test func readsK3sShape() throws {
        let config = try parse(
            """
            {"mirrors": {"docker.io": {"endpoint": ["http://127.0.0.1:5000"], "rewrite": {"^library/(.*)": "hub/$1"}},
                         "*": {"endpoint": ["https://mirror.internal"]}},
             "configs": {"mirror.internal": {"auth": {"username": "edge", "password": "007"},
                                             "tls": {"ca_file": "/ca.pem", "insecure_skip_verify": true}},
                         "other:443": {"auth": {"auth": "dTpw", "identitytoken": "t"}}}}
            """)
        #expect(
            config.mirrors["docker.io"]
                == .init(
                    endpoints: ["http://127.0.0.1:5000"],
                    rewrites: [.init(pattern: "^library/(.*)", replacement: "hub/$1")]))
        #expect(config.mirrors["*"]?.endpoints == ["https://mirror.internal"])
        #expect(config.configs["mirror.internal"]?.auth == .init(username: "edge", password: "007"))
        #expect(config.configs["mirror.internal"]?.tls == .init(caFile: "/ca.pem", insecureSkipVerify: true))
        #expect(config.configs["other:443"]?.auth == .init(auth: "dTpw", identityToken: "t"))
        #expect(try parse("null").isEmpty)
        #expect(try parse(#"{"mirrors": null, "configs": {}}"#).isEmpty)
    }

    @Test(arguments: [
        (#"{"mirror": {}}"#, "mirror: unknown field (expected mirrors, configs)"),
        (
            #"{"mirrors": {"docker.io": {"endpoints": ["x"]}}}"#,
            "mirrors.docker.io.endpoints: unknown field (expected endpoint, rewrite)"
        ),
        (#"{"mirrors": {"docker.io": {"endpoint": "https://x"}}}"#, "mirrors.docker.io.endpoint: must be a list"),
        (
            #"{"mirrors": {"docker.io": {"endpoint": ["ftp://x"]}}}"#,
            #"mirrors.docker.io.endpoint[0]: "ftp://x" is not an http(s)://host[:port][/path] URL"#
        ),
        (#"{"mirrors": {"docker.io": {"endpoint": [7]}}}"#, "mirrors.docker.io.endpoint[0]: must be a URL"),
        (#"{"mirrors": {"../etc": {}}}"#, #"mirrors.../etc: not a registry host[:port] or "*""#),
        (
            #"{"configs": {"r": {"auth": {"user": "x"}}}}"#,
            "configs.r.auth.user: unknown field (expected username, password, auth, identitytoken)"
        ),
        (#"{"configs": {"r": {"auth": {"password": 5}}}}"#, "configs.r.auth.password: must be a string"),
        (
            #"{"configs": {"r": {"tls": {"insecure_skip_verify": "yes"}}}}"#,
            "configs.r.tls.insecure_skip_verify: must be true or false"
        ),
        (#"["x"]"#, "(top level): must be a mapping"),
    ])
    func namesTheBadField(text: String, message: String) throws {
        #expect(throws: RegistriesConfigError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch let error as RegistriesConfigError {
            #expect(error.description == message)
        }
    }

    @Test(arguments: [
        ("127.0.0.1:5000", "http://127.0.0.1:5000/v2", false, "127.0.0.1:5000"),
        ("localhost:443", "https://localhost:443/v2", false, "localhost:443"),
        ("https://127.0.0.1:5000/", "https://127.0.0.1:5000/v2", false, "127.0.0.1:5000"),
        ("docker.io", "https://registry-1.docker.io/v2", false, "docker.io"),
        ("registry-1.docker.io", "https://registry-1.docker.io/v2", false, "docker.io"),
        (
            "http://mirror.internal:8080/cache/docker", "http://mirror.internal:8080/cache/docker", true,
            "mirror.internal:8080"
        ),
        ("mirror.internal/v2", "https://mirror.internal/v2", false, "mirror.internal"),
    ])
    func normalizesEndpoints(text: String, url: String, overridePath: Bool, registry: String) throws {
        let endpoint = try #require(RegistryEndpoint(text))
        #expect(endpoint.description == url)
        #expect(endpoint.overridePath == overridePath)
        #expect(endpoint.registry == registry)
    }

    @Test func refusesUnusableEndpoints() {
        for text in ["", "ftp://x", "https://", "https://u@x", "x:port", "https://x?q", "a b"] {
            #expect(RegistryEndpoint(text) == nil, "\(text)")
        }
    }
}

@Suite struct RegistryHostsTests {
    @Test func mirrorBeforeTheRegistryItself() {
        let config = RegistriesConfig(mirrors: ["docker.io": .init(endpoints: ["http://127.0.0.1:5000"])])
        #expect(
            RegistryHosts.files(config) == [
                "docker.io": """
                \(RegistryHosts.header)
                server = "https://registry-1.docker.io/v2"
                capabilities = ["pull", "resolve"]

                [host."http://127.0.0.1:5000/v2"]
                  capabilities = ["pull", "resolve"]

                """
            ])
    }

    @Test func tlsRewritesAndPathsPerEndpoint() {
        let config = RegistriesConfig(
            mirrors: [
                "registry.example": .init(
                    endpoints: ["https://a.example:8443", "https://b.example/cache", "https://a.example:8443"],
                    rewrites: [.init(pattern: "^team/(.*)", replacement: "mirror/team/$1")])
            ],
            configs: [
                "a.example:8443": .init(
                    tls: .init(caFile: "/etc/ca.pem", certFile: "/c.pem", keyFile: "/k.pem", insecureSkipVerify: true)
                )
            ])
        #expect(
            RegistryHosts.files(config)["registry.example"] == """
                \(RegistryHosts.header)
                server = "https://registry.example/v2"
                capabilities = ["pull", "resolve"]

                [host."https://a.example:8443/v2"]
                  capabilities = ["pull", "resolve"]
                  ca = ["/etc/ca.pem"]
                  client = [["/c.pem", "/k.pem"]]
                  skip_verify = true
                  [host."https://a.example:8443/v2".rewrite]
                    "^team/(.*)" = "mirror/team/$1"

                [host."https://b.example/cache"]
                  capabilities = ["pull", "resolve"]
                  override_path = true
                  [host."https://b.example/cache".rewrite]
                    "^team/(.*)" = "mirror/team/$1"

                """)
        // The endpoint's own settings file: it has TLS settings, so it gets a file of its own too.
        #expect(
            RegistryHosts.files(config)["a.example:8443"]?.contains(#"server = "https://a.example:8443/v2""#) == true)
    }

    @Test func wildcardMirrorGoesToDefaultWithoutServer() throws {
        let config = RegistriesConfig(mirrors: ["*": .init(endpoints: ["127.0.0.1:5000"])])
        let file = try #require(RegistryHosts.files(config)["_default"])
        #expect(!file.contains("server ="))
        #expect(file.contains(#"[host."http://127.0.0.1:5000/v2"]"#))
    }

    @Test func settingsWithoutMirrorsStillHaveAHostTable() throws {
        // containerd 1.6 ignores a hosts.toml without a [host] table (and with it, its TLS settings).
        let config = RegistriesConfig(configs: ["registry.example:5000": .init(tls: .init(caFile: "/ca.pem"))])
        let file = try #require(RegistryHosts.files(config)["registry.example:5000"])
        #expect(file.contains(#"server = "https://registry.example:5000/v2""#))
        #expect(file.contains(#"[host."https://registry.example:5000/v2"]"#))
        #expect(file.components(separatedBy: #"ca = ["/ca.pem"]"#).count == 3)
    }

    @Test func nothingForRegistriesWithoutMirrorsOrSettings() {
        let config = RegistriesConfig(
            mirrors: ["docker.io": .init(endpoints: ["docker.io"])], configs: ["plain.example": .init()])
        #expect(RegistryHosts.files(config).isEmpty)
    }

    @Test func authGoesIntoConfigTomlNextToConfigPath() {
        let registries = RegistriesConfig(
            configs: [
                "127.0.0.1:5000": .init(auth: .init(username: "edge", password: #"pa"ss"#)),
                "docker.io": .init(auth: .init(auth: "dTpw")),
                "tls-only.example": .init(tls: .init(insecureSkipVerify: true)),
            ])
        let toml = ContainerdConfig(paths: ContainerdPaths(dataDir: "/d"), registries: registries).render()
        let cri = #"[plugins."io.containerd.grpc.v1.cri""#
        #expect(toml.contains(#"config_path = "/d/agent/etc/containerd/certs.d""#))
        #expect(
            toml.contains(
                """
                    \(cri).registry.configs."127.0.0.1:5000".auth]
                      username = "edge"
                      password = "pa\\"ss"
                """))
        #expect(toml.contains(#"\#(cri).registry.configs."docker.io".auth]"#))
        #expect(toml.contains(#"\#(cri).registry.configs."registry-1.docker.io".auth]"#))
        #expect(!toml.contains("tls-only"))
        // containerd 1.6 refuses configs.tls next to config_path.
        #expect(!toml.contains(".tls]"))
        #expect(ContainerdConfig(paths: ContainerdPaths(dataDir: "/d")).render().hasSuffix("certs.d\"\n"))
    }
}

@Suite struct RegistryHostsDirectoryTests {
    @Test func writesAndRemovesOnlyItsOwnDirectories() throws {
        let temporary = try TemporaryDirectory("skiff-certs")
        defer { temporary.remove() }
        let directory = RegistryHostsDirectory(path: temporary.file("certs.d"))
        try directory.write(["docker.io": "\(RegistryHosts.header)\na\n", "old:5000": "\(RegistryHosts.header)\nb\n"])
        try FileManager.default.createDirectory(
            atPath: temporary.file("certs.d/by-hand"), withIntermediateDirectories: true)
        try "server = \"https://by-hand\"\n".write(
            toFile: temporary.file("certs.d/by-hand/hosts.toml"), atomically: true, encoding: .utf8)

        let removed = try directory.write(["docker.io": "\(RegistryHosts.header)\nc\n"])
        #expect(removed == ["old:5000"])
        let names = try FileManager.default.contentsOfDirectory(atPath: temporary.file("certs.d")).sorted()
        #expect(names == ["by-hand", "docker.io"])
        #expect(
            try String(contentsOfFile: temporary.file("certs.d/docker.io/hosts.toml"), encoding: .utf8)
                == "\(RegistryHosts.header)\nc\n")
        #expect(try directory.write([:]) == ["docker.io"])
    }
}
