/// Why containerd could not be started or reached.
public struct ContainerdError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The `containerd` (or `ctr`) binary is not in PATH.
        case notInstalled
        /// The data dir, config file or log file could not be written, or the process could not be spawned.
        case startFailed
        /// containerd did not report `RuntimeReady` in time.
        case notReady
        /// The supervisor stopped before containerd became ready.
        case stopped
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The one-line hint for a missing package.
    public static func notInstalled(_ binary: String) -> ContainerdError {
        ContainerdError(
            .notInstalled,
            "\(binary) not found in PATH: install it with apt-get install containerd runc containernetworking-plugins")
    }

    public var description: String { message }
}
