import Foundation
import SkiffTesting
import Testing

/// `skiff server` on a database file that is not a skiff database: it stops with an error naming the file and a
/// non-zero exit status, and the file is left exactly as it was.
@Suite struct CorruptDatabaseTests {
    @Test(arguments: [
        Array("this is a text file, not a database".utf8),
        Array("SQLite format 3\0".utf8) + Array(repeating: 0xAB, count: 4096),
    ])
    func serverRefusesADamagedDatabaseAndLeavesItUntouched(content: [UInt8]) throws {
        let directory = try TemporaryDirectory("skiff-corrupt")
        defer { directory.remove() }
        let dataDir = directory.file("data")
        try FileManager.default.createDirectory(atPath: dataDir + "/server/db", withIntermediateDirectories: true)
        let database = dataDir + "/server/db/state.db"
        try Data(content).write(to: URL(fileURLWithPath: database))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SkiffBinary.path())
        process.arguments = [
            "server", "--disable-agent", "--data-dir", dataDir, "--bind-address", "127.0.0.1",
            "--https-listen-port", String(Int.random(in: 20000..<30000)), "--write-kubeconfig",
            directory.file("kubeconfig"),
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A server that accepted the file would run on: stop it, and the checks below fail.
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if process.isRunning { process.terminate() } }
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus != 0)
        #expect(output.contains(database), "the error names the file: \(output.suffix(300))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == Data(content), "the file is untouched")
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"))
    }
}
