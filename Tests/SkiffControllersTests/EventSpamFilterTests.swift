import Foundation
import Testing

@testable import SkiffControllers

@Suite struct EventSpamFilterTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func key(_ name: String, type: String = "Normal", reason: String = "Scheduled") -> String {
        EventSpamFilter.key(
            component: "c", object: ["Pod", "default", name, "uid-\(name)", "v1"], type: type, reason: reason)
    }

    @Test func aBurstOf25ThenOnePerFiveMinutes() {
        var filter = EventSpamFilter()
        let allowed = (0..<1000).filter { filter.allow(key("web"), now: start + Double($0) * 0.001) }.count
        #expect(allowed == 25)
        let early = filter.allow(key("web"), now: start + 299)
        let refilled = filter.allow(key("web"), now: start + 301)
        let again = filter.allow(key("web"), now: start + 302)
        #expect(!early && refilled && !again)
    }

    @Test func keysAreSeparatePerObjectTypeAndReason() {
        var filter = EventSpamFilter()
        for index in 0..<25 { _ = filter.allow(key("p"), now: start + Double(index)) }
        let sameKey = filter.allow(key("p"), now: start + 30)
        let otherObject = filter.allow(key("q"), now: start + 30)
        let otherReason = filter.allow(key("p", type: "Warning", reason: "FailedScheduling"), now: start + 30)
        #expect(!sameKey && otherObject && otherReason)
    }

    @Test func manyObjectsAreAllAllowedTheirFirstEvent() {
        var filter = EventSpamFilter()
        let allowed = (0..<(EventSpamFilter.capacity * 3)).filter {
            filter.allow(key("p\($0)"), now: start + Double($0) * 0.01)
        }
        #expect(allowed.count == EventSpamFilter.capacity * 3)
    }
}
