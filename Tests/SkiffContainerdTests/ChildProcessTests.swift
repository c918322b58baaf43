import Foundation
import Testing

@testable import SkiffContainerd

struct ChildProcessTests {
    /// A descriptor the parent holds without O_CLOEXEC (as NIO's listening socket) must not reach the child:
    /// containerd would hand it on to its shims, which outlive the agent and kept its port bound.
    @Test func theChildInheritsOnlyItsStandardStreams() async throws {
        let leaked = open("/dev/null", O_RDONLY)  // no O_CLOEXEC
        #expect(leaked > 2)
        defer { close(leaked) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-fds-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("fds").path
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: output))
        let child = try ChildProcess(executable: "/bin/ls", arguments: ["/proc/self/fd"], stdout: handle)
        #expect(await child.exitCode() == 0)
        try handle.close()
        let fds = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        // 0-2, and the directory ls itself opened to list them.
        #expect(!fds.contains(leaked), "fds in the child: \(fds)")
        #expect(fds.filter { $0 > 2 }.count <= 1, "fds in the child: \(fds)")
    }
}
