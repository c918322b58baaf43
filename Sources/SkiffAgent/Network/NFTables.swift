import Logging

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
        try await HostCommand.run(["nft", "-f", "-"], input: script)
    }
}
