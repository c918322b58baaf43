import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffModel
import SkiffPKI

/// `skiff token create|list|delete`: bootstrap tokens, as `k3s token` manages them. A bootstrap token lets a node
/// join (get its node certificate) and nothing else, until it expires or is deleted; nodes that joined keep their
/// certificates. Run on the server: it speaks to the local API server as the cluster admin.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage bootstrap tokens that let new nodes join.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Connection: ParsableArguments {
        @Option(name: [.customShort("d"), .long], help: "Server data folder (default /var/lib/skiff).")
        var dataDir: String?

        @Option(help: "The server to manage (default https://127.0.0.1:6443).")
        var server = "https://127.0.0.1:\(Defaults.port)"

        var tls: ClusterPKI.Layout { ClusterPKI.Layout(dataDirectory: dataDir ?? Defaults.dataDir) }

        /// Runs `body` as the cluster admin, with the server CA's PEM (the hash tokens pin).
        func withAdmin<T: Sendable>(_ body: (HTTPClusterAPI, _ caPEM: [UInt8]) async throws -> T) async throws -> T {
            func read(_ path: String) throws -> [UInt8] {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError(
                        "cannot read \(path): run this on the server, as root, with --data-dir set to the server's")
                }
                return Array(data)
            }
            let ca = try read(tls.serverCACertificate)
            let credentials = ClusterCredentials.clientCertificate(
                certificatePEM: try read(tls.adminCertificate), keyPEM: try read(tls.adminKey))
            var logger = Logger(label: "skiff-token")
            logger.logLevel = .error
            return try await HTTPClusterAPI.withAPI(
                server: server, trustedCAPEM: ca, credentials: credentials, logger: logger
            ) { api in try await body(api, ca) }
        }
    }

    static func secrets(_ api: HTTPClusterAPI) -> ResourceType { api.type("", "v1", "secrets") }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a bootstrap token and print the join token (K10<CA hash>::<id>.<secret>).")

        @OptionGroup var connection: Connection

        @Option(help: "How long the token is valid, e.g. 30m, 24h; 0 never expires.")
        var ttl = "24h"

        @Option(help: "A note kept with the token (shown by `skiff token list`).")
        var description: String?

        func run() async throws {
            guard let ttl = GoDuration.parse(ttl), ttl >= .zero else {
                throw ValidationError(
                    "--ttl must be a duration like 30m or 24h (0: never expires), not \"\(self.ttl)\"")
            }
            let token = BootstrapToken.random()
            let expiration = ttl == .zero ? nil : Date().addingTimeInterval(Double(ttl.components.seconds))
            let joinToken = try await connection.withAdmin { api, ca in
                _ = try await api.create(
                    TokenCommand.secrets(api), namespace: BootstrapToken.namespace,
                    object: token.secretObject(description: description, expiration: expiration),
                    fieldManager: "skiff-token")
                return try NodeToken(caHash: NodeToken.hashCA(pem: ca), username: nil, password: token.description)
            }
            print(joinToken.text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List bootstrap tokens (secrets are not shown).")

        @OptionGroup var connection: Connection

        func run() async throws {
            let rows = try await connection.withAdmin { api, _ in
                try await api.list(
                    TokenCommand.secrets(api), namespace: BootstrapToken.namespace,
                    options: ListOptions(fieldSelector: "type=\(BootstrapToken.secretType)")
                ).items
            }
            let now = Date()
            var lines = [["TOKEN", "TTL", "EXPIRES", "DESCRIPTION"]]
            for secret in rows {
                func value(_ key: String) -> String? {
                    secret["data"][key].stringValue.flatMap { Data(base64Encoded: $0) }.map {
                        String(decoding: $0, as: UTF8.self)
                    }
                }
                guard let id = value("token-id") else { continue }
                var ttl = "<forever>"
                var expires = "<never>"
                if let text = value("expiration"), let date = KubeTimestamp.date(text) {
                    expires = text
                    let left = Int(date.timeIntervalSince(now))
                    ttl = left <= 0 ? "<expired>" : left >= 3600 ? "\(left / 3600)h" : "\(max(left / 60, 1))m"
                }
                lines.append(["\(id).<redacted>", ttl, expires, value("description") ?? "<none>"])
            }
            let widths = (0..<4).map { column in lines.map { $0[column].count }.max() ?? 0 }
            for line in lines {
                print(
                    line.enumerated().map { index, cell in
                        index == 3 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
                    }.joined())
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete bootstrap tokens: nodes can no longer join with them (joined nodes are unaffected).")

        @OptionGroup var connection: Connection

        @Argument(help: "Token ids (the part before the dot) or whole tokens.")
        var tokens: [String]

        func run() async throws {
            let ids = try tokens.map { text throws -> String in
                let id = String(text.split(separator: "::").last?.split(separator: ".").first ?? "")
                guard id.count == 6, NodeToken.isBootstrapToken(id + ".0000000000000000") else {
                    throw ValidationError("\"\(text)\" is not a bootstrap token or token id (6 characters of a-z, 0-9)")
                }
                return id
            }
            try await connection.withAdmin { api, _ in
                for id in ids {
                    do {
                        try await api.delete(
                            TokenCommand.secrets(api), namespace: BootstrapToken.namespace,
                            name: BootstrapToken.secretPrefix + id, options: .emptyObject)
                        print("bootstrap token \"\(id)\" deleted")
                    } catch let error as APIError where error.code == 404 {
                        throw ValidationError("bootstrap token \"\(id)\" not found")
                    }
                }
            }
        }
    }
}
