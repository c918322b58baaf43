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
        let clock = ContinuousClock()
        let started = clock.now
        await #expect {
            _ = try await reader.next()
        } throws: { error in
            (error as? APIError)?.code == 504
        }
        #expect(clock.now - started < .seconds(5))
        continuation.finish()
    }
}
