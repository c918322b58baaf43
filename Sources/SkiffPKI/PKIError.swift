/// An error from the PKI module: what went wrong (`code`), a readable `message`, the file involved and the cause.
public struct PKIError: Error, Sendable, CustomStringConvertible {
    /// A broad category of PKI failure, stable enough to switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidPEM
            case invalidKey
            case keyMismatch
            case incompleteKeyPair
            case invalidCSR
            case invalidArgument
            case invalidToken
            case caHashMismatch
            case certificateCreationFailed
            case verificationFailed
            case fileReadFailed
            case fileWriteFailed
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// A PEM document could not be decoded into the expected certificate or key.
        public static let invalidPEM = Code(.invalidPEM)
        /// A private key is malformed or of an unsupported kind.
        public static let invalidKey = Code(.invalidKey)
        /// A certificate and the private key stored beside it do not belong together.
        public static let keyMismatch = Code(.keyMismatch)
        /// One half of a certificate/key pair exists on disk and the other does not.
        public static let incompleteKeyPair = Code(.incompleteKeyPair)
        /// A certificate signing request is malformed or its self-signature does not verify.
        public static let invalidCSR = Code(.invalidCSR)
        /// A caller-supplied value (name, IP address, validity) is unusable.
        public static let invalidArgument = Code(.invalidArgument)
        /// A node token string is malformed.
        public static let invalidToken = Code(.invalidToken)
        /// A CA bundle does not match the hash pinned in a node token.
        public static let caHashMismatch = Code(.caHashMismatch)
        /// Building or signing a certificate failed.
        public static let certificateCreationFailed = Code(.certificateCreationFailed)
        /// A presented certificate chain is not trusted or not fit for the purpose.
        public static let verificationFailed = Code(.verificationFailed)
        /// A file could not be read.
        public static let fileReadFailed = Code(.fileReadFailed)
        /// A file, directory or link could not be written.
        public static let fileWriteFailed = Code(.fileWriteFailed)

        public var description: String { self.value.rawValue }
    }

    /// The category of the failure.
    public var code: Code
    /// A human-readable explanation, naming the file when one is involved.
    public var message: String
    /// The file the failure is about, if any.
    public var path: String?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let cause = self.cause {
            text += " (cause: \(cause))"
        }
        return text
    }

    /// Returns a copy that names `path`, prefixing the message with it unless it is already there.
    func naming(_ path: String) -> PKIError {
        var copy = self
        copy.path = path
        if !copy.message.contains(path) {
            copy.message = "\(path): \(copy.message)"
        }
        return copy
    }
}

/// A failed system call, carried as the `cause` of a file error.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name of the call that failed, e.g. `open`.
    public var call: String
    /// The `errno` value it set.
    public var errno: Int32

    /// Creates a system call error.
    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(self.call) failed: \(describeErrno(self.errno)) (errno \(self.errno))"
    }
}
