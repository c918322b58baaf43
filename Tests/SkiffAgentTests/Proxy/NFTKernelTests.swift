import Foundation
import SkiffModel
import Testing

@testable import SkiffAgent

/// Loads the scripts into a real kernel, each test in a fresh network namespace. Needs root, `nft` and `ip`.
@Suite(.enabled(if: KernelNamespace.available, "needs root with nft and ip (iproute2) on PATH"))
struct NFTKernelTests {
    typealias F = ProxyFixtures

    @Test func fullThenIncrementalScriptsLoad() throws {
        let namespace = try KernelNamespace()
        defer { namespace.remove() }
        let (services, slices) = F.manyServices(5)
        let noEndpoints = F.service(
            "idle", type: "NodePort", clusterIP: "10.43.9.1", ports: [F.port(80, nodePort: 30001)])
        let first = NFTRuleset(
            state: F.state(services: services + [noEndpoints], slices: slices, serviceCIDR: F.serviceCIDR))
        try namespace.nft(NFTRuleset.fullScript(first))
        let listed = try namespace.nft("list table ip skiff-proxy\n")
        #expect(listed.contains("meta l4proto tcp dnat to 10.42.1.3:8080"))
        #expect(listed.contains("10.43.9.1 . tcp . 80 : goto reject-chain"))

        // One more endpoint for svc-2, svc-4 loses all of its endpoints, and the idle Service gets one.
        var changed = slices
        changed[2]["endpoints"].append(F.endpoint("10.42.7.7"))
        changed[4]["endpoints"] = []
        changed.append(
            F.slice("idle-1", service: "idle", ports: [F.slicePort(8080)], endpoints: [F.endpoint("10.42.8.8")]))
        let second = NFTRuleset(
            state: F.state(services: services + [noEndpoints], slices: changed, serviceCIDR: F.serviceCIDR))
        let update = try #require(NFTRuleset.updateScript(from: first, to: second))
        try namespace.nft(update)
        let after = try namespace.nft("list table ip skiff-proxy\n")
        #expect(after.contains("meta l4proto tcp dnat to 10.42.7.7:8080"))
        #expect(after.contains("meta l4proto tcp dnat to 10.42.8.8:8080"))
        #expect(!after.contains("dnat to 10.42.1.5:8080"))
        #expect(after.contains("10.43.1.5 . tcp . 80 : goto reject-chain"))
        #expect(!after.contains("10.43.9.1 . tcp . 80 : goto reject-chain"))
        let fresh = try Self.fresh(second)
        #expect(KernelNamespace.normalized(after) == KernelNamespace.normalized(fresh))

        try namespace.nft(NFTRuleset.uninstallScript)
        try namespace.nft(NFTRuleset.uninstallScript)  // and again, with no table left
        #expect(try !namespace.nft("list tables\n").contains("skiff-proxy"))
    }

    /// Random changes one after another: every update must apply, and leave what a full load would.
    @Test func randomUpdateSequenceMatchesAFreshLoad() throws {
        let namespace = try KernelNamespace()
        defer { namespace.remove() }
        var generator = SplitMix(seed: 7)
        let (baseServices, baseSlices) = F.manyServices(12, endpoints: 2)
        var services = baseServices
        var slices = baseSlices
        var current = NFTRuleset(state: F.state(services: services, slices: slices))
        try namespace.nft(NFTRuleset.fullScript(current))
        for step in 0..<25 {
            let index = Int(generator.next() % 12)
            switch generator.next() % 5 {
            case 0: slices[index]["endpoints"].append(F.endpoint("10.42.20.\(step + 1)"))
            case 1: slices[index]["endpoints"] = []
            case 2:
                services[index]["spec"]["type"] = "NodePort"
                services[index]["spec"]["ports"][0]["nodePort"] = .int(30_100 + index)
                services[index]["spec"]["externalTrafficPolicy"] = generator.next() % 2 == 0 ? "Local" : "Cluster"
            case 3: services[index]["spec"]["sessionAffinity"] = generator.next() % 2 == 0 ? "ClientIP" : "None"
            default: slices[index]["endpoints"] = baseSlices[index]["endpoints"]
            }
            let next = NFTRuleset(state: F.state(services: services, slices: slices))
            if let update = NFTRuleset.updateScript(from: current, to: next) {
                try namespace.nft(update)
            }
            current = next
        }
        let listed = try namespace.nft("list table ip skiff-proxy\n")
        let fresh = try Self.fresh(current)
        #expect(KernelNamespace.normalized(listed) == KernelNamespace.normalized(fresh))
    }

    @Test func largeScriptsPassTheKernelCheck() throws {
        let namespace = try KernelNamespace()
        defer { namespace.remove() }
        let ports = (0..<1_000).map { F.port("p\($0)", 1_000 + $0, nodePort: 30_000 + $0) }
        let wide = F.state(
            services: [F.service("wide", type: "NodePort", clusterIP: "10.43.0.50", ports: ports)],
            slices: [
                F.slice(
                    "wide-1", service: "wide", ports: (0..<1_000).map { F.slicePort("p\($0)", 2_000 + $0) },
                    endpoints: [F.endpoint("10.42.0.5"), F.endpoint("10.42.0.6")])
            ])
        try namespace.nft(NFTRuleset.fullScript(NFTRuleset(state: wide)), check: true)
        let big = F.state(
            services: [F.service("big", clusterIP: "10.43.0.51", ports: [F.port(80)], affinityTimeout: .some(nil))],
            slices: [
                F.slice(
                    "big-1", service: "big", ports: [F.slicePort(80)],
                    endpoints: (0..<5_000).map { F.endpoint("10.42.\($0 / 250).\(1 + $0 % 250)") })
            ])
        try namespace.nft(NFTRuleset.fullScript(NFTRuleset(state: big)), check: true)
    }

