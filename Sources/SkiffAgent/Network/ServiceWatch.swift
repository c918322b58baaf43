import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Services and EndpointSlices as the node's service proxy and DNS server read them: one pair of informers (through
/// the agent's cache, so both keep working while the server is unreachable), and each consumer told after changes.
///
/// A consumer's stream keeps at most one pending signal, so a burst of events (a relist, a Deployment scaling) is
/// read as one change: the consumer rebuilds from the informers' current objects, never from single events. No
/// signal comes before both informers hold their first list.
public final class ServiceWatch: Sendable {
    public let services: Informer
    public let slices: Informer
    private let subscribers = Mutex<[AsyncStream<Void>.Continuation]>([])

    public init(api: any ClusterAPI, logger: Logger) {
        services = Informer(api: api, type: api.type("", "v1", "services"), logger: logger)
        slices = Informer(api: api, type: api.type("discovery.k8s.io", "v1", "endpointslices"), logger: logger)
    }

    /// A stream of "something changed" signals, coalesced; call before `run()`.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        subscribers.withLock { $0.append(continuation) }
        return stream
    }

    /// Signals every consumer (also used to retry after a failed apply).
    public func poke() {
        guard services.hasSynced, slices.hasSynced else { return }
        for continuation in subscribers.withLock({ $0 }) { continuation.yield() }
    }

    /// The current objects, once both informers hold their first list.
    public var objects: (services: [JSON], slices: [JSON]) { (services.objects, slices.objects) }

    /// Runs both informers until cancelled; the consumers' streams end then.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.services.run { _ in self.poke() } }
            group.addTask { await self.slices.run { _ in self.poke() } }
            group.addTask {
                await self.services.waitUntilSynced()
                await self.slices.waitUntilSynced()
                self.poke()
            }
        }
        for continuation in subscribers.withLock({ $0 }) { continuation.finish() }
    }
}
