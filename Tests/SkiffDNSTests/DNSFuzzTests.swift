import SkiffModel
import Testing

@testable import SkiffDNS

/// Seeded random inputs: whatever arrives, `respond(to:)` neither traps nor hangs, and what it sends back parses.
struct DNSFuzzTests {
    let resolver = ClusterDNSResolver(
        snapshot: ClusterDNSSnapshot(services: ClusterDNSZoneTests.services, endpointSlices: ClusterDNSZoneTests.slices)
    )

    /// Checks one packet's outcome; returns a short tag for the tally.
    @discardableResult
    func check(_ packet: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        switch resolver.respond(to: packet, over: .udp) {
        case .drop:
            return "drop"
        case .reply(let bytes):
            #expect(bytes.count <= 1232, sourceLocation: sourceLocation)
            do {
                let reply = try DNSMessage(parsing: bytes)
                #expect(reply.isResponse, sourceLocation: sourceLocation)
                #expect(reply.id == UInt16(packet[0]) << 8 | UInt16(packet[1]), sourceLocation: sourceLocation)
                return reply.responseCode == .formatError ? "formerr" : "answer"
            } catch {
                Issue.record("reply does not parse: \(error) for \(packet)", sourceLocation: sourceLocation)
                return "bad"
            }
        case .forward(let query):
            #expect((try? DNSMessage(parsing: query.serialized())) == query, sourceLocation: sourceLocation)
            return "forward"
        case .chase(let partial, let query, _):
            #expect((try? DNSMessage(parsing: partial.serialized())) != nil, sourceLocation: sourceLocation)
            #expect((try? DNSMessage(parsing: query.serialized())) == query, sourceLocation: sourceLocation)
            return "chase"
        }
    }

    @Test func randomPacketsNeverCrash() {
        var random = SplitMix64(seed: 0x5EED_0001)
        var tally: [String: Int] = [:]
        for round in 0..<10_000 {
            let length = Int.random(in: 0...600, using: &random)
            var packet = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if round % 2 == 0, packet.count >= 12 {
                // Half look like queries, so the parser gets past the header: QR clear, one question, few records.
                packet[2] &= 0x7F
                packet[4] = 0
                packet[5] = 1
                for i in [6, 8, 10] { packet[i] = 0 }
                for i in [7, 9, 11] { packet[i] &= 0x03 }
            }
            tally[check(packet), default: 0] += 1
        }
        #expect(tally["drop", default: 0] > 0)
        #expect(tally["formerr", default: 0] > 0)
    }

    /// Valid queries and replies, cut short or with bits flipped.
    @Test func damagedPacketsNeverCrash() throws {
        let names = [
            "web.default.svc.cluster.local", "_pg._tcp.db.default.svc.cluster.local", "10-1-2-3.x.pod.cluster.local",
            "example.com", "ext.default.svc.cluster.local", "10.0.43.10.in-addr.arpa", "a.a.a.a.a.cluster.local",
        ]
        var seeds: [[UInt8]] = []
        for (index, text) in names.enumerated() {
            for type in [DNSRecordType.a, .aaaa, .srv, .ptr, .any] {
                let query = DNSMessage.query(
                    id: UInt16(index), DNSQuestion(name: try DNSName(text), type: type),
                    edns: index % 2 == 0 ? EDNS(udpPayloadSize: 4096) : nil)
                seeds.append(query.serialized())
                if case .answer(let reply) = resolver.decide(query) { seeds.append(reply.serialized()) }
            }
        }
        var random = SplitMix64(seed: 0x5EED_0002)
        var tally: [String: Int] = [:]
        for round in 0..<10_000 {
            var packet = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            if round % 3 == 0 {
                packet.removeLast(Int.random(in: 0...packet.count, using: &random))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let bit = Int.random(in: 0..<(packet.count * 8), using: &random)
                    packet[bit / 8] ^= 1 << (bit % 8)
                }
            }
            if round % 5 == 0, packet.count > 2 { packet[2] &= 0x7F }  // more of them read as queries
            tally[check(packet), default: 0] += 1
        }
        #expect(tally["answer", default: 0] > 0)
        #expect(tally["forward", default: 0] > 0)
        #expect(tally["formerr", default: 0] > 0)
    }

    /// Random messages built from random names survive serialization, compression included.
    @Test func randomMessagesRoundTrip() throws {
        var random = SplitMix64(seed: 0x5EED_0003)
        let alphabet = Array("aAbB-0_".utf8)
        func randomName() throws -> DNSName {
            let labels = (0..<Int.random(in: 0...6, using: &random)).map { _ in
                (0..<Int.random(in: 1...3, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            }
            return try DNSName(labels: labels)
        }
        for _ in 0..<2_000 {
            var message = DNSMessage(id: UInt16.random(in: 0...UInt16.max, using: &random), isResponse: true)
            message.questions = [DNSQuestion(name: try randomName(), type: .a)]
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let data: DNSRecordData
                switch Int.random(in: 0...4, using: &random) {
                case 0: data = .cname(try randomName())
                case 1: data = .srv(priority: 1, weight: 2, port: 3, target: try randomName())
                case 2:
                    data = .soa(
                        DNSStartOfAuthority(
                            primary: try randomName(), mailbox: try randomName(), serial: 1, refresh: 2, retry: 3,
                            expire: 4, minimum: 5))
                case 3: data = .mx(preference: 7, exchange: try randomName())
                default: data = .a(IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)))
                }
                message.answers.append(DNSResourceRecord(name: try randomName(), ttl: 9, data: data))
            }
            let bytes = message.serialized()
            let parsed = try DNSMessage(parsing: bytes)
            // Names compare without case: compression may borrow an earlier name's spelling of a suffix, but the
            // question, written first, keeps its own.
            #expect(parsed == message)
            #expect(parsed.questions[0].name.wire == message.questions[0].name.wire)
        }
    }
}
