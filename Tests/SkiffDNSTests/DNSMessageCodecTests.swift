import Testing

@testable import SkiffDNS

struct DNSMessageCodecTests {
    /// `dig web.default.svc.cluster.local A`: id 0x1234, RD and AD, an OPT record for 1232 bytes with a cookie.
    static let digQuery = hex(
        """
        1234 0120 0001 0000 0000 0001
        03776562 0764656661756c74 03737663 07636c7573746572 056c6f63616c 00 0001 0001
        00 0029 04d0 00000000 000c 000a0008 0102030405060708
        """)

    @Test func parsesADigQuery() throws {
        let message = try DNSMessage(parsing: Self.digQuery)
        #expect(message.id == 0x1234)
        #expect(!message.isResponse)
        #expect(message.opcode == .query)
        #expect(message.recursionDesired)
        #expect(message.authenticData)
        #expect(!message.checkingDisabled)
        #expect(message.questions == [DNSQuestion(name: try DNSName("web.default.svc.cluster.local"), type: .a)])
        #expect(message.additionals.isEmpty, "the OPT record is held apart")
        #expect(message.edns?.udpPayloadSize == 1232)
        #expect(message.edns?.version == 0)
        #expect(message.edns?.options == hex("000a0008 0102030405060708"))
        #expect(message.udpPayloadLimit() == 1232)
        #expect(message.udpPayloadLimit(cap: 4096) == 1232)
        // Re-serialized, the query comes back byte for byte.
        #expect(message.serialized() == Self.digQuery)
    }

