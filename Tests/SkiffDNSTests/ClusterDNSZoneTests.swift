import SkiffModel
import Testing

@testable import SkiffDNS

/// The zone's answers, asked over the wire: each query is serialized, handed to `respond(to:)`, and the reply parsed.
struct ClusterDNSZoneTests {
    static let services: [JSON] = [
        service(
            "web",
            ports: [["name": "http", "port": 80, "protocol": "TCP"], ["name": "dns", "port": 53, "protocol": "UDP"]],
            clusterIP: "10.43.0.10"),
        service("dual", ports: [["port": 443]], clusterIP: "10.43.0.11", clusterIPs: ["10.43.0.11", "fd00:43::b"]),
        service("db", ports: [["name": "pg", "port": 5432]], clusterIP: "None"),
        [
            "metadata": ["name": "ext", "namespace": "default"],
            "spec": ["type": "ExternalName", "externalName": "example.com"],
        ],
        [
            "metadata": ["name": "alias", "namespace": "default"],
            "spec": ["type": "ExternalName", "externalName": "web.default.svc.cluster.local"],
        ],
        service("api", namespace: "prod", ports: [["name": "https", "port": 443]], clusterIP: "10.43.1.1"),
    ]

    static let slices: [JSON] = [
        [
            "metadata": ["name": "db-abc", "namespace": "default", "labels": ["kubernetes.io/service-name": "db"]],
            "addressType": "IPv4",
            "endpoints": [
                ["addresses": ["10.42.0.5"], "hostname": "db-0", "conditions": ["ready": true]],
                ["addresses": ["10.42.0.6"], "hostname": "db-1", "conditions": ["ready": false]],
                ["addresses": ["10.42.0.7"]],
            ],
            "ports": [["name": "pg", "port": 5432, "protocol": "TCP"]],
        ],
        // A slice of another service and one in another namespace must not leak in.
        [
            "metadata": ["name": "web-x", "namespace": "default", "labels": ["kubernetes.io/service-name": "web"]],
            "addressType": "IPv4", "endpoints": [["addresses": ["10.42.1.1"]]],
        ],
        [
            "metadata": ["name": "db-y", "namespace": "prod", "labels": ["kubernetes.io/service-name": "db"]],
            "addressType": "IPv4", "endpoints": [["addresses": ["10.42.2.2"]]],
        ],
    ]

    static func service(
        _ name: String, namespace: String = "default", ports: [JSON], clusterIP: String, clusterIPs: [JSON]? = nil
    ) -> JSON {
        var spec: JSON = ["type": "ClusterIP", "clusterIP": .string(clusterIP), "ports": .array(ports)]
        spec["clusterIPs"] = .array(clusterIPs ?? [.string(clusterIP)])
        return ["metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec]
    }

    let resolver = ClusterDNSResolver(
        snapshot: ClusterDNSSnapshot(services: services, endpointSlices: slices, namespaces: ["empty"]))

    func ask(
        _ name: String, _ type: DNSRecordType, edns: EDNS? = nil, over transport: ClusterDNSResolver.Transport = .udp
    ) throws -> DNSMessage {
        let query = DNSMessage.query(id: 0x4242, DNSQuestion(name: try DNSName(name), type: type), edns: edns)
        let response = resolver.respond(to: query.serialized(), over: transport)
        guard case .reply(let bytes) = response else {
            Issue.record("no reply for \(name) \(type): \(response)")
            return DNSMessage(id: 0)
        }
        let reply = try DNSMessage(parsing: bytes)
        #expect(reply.id == 0x4242)
        #expect(reply.isResponse)
        #expect(reply.recursionDesired)
        #expect(reply.questions == query.questions)
        return reply
    }

    func data(_ message: DNSMessage) -> [DNSRecordData] { message.answers.map(\.data) }

    func name(_ text: String) -> DNSName { DNSName(constant: text) }

    func expectNoData(_ reply: DNSMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.responseCode == .noError, sourceLocation: sourceLocation)
        #expect(reply.answers.isEmpty, sourceLocation: sourceLocation)
        #expect(reply.authorities.map(\.type) == [.soa], sourceLocation: sourceLocation)
    }

