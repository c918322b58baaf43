import AsyncHTTPClient
import NIOCore
import SkiffModel
import Testing

@testable import SkiffClient

/// The HTTP watch reader: events from body chunks, and a deadline so a watch on a dead link does not hang forever.
@Suite struct WatchBodyReaderTests {
    static let added = #"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}}}"#

    @Test func eventsArriveAndTheServersEndIsANormalEnd() async throws {
        let (chunks, continuation) = AsyncStream<ByteBuffer>.makeStream()
        continuation.yield(ByteBuffer(string: Self.added + "\n"))
        continuation.finish()
        let reader = WatchBodyReader(
            body: .stream(chunks), server: "https://test", deadline: .now + .seconds(30))
        #expect(try await reader.next()?.object.name == "a")
        #expect(try await reader.next() == nil)
    }

    @Test func aWatchStillSilentPastItsDeadlineFailsWithATimeout() async throws {
        let (chunks, continuation) = AsyncStream<ByteBuffer>.makeStream()
        continuation.yield(ByteBuffer(string: Self.added + "\n"))
        // Never finished: a partition without a reset.
        let reader = WatchBodyReader(
            body: .stream(chunks), server: "https://test", deadline: .now + .milliseconds(200))
        #expect(try await reader.next()?.object.name == "a")
        // Only the deadline can make the reader fail with 504; if it never fired, the body would end normally
        // after 20 s (a hang guard, not a figure) and the expectation below fails.
        let guardTask = Task {
            try? await Task.sleep(for: .seconds(20))
            continuation.finish()
        }
        defer { guardTask.cancel() }
        await #expect {
            _ = try await reader.next()
        } throws: { error in
            (error as? APIError)?.code == 504
        }
        continuation.finish()
    }
}
