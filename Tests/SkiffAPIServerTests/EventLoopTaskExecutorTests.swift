import NIOCore
import NIOPosix
import Testing

@testable import SkiffAPIServer

@Suite struct EventLoopTaskExecutorTests {
    @Test func workRunsOnTheLoopAcrossSuspensions() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let onLoop = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { () async -> [Bool] in
            var seen = [loop.inEventLoop]
            try? await Task.sleep(for: .milliseconds(5))  // resumed by a timer elsewhere: must come back to the loop
            seen.append(loop.inEventLoop)
            async let child = loop.inEventLoop  // child tasks inherit the preference
            seen.append(await child)
            return seen
        }
        #expect(onLoop == [true, true, true])
    }
}
