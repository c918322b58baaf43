import Testing

@testable import SkiffDNS

struct DNSNameTests {
    @Test func textParsesWithOrWithoutTheFinalDot() throws {
        let name = try DNSName("web.default.svc.cluster.local")
        #expect(name == (try DNSName("web.default.svc.cluster.local.")))
        #expect(name.wire == hex("03776562 0764656661756c74 03737663 07636c7573746572 056c6f63616c"))
        #expect(name.description == "web.default.svc.cluster.local.")
        #expect(name.labelCount == 5)
        #expect(try DNSName(".").isRoot)
        #expect(try DNSName("").isRoot)
    }

    @Test func comparisonAndHashingIgnoreCase() throws {
        let upper = try DNSName("WEB.Default.svc.CLUSTER.local.")
        let lower = try DNSName("web.default.svc.cluster.local")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(Set([upper, lower]).count == 1)
        #expect(upper.description == "WEB.Default.svc.CLUSTER.local.", "the spelling is kept")
        #expect(try DNSName("web1.default") != DNSName("web.default"))
        #expect(try DNSName("a.b") != DNSName("ab"))
    }

    @Test func subdomainsFollowLabelBoundaries() throws {
        let domain = try DNSName("cluster.local")
        #expect(try DNSName("a.B.cluster.LOCAL").isSubdomain(of: domain))
        #expect(domain.isSubdomain(of: domain))
        #expect(try !DNSName("mycluster.local").isSubdomain(of: domain))
        #expect(try !DNSName("local").isSubdomain(of: domain))
        #expect(try DNSName("x.y.cluster.local").labelCount(below: domain) == 2)
        #expect(try DNSName("x.example").labelCount(below: domain) == nil)
        #expect(try DNSName("x.y.z").parent == DNSName("y.z"))
    }

    @Test func limitsAreEnforced() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(throws: Never.self) { try DNSName(label63 + ".com") }
        #expect { try DNSName(label63 + "a.com") } throws: { ($0 as? DNSParseError)?.code == .labelTooLong }
        // Four labels of 63 make 4 * 64 + 1 = 257 bytes.
        let long = Array(repeating: label63, count: 4).joined(separator: ".")
        #expect { try DNSName(long) } throws: { ($0 as? DNSParseError)?.code == .nameTooLong }
        // 3 * 64 + 62 + 1 = 255 bytes exactly is allowed.
        let longest =
            Array(repeating: label63, count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        #expect(try DNSName(longest).wireLength == 255)
        #expect { try DNSName("a..b") } throws: { ($0 as? DNSParseError)?.code == .badText }
    }

    @Test func escapesRoundTrip() throws {
        let name = try DNSName(#"a\.b.c\032d"#)
        #expect(name.labelCount == 2)
        #expect(Array(name.firstLabel) == Array("a.b".utf8))
        #expect(name.description == #"a\.b.c\ d."#)
        #expect(try DNSName(name.description) == name)
    }

    @Test(arguments: [
        ("10.43.0.1", "10.43.0.1"), ("::", "::"), ("::1", "::1"),
        ("2001:DB8::8:800:200C:417A", "2001:db8::8:800:200c:417a"),
        ("fd00:10:42::a", "fd00:10:42::a"), ("::ffff:10.0.0.1", "::ffff:a00:1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func addressesParseAndPrint(_ text: String, _ printed: String) {
        let description = IPv4Address(text)?.description ?? IPv6Address(text)?.description
        #expect(description == printed)
    }

    @Test(arguments: [
        "10.43.0", "10.43.0.256", "1.2.3.4.5", "01234.1.1.1", "", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::",
        "1:",
    ])
    func badAddressesAreRejected(_ text: String) {
        #expect(IPv4Address(text) == nil)
        #expect(IPv6Address(text) == nil)
    }
}
