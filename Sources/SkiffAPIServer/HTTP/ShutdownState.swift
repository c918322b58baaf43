import Synchronization

/// Whether the API server has begun its graceful shutdown. From then on every new request, also one arriving on an
/// already open keep-alive connection, is refused with 503 and `Connection: close` (upstream's "apiserver is shutting
/// down"), so clients go elsewhere or wait instead of keeping the connection busy.
public final class ShutdownState: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isShuttingDown: Bool { draining.load(ordering: .acquiring) }

    public func begin() { draining.store(true, ordering: .releasing) }
}