    func expectNameError(_ reply: DNSMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.responseCode == .nameError, sourceLocation: sourceLocation)
        #expect(reply.answers.isEmpty, sourceLocation: sourceLocation)
        #expect(reply.authorities.map(\.name) == [name("cluster.local")], sourceLocation: sourceLocation)
        #expect(reply.authorities.map(\.type) == [.soa], sourceLocation: sourceLocation)
    }

    @Test func clusterIPServicesAnswerA() throws {
        let reply = try ask("web.default.svc.cluster.local", .a)
        #expect(reply.responseCode == .noError)
        #expect(reply.isAuthoritative)
        #expect(reply.recursionAvailable)
        #expect(
            reply.answers == [
                DNSResourceRecord(
                    name: name("web.default.svc.cluster.local"), ttl: 5, data: .a(IPv4Address("10.43.0.10")!))
            ])
        #expect(reply.edns == nil, "no OPT record without one in the query")
        expectNoData(try ask("web.default.svc.cluster.local", .aaaa))
        #expect(data(try ask("api.prod.svc.cluster.local", .a)) == [.a(IPv4Address("10.43.1.1")!)])
    }

    @Test func dualStackServicesAnswerBothFamilies() throws {
        #expect(data(try ask("dual.default.svc.cluster.local", .a)) == [.a(IPv4Address("10.43.0.11")!)])
        #expect(data(try ask("dual.default.svc.cluster.local", .aaaa)) == [.aaaa(IPv6Address("fd00:43::b")!)])
    }

    @Test func headlessServicesAnswerReadyEndpoints() throws {
        #expect(
            data(try ask("db.default.svc.cluster.local", .a))
                == [.a(IPv4Address("10.42.0.5")!), .a(IPv4Address("10.42.0.7")!)])
        #expect(data(try ask("db-0.db.default.svc.cluster.local", .a)) == [.a(IPv4Address("10.42.0.5")!)])
        #expect(data(try ask("10-42-0-7.db.default.svc.cluster.local", .a)) == [.a(IPv4Address("10.42.0.7")!)])
        expectNameError(try ask("db-1.db.default.svc.cluster.local", .a))
        expectNameError(try ask("10-42-0-6.db.default.svc.cluster.local", .a))
        // Slices of other services never reach a ClusterIP service's answer.
        #expect(data(try ask("web.default.svc.cluster.local", .a)) == [.a(IPv4Address("10.43.0.10")!)])
        // A service that does not exist in `prod` gets no endpoints from its slice.
        expectNameError(try ask("db.prod.svc.cluster.local", .a))
    }

    @Test func srvRecordsForClusterIPServices() throws {
        let web = name("web.default.svc.cluster.local")
        #expect(
            data(try ask("_http._tcp.web.default.svc.cluster.local", .srv)) == [
                .srv(priority: 0, weight: 100, port: 80, target: web)
            ])
        #expect(
            data(try ask("_dns._udp.web.default.svc.cluster.local", .srv)) == [
                .srv(priority: 0, weight: 100, port: 53, target: web)
            ])
        expectNameError(try ask("_dns._tcp.web.default.svc.cluster.local", .srv))
        expectNoData(try ask("_tcp.web.default.svc.cluster.local", .srv))
        // SRV at the service name itself lists every port, as CoreDNS does.
        #expect(data(try ask("web.default.svc.cluster.local", .srv)).count == 2)
        // Unnamed ports have no _port._proto name.
        #expect(
            data(try ask("dual.default.svc.cluster.local", .srv)) == [
                .srv(priority: 0, weight: 100, port: 443, target: name("dual.default.svc.cluster.local"))
            ])
    }

    @Test func srvRecordsForHeadlessServicesNameEachEndpoint() throws {
        let reply = try ask("_pg._tcp.db.default.svc.cluster.local", .srv)
        #expect(
            data(reply) == [
                .srv(priority: 0, weight: 100, port: 5432, target: name("db-0.db.default.svc.cluster.local")),
                .srv(priority: 0, weight: 100, port: 5432, target: name("10-42-0-7.db.default.svc.cluster.local")),
            ])
        #expect(
            reply.additionals == [
                DNSResourceRecord(
                    name: name("db-0.db.default.svc.cluster.local"), ttl: 5, data: .a(IPv4Address("10.42.0.5")!)),
                DNSResourceRecord(
                    name: name("10-42-0-7.db.default.svc.cluster.local"), ttl: 5, data: .a(IPv4Address("10.42.0.7")!)),
            ])
    }

    @Test func externalNameServicesAnswerACNAMEAndAskToChase() throws {
        let query = DNSMessage.query(id: 5, DNSQuestion(name: name("ext.default.svc.cluster.local"), type: .a))
        guard case .chase(let partial, let upstream, let limit) = resolver.respond(to: query.serialized()) else {
            Issue.record("expected a chase")
            return
        }
        #expect(
            partial.answers == [
                DNSResourceRecord(
                    name: name("ext.default.svc.cluster.local"), ttl: 5, data: .cname(name("example.com")))
            ])
        #expect(upstream.questions == [DNSQuestion(name: name("example.com"), type: .a)])
        #expect(upstream.recursionDesired)
        #expect(limit == 512)
        var answer = upstream.reply()
        answer.answers = [
            DNSResourceRecord(name: name("example.com"), ttl: 60, data: .a(IPv4Address("93.184.215.14")!))
        ]
        let complete = ClusterDNSResolver.complete(partial, with: answer)
        #expect(data(complete) == [.cname(name("example.com")), .a(IPv4Address("93.184.215.14")!)])
        #expect(complete.id == 5)
        // Asked for the CNAME itself, there is nothing to chase.
        #expect(data(try ask("ext.default.svc.cluster.local", .cname)) == [.cname(name("example.com"))])
    }

    @Test func externalNamesInsideTheZoneAreFollowed() throws {
        let reply = try ask("alias.default.svc.cluster.local", .a)
        #expect(data(reply) == [.cname(name("web.default.svc.cluster.local")), .a(IPv4Address("10.43.0.10")!)])
        #expect(
            reply.answers.map(\.name) == [
                name("alias.default.svc.cluster.local"), name("web.default.svc.cluster.local"),
            ])
    }

    @Test func podNamesAnswerTheAddressTheySpell() throws {
        #expect(data(try ask("10-42-0-9.default.pod.cluster.local", .a)) == [.a(IPv4Address("10.42.0.9")!)])
        #expect(data(try ask("10-42-0-9.anything.pod.cluster.local", .a)) == [.a(IPv4Address("10.42.0.9")!)])
        #expect(data(try ask("fd00-42--9.default.pod.cluster.local", .aaaa)) == [.aaaa(IPv6Address("fd00:42::9")!)])
        expectNoData(try ask("10-42-0-9.default.pod.cluster.local", .aaaa))
        expectNameError(try ask("10-42-0-999.default.pod.cluster.local", .a))
        expectNameError(try ask("web.default.pod.cluster.local", .a))
        expectNameError(try ask("x.10-42-0-9.default.pod.cluster.local", .a))
        expectNoData(try ask("default.pod.cluster.local", .a))
        expectNoData(try ask("pod.cluster.local", .a))
    }

    @Test func pointersForServiceAndEndpointAddresses() throws {
        #expect(data(try ask("10.0.43.10.in-addr.arpa", .ptr)) == [.ptr(name("web.default.svc.cluster.local"))])
        #expect(data(try ask("5.0.42.10.in-addr.arpa", .ptr)) == [.ptr(name("db-0.db.default.svc.cluster.local"))])
        #expect(
            data(try ask("7.0.42.10.IN-ADDR.ARPA.", .ptr)) == [.ptr(name("10-42-0-7.db.default.svc.cluster.local"))])
        let v6 = "b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa"
        #expect(data(try ask(v6, .ptr)) == [.ptr(name("dual.default.svc.cluster.local"))])
        let nodata = try ask("10.0.43.10.in-addr.arpa", .a)
        #expect(nodata.answers.isEmpty)
        #expect(nodata.authorities.map(\.name) == [name("in-addr.arpa")])
        for unknown in ["6.0.42.10.in-addr.arpa", "8.8.8.8.in-addr.arpa", "43.10.in-addr.arpa"] {
            let query = DNSMessage.query(id: 1, DNSQuestion(name: name(unknown), type: .ptr))
            guard case .forward(let forwarded) = resolver.respond(to: query.serialized()) else {
                Issue.record("\(unknown) should go upstream")
                continue
            }
            #expect(forwarded == query)
        }
    }

    @Test func missingNamesAreNXDOMAINAndEmptyOnesNODATA() throws {
        expectNameError(try ask("nope.default.svc.cluster.local", .a))
        expectNameError(try ask("google.com.default.svc.cluster.local", .a))
        expectNameError(try ask("web.nope.svc.cluster.local", .a))
        expectNameError(try ask("x.web.default.svc.cluster.local", .a))
        expectNameError(try ask("nope.cluster.local", .a))
        for existing in [
            "default.svc.cluster.local", "svc.cluster.local", "cluster.local", "prod.svc.cluster.local",
            "empty.svc.cluster.local", "_udp.web.default.svc.cluster.local",
        ] {
            expectNoData(try ask(existing, .a))
        }
        let soa = try ask("cluster.local", .soa)
        guard case .soa(let record) = soa.answers.first?.data else {
            Issue.record("no SOA")
            return
        }
        #expect(record.primary == name("ns.dns.cluster.local"))
        #expect(record.minimum == 5)
        #expect(soa.answers.first?.ttl == 5)
    }

    @Test func namesCompareWithoutCaseAndKeepTheAskersSpelling() throws {
        let reply = try ask("WEB.Default.svc.cluster.local.", .a)
        #expect(data(reply) == [.a(IPv4Address("10.43.0.10")!)])
        #expect(reply.answers.first?.name.description == "WEB.Default.svc.cluster.local.")
        #expect(reply.questions.first?.name.description == "WEB.Default.svc.cluster.local.")
    }

    @Test func namesOutsideTheDomainGoUpstream() throws {
        for outside in ["example.com", "cluster.local.example.com", "local", "mycluster.local"] {
            let query = DNSMessage.query(
                id: 77, DNSQuestion(name: name(outside), type: .a), edns: EDNS(udpPayloadSize: 4096))
            guard case .forward(let forwarded) = resolver.respond(to: query.serialized()) else {
                Issue.record("\(outside) should go upstream")
                continue
            }
            #expect(forwarded == query)
            #expect(resolver.decide(query) == .forward)
        }
    }

    @Test func ednsIsEchoedAndBounded() throws {
        let reply = try ask("web.default.svc.cluster.local", .a, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        #expect(reply.edns == EDNS(udpPayloadSize: 1232, dnssecOK: true))
        let badVersion = try ask("web.default.svc.cluster.local", .a, edns: EDNS(version: 1))
        #expect(badVersion.responseCode == .badVersion)
        #expect(badVersion.answers.isEmpty)
    }

    @Test func bigAnswersAreTruncatedOverUDPOnly() throws {
        let endpoints: [JSON] = (1...100).map { ["addresses": [.string("10.42.3.\($0)")]] }
        let resolver = ClusterDNSResolver(
            snapshot: ClusterDNSSnapshot(
                services: [Self.service("big", ports: [], clusterIP: "None")],
                endpointSlices: [
                    [
                        "metadata": ["namespace": "default", "labels": ["kubernetes.io/service-name": "big"]],
                        "addressType": "IPv4", "endpoints": .array(endpoints),
                    ]
                ]))
        let query = DNSMessage.query(id: 1, DNSQuestion(name: name("big.default.svc.cluster.local"), type: .a))
        guard case .reply(let udp) = resolver.respond(to: query.serialized(), over: .udp),
            case .reply(let tcp) = resolver.respond(to: query.serialized(), over: .tcp)
        else {
            Issue.record("no replies")
            return
        }
        #expect(udp.count <= 512)
        #expect(try DNSMessage(parsing: udp).isTruncated)
        let full = try DNSMessage(parsing: tcp)
        #expect(!full.isTruncated)
        #expect(full.answers.count == 100)
    }

    @Test func otherOpcodesClassesAndTransfersAreNotAnswered() throws {
        var notify = DNSMessage.query(id: 3, DNSQuestion(name: name("cluster.local"), type: .soa))
        notify.opcode = .notify
        guard case .reply(let bytes) = resolver.respond(to: notify.serialized()) else {
            Issue.record("no reply")
            return
        }
        let notImplemented = try DNSMessage(parsing: bytes)
        #expect(notImplemented.responseCode == .notImplemented)
        #expect(notImplemented.id == 3)
        #expect(notImplemented.opcode == .notify)

        #expect(try ask("cluster.local", .axfr).responseCode == .refused)
        let chaos = DNSMessage.query(
            id: 4, DNSQuestion(name: name("web.default.svc.cluster.local"), type: .txt, recordClass: .chaos))
        guard case .answer(let refused) = resolver.decide(chaos) else {
            Issue.record("no answer")
            return
        }
        #expect(refused.responseCode == .refused)
    }

    @Test func malformedPacketsGetFORMERROrNothing() throws {
        #expect(resolver.respond(to: []) == .drop)
        #expect(resolver.respond(to: hex("1234 0100 0001 0000 0000")) == .drop)
        // A response is never answered.
        let reply = DNSMessage.query(id: 1, DNSQuestion(name: name("web.default.svc.cluster.local"), type: .a)).reply()
        #expect(resolver.respond(to: reply.serialized()) == .drop)
        // A readable header with a broken body: FORMERR with the id echoed.
        guard case .reply(let bytes) = resolver.respond(to: hex("abcd 0100 0001 0000 0000 0000 c00c 0001 0001")) else {
            Issue.record("no FORMERR")
            return
        }
        let formerr = try DNSMessage(parsing: bytes)
        #expect(formerr.id == 0xABCD)
        #expect(formerr.responseCode == .formatError)
        #expect(formerr.recursionDesired)
        // Two questions are well-formed but not a query we answer.
        var two = DNSMessage.query(id: 2, DNSQuestion(name: name("a.cluster.local"), type: .a))
        two.questions.append(two.questions[0])
        guard case .formatError(let twoReply) = resolver.decide(two) else {
            Issue.record("expected FORMERR")
            return
        }
        #expect(twoReply.responseCode == .formatError)
        #expect(twoReply.id == 2)
    }

    @Test func anotherClusterDomainIsHonoured() throws {
        let snapshot = ClusterDNSSnapshot(services: Self.services, endpointSlices: [], clusterDomain: "Corp.Example.")
        let query = DNSMessage.query(id: 1, DNSQuestion(name: name("web.default.svc.corp.example"), type: .a))
        guard case .answer(let reply) = ClusterDNSResolver(snapshot: snapshot).decide(query) else {
            Issue.record("no answer")
            return
        }
        #expect(data(reply) == [.a(IPv4Address("10.43.0.10")!)])
        #expect(
            ClusterDNSResolver(snapshot: snapshot).decide(
                DNSMessage.query(id: 1, DNSQuestion(name: name("web.default.svc.cluster.local"), type: .a))) == .forward
        )
    }

    @Test func upstreamAnswersAreRelayedWithTheClientsIdAndLimit() throws {
        let query = DNSMessage.query(
            id: 0x0A0B, DNSQuestion(name: name("Example.COM"), type: .a), edns: EDNS(udpPayloadSize: 4096))
        var upstream = DNSMessage.query(id: 0x7777, DNSQuestion(name: name("example.com"), type: .a)).reply()
        upstream.recursionAvailable = true
        upstream.edns = EDNS(udpPayloadSize: 65000)
        upstream.answers = (0..<200).map {
            DNSResourceRecord(name: name("example.com"), ttl: 60, data: .a(IPv4Address(UInt32($0))))
        }
        let relayed = try DNSMessage(parsing: resolver.reply(relaying: upstream, to: query))
        #expect(relayed.id == 0x0A0B)
        #expect(relayed.questions.first?.name.description == "Example.COM.")
        #expect(relayed.edns?.udpPayloadSize == 1232)
        #expect(relayed.isTruncated)
        #expect(try DNSMessage(parsing: resolver.reply(relaying: upstream, to: query, over: .tcp)).answers.count == 200)
        let failure = try DNSMessage(parsing: resolver.serverFailure(for: query))
        #expect(failure.responseCode == .serverFailure)
        #expect(failure.id == 0x0A0B)
    }
}
