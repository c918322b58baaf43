import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Running another tool in skiff's place (`skiff kubectl`, `skiff ctr`): found in PATH, then `execv`, so its
/// signals, terminal and exit status are the caller's.
enum Passthrough {
    /// The first executable `name` in `path` that is not skiff itself: install scripts link kubectl, crictl and
    /// ctr to skiff (multicall), and a link found first in PATH would otherwise run skiff again, forever.
    static func find(_ name: String, path: String, excluding own: String? = ownExecutable) -> String? {
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            if let own, resolved(candidate) == own { continue }
            return candidate
        }
        return nil
    }

    /// The running binary's real path.
    static var ownExecutable: String? { resolved("/proc/self/exe") }

    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Replaces this process with `argv[0]`; returns only by throwing.
    static func exec(_ argv: [String]) throws -> Never {
        let cArguments = argv.map { strdup($0) } + [nil]
        execv(argv[0], cArguments)
        throw ValidationError("cannot run \(argv[0]): \(String(cString: strerror(errno)))")
    }
}
