import ArgumentParser
import Foundation

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run a node agent that joins a skiff server.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var tokens: TokenOptions
    @OptionGroup(title: "Agent") var agent: AgentOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let config: AgentConfig
        do {
            let layers = try ConfigLayers.load(
                explicitPath: common.config, environment: environment, allowedKeys: AgentConfig.fileKeys)
            let token = try ServerConfig.token(
                layers.string("token", flag: tokens.token), file: layers.string("token-file", flag: tokens.tokenFile))
            guard token != nil else { throw ConfigError("--token (or SKIFF_TOKEN, or --token-file) is required") }
            config = try AgentConfig(
                layers: layers, dataDir: layers.string("data-dir", flag: common.dataDir) ?? Defaults.dataDir,
                agent: agent, token: token, debug: try layers.bool("debug", flag: common.debug), requireServer: true)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
        let logger = LogSetup.bootstrap(debug: config.debug)
        logger.error("the agent (kubelet) is not implemented yet", metadata: ["node": "\(config.nodeName)"])
        throw ExitCode(1)
    }
}
