/// Answers from upstream servers, kept for their TTL so repeated lookups of external names skip the network.
///
/// Pure and clock-free: every call takes the current instant. Entries are keyed by question (name compared without
/// case, type, class); a positive answer lives for its smallest TTL, a negative one (NXDOMAIN, or NOERROR without
/// answers) for its SOA's negative TTL, capped. SERVFAIL, truncated and other error replies are never kept. The
/// least recently used entry makes room once `capacity` is reached.
public struct DNSAnswerCache: Sendable {
    /// Most entries kept.
    public let capacity: Int
    /// The longest a positive answer is kept, whatever its TTL.
    public let maxTTL: Duration
    /// The longest a negative answer is kept.
    public let maxNegativeTTL: Duration

    private var index: [DNSQuestion: Int] = [:]
    private var slots: [Slot] = []
    /// Slot indices of removed entries, reused first.
    private var free: [Int] = []
    /// The most and least recently used slots, ends of a list linked through the slots.
    private var head = -1
    private var tail = -1

    private struct Slot: Sendable {
        var key: DNSQuestion
        var message: DNSMessage
        var stored: ContinuousClock.Instant
        var expires: ContinuousClock.Instant
        var previous: Int
        var next: Int
    }

    /// Creates an empty cache.
    public init(capacity: Int = 1000, maxTTL: Duration = .seconds(3600), maxNegativeTTL: Duration = .seconds(30)) {
        self.capacity = max(1, capacity)
        self.maxTTL = maxTTL
        self.maxNegativeTTL = maxNegativeTTL
    }

    /// How many entries are held, expired ones included until they are looked up or evicted.
    public var count: Int { index.count }

    /// The cached answer to `query`, with its id, question spelling and flags, and TTLs lowered by the time the
    /// entry has been held; nil when absent or expired.
    public mutating func answer(to query: DNSMessage, at now: ContinuousClock.Instant) -> DNSMessage? {
        guard query.questions.count == 1, let slot = index[query.questions[0]] else { return nil }
        guard now < slots[slot].expires else {
            remove(slot)
            return nil
        }
        moveToFront(slot)
        let elapsed = Self.seconds(max(.zero, now - slots[slot].stored))
        var reply = slots[slot].message
        reply.id = query.id
        reply.questions = query.questions
        reply.recursionDesired = query.recursionDesired
        reply.checkingDisabled = query.checkingDisabled
        reply.edns = query.edns.map { EDNS(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) }
        func age(_ records: inout [DNSResourceRecord]) {
            for i in records.indices {
                records[i].ttl = records[i].ttl > elapsed ? records[i].ttl - elapsed : 0
            }
        }
        age(&reply.answers)
        age(&reply.authorities)
        age(&reply.additionals)
        return reply
    }

    /// Keeps an upstream response to its own question, if it may be cached.
    public mutating func insert(_ response: DNSMessage, at now: ContinuousClock.Instant) {
        guard response.questions.count == 1, let ttl = cacheTTL(of: response), ttl > .zero else { return }
        let key = response.questions[0]
        var message = response
        message.edns = nil
        // Records whose TTL the cache lowers start from the smallest, so they all expire together.
        let cap = UInt32(Self.seconds(ttl))
        for i in message.answers.indices { message.answers[i].ttl = min(Self.normalized(message.answers[i].ttl), cap) }
        for i in message.authorities.indices {
            message.authorities[i].ttl = min(Self.normalized(message.authorities[i].ttl), cap)
        }
        for i in message.additionals.indices {
            message.additionals[i].ttl = min(Self.normalized(message.additionals[i].ttl), cap)
        }
        if let existing = index[key] { remove(existing) }
        while index.count >= capacity, tail >= 0 { remove(tail) }
        let entry = Slot(key: key, message: message, stored: now, expires: now + ttl, previous: -1, next: head)
        let slot: Int
        if let reused = free.popLast() {
            slots[reused] = entry
            slot = reused
        } else {
            slots.append(entry)
            slot = slots.count - 1
        }
        if head >= 0 { slots[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
        index[key] = slot
    }

    /// Drops every entry.
    public mutating func removeAll() {
        index = [:]
        slots = []
        free = []
        head = -1
        tail = -1
    }

    /// How long `response` may be kept; nil when never.
    func cacheTTL(of response: DNSMessage) -> Duration? {
        guard response.isResponse, !response.isTruncated, response.opcode == .query else { return nil }
        let records = response.answers.filter { $0.recordClass != .any }
        switch response.responseCode {
        case .noError where !records.isEmpty:
            let smallest = records.map { Self.normalized($0.ttl) }.min() ?? 0
            return min(.seconds(smallest), maxTTL)
        case .noError, .nameError:
            // RFC 2308 section 5: the lesser of the SOA's TTL and its minimum field.
            for record in response.authorities {
                if case .soa(let soa) = record.data {
                    return min(.seconds(min(Self.normalized(record.ttl), soa.minimum)), maxNegativeTTL)
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// RFC 2181 section 8: a TTL with the top bit set counts as zero.
    private static func normalized(_ ttl: UInt32) -> UInt32 { ttl > UInt32(Int32.max) ? 0 : ttl }

    private static func seconds(_ duration: Duration) -> UInt32 {
        UInt32(clamping: duration.components.seconds)
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        slots[slot].previous = -1
        slots[slot].next = head
        if head >= 0 { slots[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let previous = slots[slot].previous
        let next = slots[slot].next
        if previous >= 0 { slots[previous].next = next } else { head = next }
        if next >= 0 { slots[next].previous = previous } else { tail = previous }
    }

    private mutating func remove(_ slot: Int) {
        unlink(slot)
        index[slots[slot].key] = nil
        // Release the message now rather than when the slot is reused.
        slots[slot].message = DNSMessage(id: 0)
        free.append(slot)
    }
}
