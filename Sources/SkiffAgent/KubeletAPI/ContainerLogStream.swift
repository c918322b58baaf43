import Foundation
import SkiffModel
import Synchronization

/// Reads one container log file for a client, pulled chunk by chunk (no task of its own): from the tail offset, with
/// the query's filters, and with `follow`, waiting for more until the container stops running or the client leaves.
final class ContainerLogStream: Sendable {
    private struct State {
        var handle: FileHandle?
        var formatter: ContainerLogFormatter
        var written = 0
        var lastRunningCheck: Duration?
        var finished = false
    }

    let path: String
    let query: LogQuery
    let clock: ServiceClock
    /// Whether the container still writes this file (checked about once a second while following).
    let isRunning: @Sendable () async -> Bool
    static let chunkSize = 64 * 1024
    static let followInterval = Duration.milliseconds(200)
    private let state: Mutex<State>

    init(path: String, query: LogQuery, clock: ServiceClock, isRunning: @escaping @Sendable () async -> Bool) throws {
        self.path = path
        self.query = query
        self.clock = clock
        self.isRunning = isRunning
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LogQuery.Invalid(description: "cannot open log file \(path)")
        }
        if let lines = query.tailLines {
            let bytes = [UInt8]((try? handle.readToEnd()) ?? Data())
            try handle.seek(toOffset: UInt64(ContainerLogFormatter.tailOffset(bytes, lines: lines)))
        }
        state = Mutex(State(handle: handle, formatter: ContainerLogFormatter(query: query)))
    }

    var body: AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream(unfolding: { [self] in try await next() })
    }

    /// The next bytes for the client; nil at the end.
    func next() async throws -> [UInt8]? {
        while true {
            guard let (data, limitReached) = read() else { return nil }
            if !data.isEmpty || limitReached {
                if limitReached { state.withLock { $0.finished = true } }
                return data.isEmpty ? nil : data
            }
            guard query.follow else { return nil }
            if await shouldStop() { return nil }
            do { try await clock.sleep(for: Self.followInterval) } catch { return nil }
        }
    }

    /// Reads and formats what the file has now: nil once finished, `limitReached` when `limitBytes` is used up.
    private func read() -> (bytes: [UInt8], limitReached: Bool)? {
        state.withLock { state in
            guard !state.finished, let handle = state.handle else { return nil }
            var out: [UInt8] = []
            while out.isEmpty {
                guard let data = try? handle.read(upToCount: Self.chunkSize), !data.isEmpty else { break }
                out = state.formatter.format(data)
            }
            if let limit = query.limitBytes, state.written + out.count >= limit {
                out = Array(out.prefix(limit - state.written))
                state.written = limit
                try? handle.close()
                state.handle = nil
                return (out, true)
            }
            state.written += out.count
            return (out, false)
        }
    }

    /// While following at the end of the file: stop once the container no longer runs (checked every second).
    private func shouldStop() async -> Bool {
        let now = clock.now
        let due = state.withLock { state -> Bool in
            if let last = state.lastRunningCheck, now - last < .seconds(1) { return false }
            state.lastRunningCheck = now
            return true
        }
        guard due, !(await isRunning()) else { return false }
        // One last read: what the container wrote just before it stopped.
        return true
    }

    deinit {
        state.withLock { try? $0.handle?.close() }
    }
}
