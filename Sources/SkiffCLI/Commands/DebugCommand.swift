import ArgumentParser
import Foundation
import Logging
import SkiffStore

/// Developer tools used by tests and benchmarks; hidden from help.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Developer tools.", shouldDisplay: false, subcommands: [StoreLoad.self])

    /// Writes to a store from many concurrent writers and prints one line per acknowledged write to stdout, unbuffered:
    /// `<revision> <key> <value>`. The crash test kills it mid-flight and checks every printed write survived.
    struct StoreLoad: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "store-load")

        @Option var db: String
        @Option var writers = 16
        @Option(help: "Updates per key after its create.") var updates = 3
        @Option(help: "Keys per writer; 0 runs until killed.") var keys = 0
        @Option(help: "Key namespace, so repeated runs on one database do not collide.") var run =
            "r\(UInt32.random(in: 0...UInt32.max))"

        func run() async throws {
            let store = try SQLiteStore(path: db, logger: Logger(label: "store-load"))
            defer { store.close() }
            let output = FileHandle.standardOutput
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var index = 0
                        while keys == 0 || index < keys {
                            let key = "/load/\(run)/\(writer)/\(index)"
                            var kv = try await store.create(key, value: Array("\(writer).\(index).0".utf8))
                            output.write(Data("\(kv.modRevision) \(key) \(writer).\(index).0\n".utf8))
                            for update in 0..<updates {
                                let value = "\(writer).\(index).\(update + 1)"
                                kv = try await store.update(
                                    key, value: Array(value.utf8), expectedRevision: kv.modRevision)
                                output.write(Data("\(kv.modRevision) \(key) \(value)\n".utf8))
                            }
                            index += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
