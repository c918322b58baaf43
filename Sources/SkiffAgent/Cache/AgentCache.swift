import Foundation
import Logging
import ServiceLifecycle
import SkiffModel
import Synchronization

/// What the agent keeps on disk to run its pods while the server is unreachable (`<data-dir>/agent/cache/cache.db`):
/// its Node, its Pods, and the objects they mount, as the agent last saw them. Readers get the in-memory view;
/// changes are buffered and written once per `flushInterval` in one transaction (an idle node writes nothing, a
/// busy one once per interval however many objects changed), and at shutdown.
///
/// A cache that fails its integrity check is moved aside and started afresh (the server fills it again); one from
/// another cluster is refused (`AgentCacheError.otherCluster`), never mixed in.
public final class AgentCache: Service, Sendable {
    public let path: String
    let flushInterval: Duration
    let clock: ServiceClock
    let logger: Logger
    private let file: AgentCacheFile
    private let state: Mutex<State>

    struct State {
        var objects: [CacheKey: [UInt8]]
        var buffer = CacheWriteBuffer()
        var flushes = 0
        var bytesWritten = 0
    }

    /// What opening found.
    public enum Opening: Sendable, Equatable {
        case opened(objects: Int)
        /// The old file was unreadable; it was kept beside the new one under this name.
        case rebuilt(corruptFileKeptAt: String)
    }

    public let opening: Opening

    /// Opens the cache for the cluster whose CA PEM has `fingerprint` (e.g. its SHA-256 hex).
    public init(
        path: String, fingerprint: String, flushInterval: Duration = .seconds(2), clock: ServiceClock = .continuous,
        logger: Logger
    ) throws(AgentCacheError) {
        self.path = path
        self.flushInterval = flushInterval
        self.clock = clock
        self.logger = logger
        let (file, objects, opening) = try Self.openOrRebuild(path: path, fingerprint: fingerprint, logger: logger)
        self.file = file
        self.opening = opening
        state = Mutex(State(objects: objects))
    }

    private static func openOrRebuild(path: String, fingerprint: String, logger: Logger) throws(AgentCacheError) -> (
        AgentCacheFile, [CacheKey: [UInt8]], Opening
    ) {
        do {
            let file = try AgentCacheFile.open(path: path, fingerprint: fingerprint)
            let objects = try file.load()
            return (file, objects, .opened(objects: objects.count))
        } catch  where error.code == .corrupt {
            let kept = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
            logger.error(
                "agent cache unreadable: kept aside and started afresh",
                metadata: ["path": "\(path)", "kept": "\(kept)", "error": "\(error.message)"])
            do {
                try? FileManager.default.removeItem(atPath: kept)
                try FileManager.default.moveItem(atPath: path, toPath: kept)
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            } catch {
                throw AgentCacheError(.io, "cannot move the unreadable agent cache \(path) aside: \(error)")
            }
            return (
                try AgentCacheFile.open(path: path, fingerprint: fingerprint), [:], .rebuilt(corruptFileKeptAt: kept)
            )
        }
    }

    // MARK: Reads and changes

    /// The objects of one kind, as last recorded.
    public func objects(kind: String) -> [JSON] {
        let raw = state.withLock { state in state.objects.filter { $0.key.kind == kind }.map(\.value) }
        return raw.compactMap { try? JSON(parsing: $0) }
    }

    public func object(_ key: CacheKey) -> JSON? {
        state.withLock { $0.objects[key] }.flatMap { try? JSON(parsing: $0) }
    }

    /// Records an object's current state (written at the next flush, unless it is unchanged); its managed fields,
    /// which nothing on the node reads, are left out.
    public func record(kind: String, _ object: JSON) {
        record(CacheKey(kind: kind, namespace: object.namespace ?? "", name: object.name ?? ""), object)
    }

    /// Records `object` under `key` (for answers that are not stored objects, such as issued tokens).
    public func record(_ key: CacheKey, _ object: JSON) {
        let bytes = Self.kept(object).serialized()
        state.withLock { state in
            guard state.objects[key] != bytes else { return }
            state.objects[key] = bytes
            state.buffer.put(key, bytes)
        }
    }

    /// Makes the cache's objects of `kind` (in `namespace`, or all of them) exactly `items`: the answer of a full
    /// list, so what vanished on the server while no watch was open goes too.
    public func replace(kind: String, namespace: String?, with items: [JSON]) {
        var fresh: [CacheKey: [UInt8]] = [:]
        for item in items {
            fresh[CacheKey(kind: kind, namespace: item.namespace ?? "", name: item.name ?? "")] =
                Self.kept(item).serialized()
        }
        state.withLock { state in
            let stale = state.objects.keys.filter {
                $0.kind == kind && (namespace == nil || $0.namespace == namespace) && fresh[$0] == nil
            }
            for key in stale {
                state.objects[key] = nil
                state.buffer.delete(key)
            }
            for (key, bytes) in fresh where state.objects[key] != bytes {
                state.objects[key] = bytes
                state.buffer.put(key, bytes)
            }
        }
    }

    /// Removes every object whose key `drop` selects.
    public func removeAll(where drop: (CacheKey) -> Bool) {
        state.withLock { state in
            for key in state.objects.keys where drop(key) {
                state.objects[key] = nil
                state.buffer.delete(key)
            }
        }
    }

    /// The keys held, of every kind.
    public var keys: [CacheKey] { state.withLock { Array($0.objects.keys) } }

    static func kept(_ object: JSON) -> JSON {
        guard object["metadata"].contains(key: "managedFields") else { return object }
        var object = object
        object["metadata"].removeValue(forKey: "managedFields")
        return object
    }

    public func remove(_ key: CacheKey) {
        state.withLock { state in
            guard state.objects.removeValue(forKey: key) != nil else { return }
            state.buffer.delete(key)
        }
    }

    /// How many flushes reached the disk (each one transaction).
    public var flushes: Int { state.withLock { $0.flushes } }
    /// The objects' bytes those flushes wrote (SQLite's pages and journal come on top).
    public var bytesWritten: Int { state.withLock { $0.bytesWritten } }

    // MARK: Writing

    /// Writes what is buffered, in one transaction; what fails stays buffered for the next flush.
    public func flush() throws(AgentCacheError) {
        let writes = state.withLock { $0.buffer.take() }
        guard !writes.isEmpty else { return }
        do {
            try file.apply(writes)
            let bytes = writes.reduce(0) { total, write in
                if case .put(let blob) = write.1 { return total + blob.count }
                return total
            }
            let (flushes, total) = state.withLock { state in
                state.flushes += 1
                state.bytesWritten += bytes
                return (state.flushes, state.bytesWritten)
            }
            logger.debug(
                "agent cache flushed",
                metadata: [
                    "objects": "\(writes.count)", "bytes": "\(bytes)", "flushes": "\(flushes)",
                    "bytes.total": "\(total)",
                ])
        } catch {
            state.withLock { $0.buffer.restore(writes) }
            throw error
        }
    }

    public func run() async throws {
        // Until shutdown (graceful or cancelled), then one last flush.
        try? await cancelWhenGracefulShutdown {
            await self.clock.repeating(every: self.flushInterval) { self.flushLogging() }
        }
        flushLogging()
        file.close()
    }

    private func flushLogging() {
        do { try flush() } catch {
            logger.warning("agent cache write failed; retrying", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
