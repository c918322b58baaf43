import Foundation
import Logging
import SkiffPostgresStore
import SkiffStore
import SkiffTesting
import Testing

/// Which implementation a parameterized test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    /// A new database on the test process's own PostgreSQL server (`TemporaryPostgres.shared()`).
    case postgres

    /// Every backend this machine can run; without PostgreSQL its cases are left out, and said so on standard error.
    static let allCases: [Backend] = {
        if let reason = TemporaryPostgres.unavailableReason {
            FileHandle.standardError.write(Data("WARNING: skipping the PostgreSQL store tests: \(reason)\n".utf8))
            return [.memory, .sqlite]
        }
        return [.memory, .sqlite, .postgres]
    }()

    var testDescription: String { rawValue }

    /// Opens a fresh store, runs `body`, and cleans up.
    func with<T: Sendable>(backlog: Int = 100_000, _ body: (any KeyValueStore) async throws -> T) async throws -> T {
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
        case .postgres:
            let server = try await TemporaryPostgres.shared()
            var options = PostgresStore.Options()
            options.maxWatchBacklog = backlog
            let endpoint = try PostgresEndpoint(url: try await server.createDatabase("store"))
            return try await PostgresStore.withStore(
                endpoint: endpoint, options: options, logger: Logger(label: "test")
            ) {
                store in try await body(store)
            }
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
