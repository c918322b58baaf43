import Foundation
import Logging
import SkiffClient
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffCLI

/// `Type=notify`: the datagram systemd reads, and READY=1 only once the API listens and the node is Ready.
@Suite struct SystemdNotificationTests {
    /// A datagram socket standing in for systemd's: bound at `path` (or the abstract `@name`), non-blocking reads.
    final class FakeSystemd: Sendable {
        let fd: Int32

        init(binding path: String) throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            let abstract = bytes.first == UInt8(ascii: "@")
            if abstract { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit { close(fd) }

        /// The next datagram, if one is waiting.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
        }
    }

    @Test func datagramsReachAPathAndAnAbstractSocket() throws {
        let directory = try TemporaryDirectory("skiff-notify")
        defer { directory.remove() }
        let path = directory.file("notify")
        let systemd = try FakeSystemd(binding: path)
        try SystemdNotifier(socketPath: path).send(["READY=1", "STATUS=up"])
        #expect(systemd.receive() == "READY=1\nSTATUS=up")

        let abstractName = "@skiff-test-\(UUID().uuidString.prefix(8))"
        let abstract = try FakeSystemd(binding: abstractName)
        try SystemdNotifier(socketPath: abstractName).send(["STOPPING=1"])
        #expect(abstract.receive() == "STOPPING=1")

        #expect(throws: SystemdNotifier.SendError.self) {
            try SystemdNotifier(socketPath: directory.file("nobody")).send(["READY=1"])
        }
    }

    @Test func readyOnlyOnceListeningAndTheNodeIsReady() async throws {
        let directory = try TemporaryDirectory("skiff-notify")
        defer { directory.remove() }
        let systemd = try FakeSystemd(binding: directory.file("notify"))
        let fake = FakeClusterAPI()
        fake.put(
            "nodes",
            ["metadata": ["name": "edge-1"], "status": ["conditions": [["type": "Ready", "status": "False"]]]])
        let nodeReads = Atomic<Int>(0)
        let api = InterceptingClusterAPI(base: fake) { call in
            if call.verb == .get, call.type.resource == "nodes" { nodeReads.add(1, ordering: .relaxed) }
        }
        let listening = Latch()
        let notification = ReadinessNotification(
            notifier: SystemdNotifier(socketPath: directory.file("notify")), listening: listening, node: "edge-1",
            api: api, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await notification.run() }
            listening.open()
            // Listening, the node NotReady: read twice (so the moment passed), and nothing sent.
            for _ in 0..<500 where nodeReads.load(ordering: .relaxed) < 2 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(nodeReads.load(ordering: .relaxed) >= 2)
            #expect(systemd.receive() == nil)
            fake.put(
                "nodes",
                ["metadata": ["name": "edge-1"], "status": ["conditions": [["type": "Ready", "status": "True"]]]])
            var message: String?
            for _ in 0..<500 where message == nil {
                message = systemd.receive()
                if message == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(message == "READY=1\nSTATUS=node edge-1 is Ready")
            group.cancelAll()
        }
    }
}
