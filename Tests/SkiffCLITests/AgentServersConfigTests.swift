import Testing

@testable import SkiffCLI

/// `--server` names one server or several, from the flag (comma-separated), the environment or the config file (a
/// list); every one must be an https URL.
@Suite struct AgentServersConfigTests {
    func config(flag: [String] = [], file: [String: [String]] = [:], environment: [String: String] = [:]) throws
        -> AgentConfig
    {
        let layers = ConfigLayers(file: file, filePath: "/etc/skiff/config.yaml", environment: environment)
        return try AgentConfig(
            layers: layers, dataDir: "/var/lib/skiff", agent: try AgentOptions.parse(flag), token: "t", debug: false,
            requireServer: true)
    }

    @Test func oneServerOrSeveralFromTheFlag() throws {
        #expect(try config(flag: ["--server", "https://a:6443"]).serverURLs == ["https://a:6443"])
        #expect(
            try config(flag: ["--server", "https://a:6443, https://b:6443"]).serverURLs
                == ["https://a:6443", "https://b:6443"])
    }

    @Test func aListInTheConfigFileGivesEveryServer() throws {
        let servers = ["https://a:6443", "https://b:6443"]
        #expect(try config(file: ["server": servers]).serverURLs == servers)
        #expect(
            try config(flag: ["--server", "https://b:6443"], file: ["server": servers]).serverURLs == [
                "https://b:6443"
            ],
            "the flag wins over the file (even when it names one of the file's servers)")
        #expect(
            try config(file: ["server": servers], environment: ["SKIFF_URL": "https://d:6443"]).serverURLs
                == ["https://d:6443"], "the environment too")
    }

    @Test func everyServerMustBeAnHTTPSURL() {
        #expect {
            _ = try config(flag: ["--server", "https://a:6443,http://b:6443"])
        } throws: { error in
            (error as? ConfigError)?.description
                == "--server must be an https URL like https://HOST:6443, not \"http://b:6443\""
        }
        #expect {
            _ = try config(flag: ["--server", " , "])
        } throws: { error in
            (error as? ConfigError)?.description == "--server names no server"
        }
    }
}
