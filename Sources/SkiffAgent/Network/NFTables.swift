import Foundation
import Logging
import Subprocess

/// Loads nftables scripts into the kernel, behind a protocol so the service proxy can be tested without root.
public protocol NFTables: Sendable {
    /// Runs `script` as one atomic transaction (`nft -f -`): all of it applies, or none.
    func apply(_ script: String) async throws(HostNetworkError)
}

/// `NFTables` with the `nft` command (Debian's nftables package): one child process per transaction, the script on
/// its standard input. The service proxy batches every change of a burst into one transaction, so this is not on a
/// per-packet or per-event path.
public struct NFTCommand: NFTables {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func apply(_ script: String) async throws(HostNetworkError) {
        let command = ["nft", "-f", "-"]
        let status: TerminationStatus
        let standardError: String
        do {
            let result = try await Subprocess.run(
                .name("nft"), arguments: ["-f", "-"], input: .string(script), output: .discarded,
                error: .string(limit: 256 * 1024))
            status = result.terminationStatus
            standardError = result.standardError
        } catch {
            throw HostNetworkError(command: command, message: "\(error)")
        }
        guard status.isSuccess else {
            let message = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw HostNetworkError(
                command: command, message: message.isEmpty ? "\(status)" : String(message.prefix(2000)))
        }
    }
}
