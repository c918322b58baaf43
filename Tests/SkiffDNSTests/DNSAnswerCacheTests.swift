import Testing

@testable import SkiffDNS

struct DNSAnswerCacheTests {
    let start = ContinuousClock().now

    static func question(_ name: String, _ type: DNSRecordType = .a) -> DNSQuestion {
        DNSQuestion(name: DNSName(constant: name), type: type)
    }

    static func positive(_ name: String, ttls: [UInt32], id: UInt16 = 99) -> DNSMessage {
        var reply = DNSMessage.query(id: id, question(name)).reply()
        reply.recursionAvailable = true
        reply.answers = ttls.enumerated().map {
            DNSResourceRecord(name: DNSName(constant: name), ttl: $0.element, data: .a(IPv4Address(UInt32($0.offset))))
        }
        return reply
    }

    static func negative(_ name: String, code: DNSResponseCode, soaTTL: UInt32, minimum: UInt32) -> DNSMessage {
        var reply = DNSMessage.query(id: 1, question(name)).reply(responseCode: code)
        let soa = DNSStartOfAuthority(
            primary: DNSName(constant: "ns.example"), mailbox: DNSName(constant: "h.example"), serial: 1, refresh: 1,
            retry: 1, expire: 1, minimum: minimum)
        reply.authorities = [DNSResourceRecord(name: DNSName(constant: "example"), ttl: soaTTL, data: .soa(soa))]
        return reply
    }

    @Test func answersLiveForTheirSmallestTTL() {
        var cache = DNSAnswerCache()
        cache.insert(Self.positive("example.com", ttls: [300, 60]), at: start)
        let query = DNSMessage.query(id: 7, Self.question("EXAMPLE.com"))
        let fresh = cache.answer(to: query, at: start + .seconds(20))
        #expect(fresh?.id == 7)
        #expect(fresh?.questions.first?.name.description == "EXAMPLE.com.", "the asker's spelling is echoed")
        #expect(fresh?.answers.map(\.ttl) == [40, 40], "TTLs start from the smallest and count down")
        #expect(cache.answer(to: query, at: start + .milliseconds(59_999))?.answers.map(\.ttl) == [1, 1])
        #expect(cache.answer(to: query, at: start + .seconds(60)) == nil)
        #expect(cache.count == 0, "an expired entry is dropped when found")
    }

    @Test func keysIncludeTypeAndClass() {
        var cache = DNSAnswerCache()
        cache.insert(Self.positive("example.com", ttls: [60]), at: start)
        #expect(cache.answer(to: .query(id: 1, Self.question("example.com", .aaaa)), at: start) == nil)
        #expect(
            cache.answer(
                to: .query(id: 1, DNSQuestion(name: DNSName(constant: "example.com"), type: .a, recordClass: .chaos)),
                at: start) == nil)
        #expect(cache.answer(to: .query(id: 1, Self.question("example.com")), at: start) != nil)
    }

    @Test func negativeAnswersUseTheSOAAndAreCapped() {
        var cache = DNSAnswerCache()
        cache.insert(Self.negative("gone.example", code: .nameError, soaTTL: 3600, minimum: 10), at: start)
        cache.insert(Self.negative("empty.example", code: .noError, soaTTL: 3600, minimum: 900), at: start)
        let gone = DNSMessage.query(id: 2, Self.question("gone.example"))
        let empty = DNSMessage.query(id: 3, Self.question("empty.example"))
        #expect(cache.answer(to: gone, at: start + .seconds(9))?.responseCode == .nameError)
        #expect(cache.answer(to: gone, at: start + .seconds(10)) == nil)
        #expect(cache.answer(to: empty, at: start + .seconds(29))?.authorities.first?.ttl == 1)
        #expect(cache.answer(to: empty, at: start + .seconds(30)) == nil)
    }

    @Test func failuresAndTruncatedRepliesAreNotKept() {
        var cache = DNSAnswerCache()
        var failed = Self.positive("a.example", ttls: [60])
        failed.responseCode = .serverFailure
        cache.insert(failed, at: start)
        var truncated = Self.positive("b.example", ttls: [60])
        truncated.isTruncated = true
        cache.insert(truncated, at: start)
        var refused = Self.positive("c.example", ttls: [60])
        refused.responseCode = .refused
        cache.insert(refused, at: start)
        cache.insert(Self.positive("d.example", ttls: [0]), at: start)
        var noSOA = Self.negative("e.example", code: .nameError, soaTTL: 60, minimum: 60)
        noSOA.authorities = []
        cache.insert(noSOA, at: start)
        #expect(cache.count == 0)
    }

    @Test func theLeastRecentlyUsedEntryMakesRoom() {
        var cache = DNSAnswerCache(capacity: 3)
        for name in ["a.example", "b.example", "c.example"] {
            cache.insert(Self.positive(name, ttls: [60]), at: start)
        }
        // Reading a makes b the oldest.
        #expect(cache.answer(to: .query(id: 1, Self.question("a.example")), at: start) != nil)
        cache.insert(Self.positive("d.example", ttls: [60]), at: start)
        #expect(cache.count == 3)
        #expect(cache.answer(to: .query(id: 1, Self.question("b.example")), at: start) == nil)
        for name in ["a.example", "c.example", "d.example"] {
            #expect(cache.answer(to: .query(id: 1, Self.question(name)), at: start) != nil, "\(name)")
        }
        // Replacing an entry does not grow the cache, and many inserts stay within capacity.
        cache.insert(Self.positive("d.example", ttls: [30]), at: start)
        #expect(cache.count == 3)
        for i in 0..<1000 { cache.insert(Self.positive("n\(i).example", ttls: [60]), at: start) }
        #expect(cache.count == 3)
        for i in 997..<1000 {
            #expect(cache.answer(to: .query(id: 1, Self.question("n\(i).example")), at: start) != nil)
        }
    }
}