    /// Real connections in the namespace: a cluster IP and a node port reach the endpoint through DNAT; a port
    /// without endpoints, a node port without endpoints and an unused service address are refused at once.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs /usr/bin/python3"))
    func connectionsAreDNATedOrRefused() throws {
        let namespace = try KernelNamespace()
        defer { namespace.remove() }
        // The node is 10.42.0.1 and the endpoint 10.42.0.5, both on loopback; the service range routes there too.
        for command in [
            "link set lo up", "addr add 10.42.0.1/24 dev lo", "addr add 10.42.0.5/32 dev lo",
            "route add 10.43.0.0/16 dev lo src 10.42.0.1",
        ] {
            try namespace.ip(command)
        }
        let state = F.state(
            services: [
                F.service("web", type: "NodePort", clusterIP: "10.43.0.20", ports: [F.port(80, nodePort: 30080)]),
                F.service("idle", type: "NodePort", clusterIP: "10.43.0.21", ports: [F.port(80, nodePort: 30081)]),
            ],
            slices: [
                F.slice("web-1", service: "web", ports: [F.slicePort(8080)], endpoints: [F.endpoint("10.42.0.5")])
            ],
            serviceCIDR: F.serviceCIDR)
        try namespace.nft(NFTRuleset.fullScript(NFTRuleset(state: state)))
        let output = try KernelNamespace.run(
            "/usr/sbin/ip", ["netns", "exec", namespace.name, "/usr/bin/python3", "-c", Self.client])
        #expect(
            output.split(separator: "\n") == [
                "10.43.0.20:80 hello", "10.43.0.21:80 refused", "10.42.0.1:30080 hello", "10.42.0.1:30081 refused",
                "10.43.0.99:80 refused",
            ])
    }

    /// Listens on the endpoint and connects to each target, printing what came back or `refused`.
    static let client = """
        import socket
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("10.42.0.5", 8080))
        server.listen(8)
        for address, port in [("10.43.0.20", 80), ("10.43.0.21", 80), ("10.42.0.1", 30080), ("10.42.0.1", 30081),
                              ("10.43.0.99", 80)]:
            try:
                client = socket.create_connection((address, port), timeout=3)
            except ConnectionRefusedError:
                print("%s:%d refused" % (address, port))
                continue
            except OSError as error:
                print("%s:%d %s" % (address, port, error))
                continue
            connection, _ = server.accept()
            connection.sendall(b"hello")
            print("%s:%d %s" % (address, port, client.recv(5).decode()))
            client.close()
            connection.close()
        """

    /// The listing of `ruleset` loaded by a full script into a namespace of its own.
    static func fresh(_ ruleset: NFTRuleset) throws -> String {
        let namespace = try KernelNamespace()
        defer { namespace.remove() }
        try namespace.nft(NFTRuleset.fullScript(ruleset))
        return try namespace.nft("list table ip skiff-proxy\n")
    }
}

/// A throwaway network namespace, and `nft` run inside it.
struct KernelNamespace {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let available: Bool = {
        guard getuid() == 0 else { return false }
        return ["/usr/sbin/nft", "/usr/sbin/ip"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let name = "skiffproxytest-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        try Self.run("/usr/sbin/ip", ["netns", "add", name])
    }

    func remove() {
        _ = try? Self.run("/usr/sbin/ip", ["netns", "delete", name])
    }

    /// Runs `ip <command>` in the namespace.
    func ip(_ command: String) throws {
        try Self.run("/usr/sbin/ip", ["-n", name] + command.split(separator: " ").map(String.init))
    }

    /// Runs `nft -f -` (or `nft -c -f -`) in the namespace with `script` on stdin; returns its output.
    @discardableResult
    func nft(_ script: String, check: Bool = false) throws -> String {
        try Self.run(
            "/usr/sbin/ip", ["netns", "exec", name, "nft"] + (check ? ["-c"] : []) + ["-f", "-"], input: script)
    }

    /// A listing as a sorted bag of its pieces, so that element and chain order do not matter.
    static func normalized(_ listing: String) -> [String] {
        listing.split(whereSeparator: { "{},\n".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .sorted()
    }

    @discardableResult
    static func run(_ path: String, _ arguments: [String], input: String = "") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        // Errors go to a file: reading two pipes in turn could block on the one not being read.
        let errorsURL = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        let errorsHandle = try FileHandle(forWritingTo: errorsURL)
        defer {
            try? errorsHandle.close()
            try? FileManager.default.removeItem(at: errorsURL)
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = errorsHandle
        try process.run()
        // Write from another thread while this one reads, so neither pipe fills up.
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorsURL)) ?? Data()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(([path] + arguments).joined(separator: " ")) exited \(process.terminationStatus): "
                    + String(decoding: errors.prefix(2_000), as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A small seeded generator, so a failing sequence repeats.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
