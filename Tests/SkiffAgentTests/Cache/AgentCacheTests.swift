import Foundation
import Logging
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffAgent

/// The agent's local cache: what it records comes back after a restart, writes are coalesced into one transaction
/// per flush (an idle node writes nothing), the file is root's alone, an unreadable file is set aside and the cache
/// starts afresh, and a cache from another cluster is refused.
@Suite struct AgentCacheTests {
    static let logger = Logger(label: "agent-cache-test")

    static func pod(_ name: String, phase: String = "Running") -> JSON {
        [
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)")],
            "status": ["phase": .string(phase)],
        ]
    }

    @Test func recordedObjectsSurviveARestartAndWritesAreCoalesced() throws {
        let directory = try TemporaryDirectory("skiff-agent-cache")
        defer { directory.remove() }
        let path = directory.file("cache/cache.db")
        let cache = try AgentCache(path: path, fingerprint: "ca-1", logger: Self.logger)
        #expect(cache.opening == .opened(objects: 0))
        for phase in ["Pending", "Running", "Running", "Succeeded"] {
            cache.record(kind: "pods", Self.pod("web", phase: phase))
        }
        cache.record(kind: "pods", Self.pod("gone"))
        cache.remove(CacheKey(kind: "pods", namespace: "default", name: "gone"))
        cache.record(kind: "secrets", ["metadata": ["name": "db", "namespace": "default"], "data": ["k": "djE="]])
        try cache.flush()
        #expect(cache.flushes == 1, "one transaction for every change since the last flush")
        try cache.flush()
        #expect(cache.flushes == 1, "nothing changed: nothing written")
        cache.record(kind: "pods", Self.pod("web", phase: "Succeeded"))
        try cache.flush()
        #expect(cache.flushes == 1, "recording the same state again writes nothing")

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "it holds Secrets: root's alone")

        let reopened = try AgentCache(path: path, fingerprint: "ca-1", logger: Self.logger)
        #expect(reopened.opening == .opened(objects: 2))
        #expect(reopened.objects(kind: "pods").map { $0["status"]["phase"] } == ["Succeeded"])
        #expect(reopened.object(CacheKey(kind: "secrets", namespace: "default", name: "db"))?["data"]["k"] == "djE=")
        #expect(reopened.object(CacheKey(kind: "pods", namespace: "default", name: "gone")) == nil)
    }

    @Test func anUnreadableCacheIsSetAsideAndAnotherClustersIsRefused() throws {
        let directory = try TemporaryDirectory("skiff-agent-cache-bad")
        defer { directory.remove() }
        let path = directory.file("cache.db")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        let cache = try AgentCache(path: path, fingerprint: "ca-1", logger: Self.logger)
        guard case .rebuilt(let kept) = cache.opening else {
            Issue.record("a corrupt file was opened: \(cache.opening)")
            return
        }
        #expect(FileManager.default.fileExists(atPath: kept), "the unreadable file is kept for a post-mortem")
        cache.record(kind: "pods", Self.pod("web"))
        try cache.flush()
        #expect(try AgentCache(path: path, fingerprint: "ca-1", logger: Self.logger).opening == .opened(objects: 1))

        do {
            _ = try AgentCache(path: path, fingerprint: "ca-2", logger: Self.logger)
            Issue.record("a cache of another cluster was opened")
        } catch {
            #expect(error.code == .otherCluster)
            #expect(error.message.contains("belongs to another cluster"))
        }
    }

    @Test func theBufferKeepsOnlyTheLastStateOfEachObject() {
        var buffer = CacheWriteBuffer()
        let key = CacheKey(kind: "pods", namespace: "a", name: "p")
        buffer.put(key, [1])
        buffer.put(key, [2])
        buffer.delete(CacheKey(kind: "pods", namespace: "a", name: "q"))
        let writes = buffer.take()
        #expect(writes.count == 2 && buffer.isEmpty)
        #expect(writes.first?.1 == .put([2]))
        // A failed flush goes back under anything newer.
        buffer.put(key, [3])
        buffer.restore(writes)
        #expect(buffer.take().first { $0.0 == key }?.1 == .put([3]))
    }
}
