import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// The node's service proxy (kube-proxy's nftables mode, built in): after every burst of Service and EndpointSlice
/// changes it computes the ruleset from the informers' objects and brings the kernel to it in one transaction — the
/// whole table at start (which replaces what a previous run left, atomically, without touching established
/// connections: their NAT lives in conntrack), and afterwards only what changed.
///
/// On shutdown the rules stay, so traffic keeps flowing while the agent restarts; the killall and uninstall scripts
/// remove them (`NFTRuleset.uninstallScript`).
public final class ServiceProxy: Service, Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        public var clusterCIDR: IPv4Network
        /// New connections to addresses of this range that no Service port holds are refused (nil: not known).
        public var serviceCIDR: IPv4Network?
        /// Served by the agent's DNS server on the node itself: the proxy leaves that address alone.
        public var clusterDNS: String
        /// How long after a failed transaction the proxy tries again (with the whole table).
        public var retryDelay: Duration

        public init(
            nodeName: String, clusterCIDR: IPv4Network, serviceCIDR: IPv4Network?, clusterDNS: String,
            retryDelay: Duration = .seconds(1)
        ) {
            self.nodeName = nodeName
            self.serviceCIDR = serviceCIDR
            self.clusterCIDR = clusterCIDR
            self.clusterDNS = clusterDNS
            self.retryDelay = retryDelay
        }
    }

    let watch: ServiceWatch
    let nft: any NFTables
    let configuration: Configuration
    let clock: ServiceClock
    let logger: Logger
    /// What the kernel holds; nil until the first transaction succeeded, and after a failed one (the next is whole).
    private let applied = Mutex<NFTRuleset?>(nil)
    private let changes: AsyncStream<Void>

    public init(
        watch: ServiceWatch, nft: any NFTables, configuration: Configuration, clock: ServiceClock = .continuous,
        logger: Logger
    ) {
        self.watch = watch
        self.nft = nft
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.changes = watch.changes()
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in self.changes {
                    // A failed transaction is tried again, whole, until it passes; changes meanwhile coalesce.
                    while await !self.sync(), !Task.isCancelled {
                        try? await self.clock.sleep(for: self.configuration.retryDelay)
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Brings the kernel to the ruleset of the current objects; false when the transaction failed.
    @discardableResult
    func sync() async -> Bool {
        let (services, slices) = watch.objects
        let state = ServiceProxyState(
            services: services, endpointSlices: slices, node: configuration.nodeName,
            clusterCIDR: configuration.clusterCIDR, serviceCIDR: configuration.serviceCIDR,
            clusterDNS: configuration.clusterDNS)
        let ruleset = NFTRuleset(state: state)
        let before = applied.withLock { $0 }
        let script: String
        if let before {
            guard let update = NFTRuleset.updateScript(from: before, to: ruleset) else { return true }
            script = update
        } else {
            script = NFTRuleset.fullScript(ruleset)
        }
        let start = clock.now
        do {
            try await nft.apply(script)
            applied.withLock { $0 = ruleset }
            let metadata: Logger.Metadata = [
                "services": "\(state.ports.count)", "took": "\(clock.now - start)",
                "lines": "\(script.utf8.reduce(0) { $0 + ($1 == 10 ? 1 : 0) })",
            ]
            if before == nil {
                logger.info("service rules programmed", metadata: metadata)
            } else {
                logger.debug("service rules updated", metadata: metadata)
            }
            return true
        } catch {
            applied.withLock { $0 = nil }
            logger.error(
                "cannot program the service rules; retrying with the whole table",
                metadata: ["error": "\(error)", "retry.in": "\(configuration.retryDelay)"])
            return false
        }
    }
}
