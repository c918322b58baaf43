import Foundation
import SkiffContainerd
import SkiffTesting
import Testing

@testable import SkiffCLI

@Suite struct RegistriesFileTests {
    @Test func readsK3sRegistriesYAML() throws {
        let config = try RegistriesFile.parse(
            """
            mirrors:
              docker.io:
                endpoint:
                  - "http://127.0.0.1:5000"
              "*":
                endpoint: [https://mirror.internal]
            configs:
              "127.0.0.1:5000":
                auth:
                  username: edge
                  password: 007
                tls:
                  insecure_skip_verify: true
            """)
        #expect(config.mirrors["docker.io"]?.endpoints == ["http://127.0.0.1:5000"])
        #expect(config.mirrors["*"]?.endpoints == ["https://mirror.internal"])
        // A numeric-looking password keeps its digits.
        #expect(config.configs["127.0.0.1:5000"]?.auth == .init(username: "edge", password: "007"))
        #expect(config.configs["127.0.0.1:5000"]?.tls?.insecureSkipVerify == true)
        #expect(try RegistriesFile.parse("").isEmpty)
        #expect(try RegistriesFile.parse("# nothing yet\n").isEmpty)
    }

    @Test func errorsNameTheFileAndTheFieldOnOneLine() throws {
        let temporary = try TemporaryDirectory("skiff-registries")
        defer { temporary.remove() }
        let path = temporary.file("registries.yaml")
        for (text, expected) in [
            ("mirrors:\n  docker.io:\n    endpoints: [x]\n", "mirrors.docker.io.endpoints: unknown field"),
            ("mirrors:\n  docker.io:\n    endpoint: [\"ftp://x\"]\n", "mirrors.docker.io.endpoint[0]:"),
            ("mirrors: [\n", "not valid YAML"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ConfigError.self) { try RegistriesFile.load(explicitPath: path) }
            do {
                _ = try RegistriesFile.load(explicitPath: path)
            } catch {
                #expect(error.description.hasPrefix("registries file \(path): "))
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(throws: ConfigError.self) { try RegistriesFile.load(explicitPath: temporary.file("missing.yaml")) }
    }
}
