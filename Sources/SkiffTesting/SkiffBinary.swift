import Foundation

/// Locates the built `skiff` executable for tests that run it as a child process.
public enum SkiffBinary {
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// `$SKIFF_BIN`, else `skiff` next to the test bundle (both live in `.build/<config>/`).
    public static func path() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["SKIFF_BIN"] {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw NotFound(description: "SKIFF_BIN=\(explicit) is not an executable")
            }
            return explicit
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("skiff").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw NotFound(description: "built skiff binary not found; run `swift build` first or set SKIFF_BIN")
    }
}
