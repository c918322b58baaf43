import Testing

@testable import SkiffClient

@Suite struct BackoffTests {
    @Test func doublesUpToTheCap() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(30), jitter: 0)
        #expect((1...7).map { backoff.delay(attempt: $0, unit: 0.5) } == [1, 2, 4, 8, 16, 30, 30].map { .seconds($0) })
        #expect(backoff.delay(attempt: 10_000, unit: 0.5) == .seconds(30))
    }

    @Test func jitterSpreadsAroundTheDelay() {
        let backoff = Backoff(initial: .seconds(10), maximum: .seconds(60), jitter: 0.2)
        #expect(backoff.delay(attempt: 1, unit: 0) == .seconds(8))
        #expect(backoff.delay(attempt: 1, unit: 1) == .seconds(12))
    }
}