    @Test func writesAnAnswerWithCompressedNames() throws {
        let query = try DNSMessage(parsing: Self.digQuery)
        var reply = query.reply()
        reply.isAuthoritative = true
        reply.recursionAvailable = true
        reply.answers = [DNSResourceRecord(name: query.questions[0].name, ttl: 5, data: .a(IPv4Address(0x0A2B_000A)))]
        #expect(
            reply.serialized()
                == hex(
                    """
                    1234 8580 0001 0001 0000 0001
                    03776562 0764656661756c74 03737663 07636c7573746572 056c6f63616c 00 0001 0001
                    c00c 0001 0001 00000005 0004 0a2b000a
                    00 0029 04d0 00000000 0000
                    """))
    }

    @Test func compressesSuffixesOfEarlierNames() throws {
        // The SOA's owner, primary and mailbox all end in cluster.local, which starts at offset 29 of the question.
        let domain = try DNSName("cluster.local")
        let soa = DNSStartOfAuthority(
            primary: try DNSName("ns.dns.cluster.local"), mailbox: try DNSName("hostmaster.cluster.local"), serial: 1,
            refresh: 7200, retry: 1800, expire: 86400, minimum: 5)
        let reply = DNSMessage(
            id: 7, isResponse: true, isAuthoritative: true, responseCode: .nameError,
            questions: [DNSQuestion(name: try DNSName("nope.default.svc.cluster.local"), type: .a)],
            authorities: [DNSResourceRecord(name: domain, ttl: 5, data: .soa(soa))])
        let bytes = reply.serialized()
        #expect(
            bytes
                == hex(
                    """
                    0007 8403 0001 0000 0001 0000
                    046e6f7065 0764656661756c74 03737663 07636c7573746572 056c6f63616c 00 0001 0001
                    c01d 0006 0001 00000005 002a
                    026e73 03646e73 c01d 0a686f73746d6173746572 c01d
                    00000001 00001c20 00000708 00015180 00000005
                    """))
        #expect(try DNSMessage(parsing: bytes) == reply)
    }

    @Test func everyRecordKindRoundTrips() throws {
        let owner = try DNSName("x.example.com")
        let target = try DNSName("y.example.com")
        let records: [DNSRecordData] = [
            .a(IPv4Address(0x0102_0304)), .aaaa(IPv6Address("fd00::1")!), .cname(target), .ptr(target), .ns(target),
            .mx(preference: 10, exchange: target), .srv(priority: 0, weight: 100, port: 8080, target: target),
            .soa(
                DNSStartOfAuthority(
                    primary: target, mailbox: owner, serial: 9, refresh: 1, retry: 2, expire: 3, minimum: 4)),
            .txt([Array("v=spf1".utf8), [], Array(repeating: 0x41, count: 255)]),
            .unknown(type: DNSRecordType(rawValue: 65), bytes: [0, 1, 0]),
            .unknown(type: DNSRecordType(rawValue: 99), bytes: []),
        ]
        let message = DNSMessage(
            id: 0xBEEF, isResponse: true, opcode: .query, isAuthoritative: false, recursionDesired: true,
            recursionAvailable: true, checkingDisabled: true, responseCode: .badVersion,
            questions: [DNSQuestion(name: owner, type: .any)],
            answers: records.map { DNSResourceRecord(name: owner, ttl: 300, data: $0) },
            authorities: [DNSResourceRecord(name: owner, recordClass: .chaos, ttl: 1, data: .ns(target))],
            additionals: [DNSResourceRecord(name: target, ttl: 2, data: .a(IPv4Address(1)))],
            edns: EDNS(udpPayloadSize: 4096, version: 0, dnssecOK: true, options: [0, 10, 0, 0]))
        #expect(try DNSMessage(parsing: message.serialized()) == message)
    }

    @Test func srvTargetsAreNotCompressed() throws {
        let name = try DNSName("_http._tcp.web.default.svc.cluster.local")
        let target = try DNSName("web.default.svc.cluster.local")
        let message = DNSMessage(
            id: 1, isResponse: true, questions: [DNSQuestion(name: name, type: .srv)],
            answers: [
                DNSResourceRecord(name: name, ttl: 5, data: .srv(priority: 0, weight: 100, port: 80, target: target))
            ])
        let bytes = message.serialized()
        let tail = target.wire + [0]
        #expect(Array(bytes.suffix(tail.count)) == tail)
    }

    @Test func readsAnswersThatPointIntoRecordData() throws {
        // www.example.com CNAME example.com; example.com A 1.2.3.4 whose owner points into the CNAME's data.
        let bytes = hex(
            """
            0001 8180 0001 0002 0000 0000
            03777777 076578616d706c65 03636f6d 00 0001 0001
            c00c 0005 0001 0000012c 0002 c010
            c010 0001 0001 0000012c 0004 01020304
            """)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.answers.map(\.data) == [.cname(try DNSName("example.com")), .a(IPv4Address(0x0102_0304))])
        #expect(message.answers[1].name == (try DNSName("example.com")))
    }

    static let malformed: [(String, String, DNSParseError.Code)] = [
        ("pointer to itself", "0001 0000 0001 0000 0000 0000 c00c 0001 0001", .badPointer),
        (
            "pointer loop through two names",
            "0001 0000 0002 0000 0000 0000 01 61 c012 0001 0001 01 62 c00c 0001 0001", .badPointer
        ),
        ("forward pointer", "0001 0000 0001 0000 0000 0000 c010 0001 0001 0161 00", .badPointer),
        ("pointer past the end", "0001 0000 0001 0000 0000 0000 c0ff 0001 0001", .badPointer),
        ("pointer cut in half", "0001 0000 0001 0000 0000 0000 c0", .truncated),
        (
            "label of 64 bytes",
            "0001 0000 0001 0000 0000 0000 40" + String(repeating: "61", count: 64) + "00 0001 0001",
            .badLabelType
        ),
        ("reserved label type", "0001 0000 0001 0000 0000 0000 8161 00 0001 0001", .badLabelType),
        (
            "name of 257 bytes",
            "0001 0000 0001 0000 0000 0000" + String(repeating: "3f" + String(repeating: "61", count: 63), count: 4)
                + "00 0001 0001", .nameTooLong
        ),
        ("label past the end", "0001 0000 0001 0000 0000 0000 0561 62", .truncated),
        ("question cut short", "0001 0000 0001 0000 0000 0000 0161 00 0001", .truncated),
        ("A record of 5 bytes", "0001 8000 0000 0001 0000 0000 00 0001 0001 00000000 0005 0102030405", .badRecordData),
        (
            "rdata longer than the message", "0001 8000 0000 0001 0000 0000 00 0001 0001 00000000 0010 01020304",
            .truncated
        ),
        (
            "CNAME overrunning its rdata", "0001 8000 0000 0001 0000 0000 00 0005 0001 00000000 0001 0161 00",
            .badRecordData
        ),
        (
            "two OPT records", "0001 0000 0000 0000 0000 0002 00 0029 0200 00000000 0000 00 0029 0200 00000000 0000",
            .badOPT
        ),
        ("OPT among the answers", "0001 8000 0000 0001 0000 0000 00 0029 0200 00000000 0000", .badOPT),
        ("header only half there", "0001 0000 0001", .truncated),
    ]

    @Test(arguments: malformed)
    func malformedMessagesAreRejected(_ what: String, _ packet: String, _ code: DNSParseError.Code) {
        #expect(throws: DNSParseError.self, "\(what)") { try DNSMessage(parsing: hex(packet)) }
        do {
            _ = try DNSMessage(parsing: hex(packet))
        } catch {
            #expect(error.code == code, "\(what): \(error)")
        }
    }

    /// A chain of 200 pointers, each one label further back: the hop limit stops it even though every hop is
    /// backward.
    /// Questions whose names are each a pointer to the one before: every hop is backward, and the hop limit still
    /// stops the long chains.
    @Test func longPointerChainsStop() throws {
        var packet = hex("0001 0000 0000 0000 0000 0000 00 0001 0001")
        var previous = 12
        for _ in 1..<200 {
            let here = packet.count
            packet += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF), 0, 1, 0, 1]
            previous = here
        }
        packet[5] = 64  // 64 questions: the last one follows 63 pointers
        #expect(try DNSMessage(parsing: packet).questions.count == 64)
        packet[5] = 66
        #expect { try DNSMessage(parsing: packet) } throws: { ($0 as? DNSParseError)?.code == .badPointer }
    }

    @Test func truncationKeepsWhatFitsAndSetsTC() throws {
        let name = try DNSName("many.default.svc.cluster.local")
        var reply = DNSMessage.query(id: 9, DNSQuestion(name: name, type: .a)).reply()
        reply.answers = (0..<100).map { DNSResourceRecord(name: name, ttl: 5, data: .a(IPv4Address(UInt32($0)))) }
        let full = reply.serialized()
        #expect(full.count == 12 + 36 + 100 * 16)
        let cut = reply.serialized(maxSize: 512)
        #expect(cut.count <= 512)
        let parsed = try DNSMessage(parsing: cut)
        #expect(parsed.isTruncated)
        #expect(parsed.answers.count == (512 - 48) / 16)
        #expect(parsed.answers == Array(reply.answers.prefix(parsed.answers.count)))

        // With EDNS the OPT record always fits, and the rest of the room goes to answers.
        reply.edns = EDNS(udpPayloadSize: 1232)
        let withOPT = try DNSMessage(parsing: reply.serialized(maxSize: 1232))
        #expect(withOPT.isTruncated)
        #expect(withOPT.edns != nil)
        #expect(withOPT.answers.count == (1232 - 48 - 11) / 16)
    }

    @Test func droppedAdditionalsDoNotSetTC() throws {
        let name = try DNSName("_http._tcp.db.default.svc.cluster.local")
        var reply = DNSMessage.query(id: 9, DNSQuestion(name: name, type: .srv)).reply()
        let target = try DNSName("db-0.db.default.svc.cluster.local")
        reply.answers = [
            DNSResourceRecord(name: name, ttl: 5, data: .srv(priority: 0, weight: 100, port: 1, target: target))
        ]
        reply.additionals = (0..<60).map { DNSResourceRecord(name: target, ttl: 5, data: .a(IPv4Address(UInt32($0)))) }
        let parsed = try DNSMessage(parsing: reply.serialized(maxSize: 512))
        #expect(!parsed.isTruncated)
        #expect(parsed.answers.count == 1)
        #expect(parsed.additionals.count < 60)
        #expect(!parsed.additionals.isEmpty)
    }

    @Test func udpLimitsFollowEDNS() {
        var query = DNSMessage.query(id: 1, DNSQuestion(name: .root, type: .ns))
        #expect(query.udpPayloadLimit() == 512)
        query.edns = EDNS(udpPayloadSize: 100)
        #expect(query.udpPayloadLimit() == 512)
        query.edns = EDNS(udpPayloadSize: 4096)
        #expect(query.udpPayloadLimit() == 1232)
        #expect(query.udpPayloadLimit(cap: 4096) == 4096)
    }
}
