import Logging
import SkiffStore
import SkiffTesting
import Testing

/// Which implementation a parameterized test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// Opens a fresh store, runs `body`, and cleans up.
    func with<T>(backlog: Int = 100_000, _ body: (any KeyValueStore) async throws -> T) async throws -> T {
        switch self {
        case .memory:
            return try await body(MemoryStore(maxWatchBacklog: backlog))
        case .sqlite:
            let directory = try TemporaryDirectory("skiff-store")
            defer { directory.remove() }
            var options = SQLiteStore.Options()
            options.maxWatchBacklog = backlog
            let store = try SQLiteStore(
                path: directory.file("state.db"), options: options, logger: Logger(label: "test"))
            defer { store.close() }
            return try await body(store)
        }
    }
}

extension Array where Element == UInt8 {
    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }
}

extension KeyValue {
    var text: String { String(decoding: value, as: UTF8.self) }
}

/// Collects `count` events from a watch, failing the test instead of hanging if they never come.
func collect(_ stream: WatchStream, count: Int) async throws -> [WatchEvent] {
    try await withThrowingTaskGroup(of: [WatchEvent].self) { group in
        group.addTask {
            var events: [WatchEvent] = []
            for try await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return []
        }
        let first = try await group.next() ?? []
        group.cancelAll()
        return first
    }
}
