import Foundation
import Logging
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

/// Kills a process writing to the store at a random moment and checks, after reopening, that every write it had
/// acknowledged survived, revisions are unique and increasing, and a replay from revision 0 sees each write once.
@Suite(.serialized) struct StoreCrashTests {
    struct Ack: Hashable {
        var revision: Revision
        var key: String
        var value: String
    }

    @Test(arguments: 1...10)
    func acknowledgedWritesSurviveSIGKILL(round: Int) async throws {
        let binary = try SkiffBinary.path()
        let directory = try TemporaryDirectory("skiff-crash")
        defer { directory.remove() }
        let database = directory.file("state.db")

        var acks: [Ack] = []
        // Each round appends to the same database after the previous kill, so recovery is exercised repeatedly.
        for attempt in 0..<2 {
            let output = try await runAndKill(
                binary, ["debug", "store-load", "--db", database, "--writers", "16", "--updates", "3"],
                after: .milliseconds(Int.random(in: 0...500)), attempt: attempt)
            acks += Self.parse(output)
        }
        #expect(acks.count > 100, "the writer should have acknowledged some writes before being killed")

        let store = try SQLiteStore(path: database, logger: Logger(label: "crash-test"))
        defer { store.close() }
        let current = try await store.currentRevision()
        let replay = try await collectAll(try await store.watch(prefix: "/load/", after: 0), through: current)

        // Revisions strictly increase with no duplicates.
        let revisions = replay.map(\.revision)
        #expect(zip(revisions, revisions.dropFirst()).allSatisfy { $0 < $1 })

        // Every acknowledged write is in the replay exactly once, with its revision and value.
        var byRevision: [Revision: WatchEvent] = [:]
        for event in replay { byRevision[event.revision] = event }
        var missing = 0
        for ack in acks {
            guard let event = byRevision[ack.revision], event.current.key == ack.key,
                String(decoding: event.current.value, as: UTF8.self) == ack.value
            else {
                missing += 1
                continue
            }
        }
        #expect(missing == 0, "\(missing) of \(acks.count) acknowledged writes are missing after SIGKILL")
        let writes = replay.map { "\($0.current.key) \(String(decoding: $0.current.value, as: UTF8.self))" }
        #expect(Set(writes).count == writes.count, "a write appears twice in the replay")

        // The latest value of every key is the newest surviving write for it.
        let listed = try await store.list(ListRequest(prefix: "/load/"))
        var newest: [String: Revision] = [:]
        for event in replay { newest[event.current.key] = event.revision }
        #expect(listed.items.count == newest.count)
        #expect(listed.items.allSatisfy { newest[$0.key] == $0.modRevision })
    }

    static func parse(_ output: String) -> [Ack] {
        // The last line may be cut off by the kill; only complete lines are acknowledgements.
        output.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let revision = Revision(fields[0]), fields[2].split(separator: ".").count == 3
            else { return nil }
            return Ack(revision: revision, key: String(fields[1]), value: String(fields[2]))
        }
    }

    /// Starts the binary, lets it run for `delay`, SIGKILLs it and returns everything it printed to stdout.
    /// Output read so far, shared between the reading task and the test.
    final class Output: Sendable {
        let bytes = Mutex<[UInt8]>([])
        var lines: Int { bytes.withLock { $0.count { $0 == UInt8(ascii: "\n") } } }
    }

    /// Starts the writer, waits until it has acknowledged a first batch of writes (a loaded machine may take a while
    /// to start it), then kills it with SIGKILL at a random moment `extra` later.
    func runAndKill(_ binary: String, _ arguments: [String], after extra: Duration, attempt: Int) async throws -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Drain the pipe concurrently so the writer never blocks on a full pipe.
        let output = Output()
        let handle = pipe.fileHandleForReading
        let reader = Task.detached {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                output.bytes.withLock { $0.append(contentsOf: chunk) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while output.lines < 64, process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: extra)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "attempt \(attempt): the writer exited before the kill")
        await reader.value
        return String(decoding: output.bytes.withLock { $0 }, as: UTF8.self)
    }

    func collectAll(_ stream: WatchStream, through revision: Revision) async throws -> [WatchEvent] {
        var events: [WatchEvent] = []
        guard revision > 0 else { return events }
        for try await event in stream {
            events.append(event)
            if event.revision >= revision { break }
        }
        return events
    }
}
