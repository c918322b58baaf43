/// The token files in `<data-dir>/server/`: `token` (0600, the full token and a newline) and `node-token`, a
/// symbolic link to `token`, as k3s writes them.
public struct NodeTokenFile: Sendable, Hashable {
    /// The server directory, normally `<data-dir>/server`.
    public let serverDirectory: String

    /// Files under `serverDirectory`.
    public init(serverDirectory: String) {
        self.serverDirectory = serverDirectory
    }

    /// Files under `<dataDirectory>/server`.
    public init(dataDirectory: String) {
        self.serverDirectory = FileSystem.join(dataDirectory, "server")
    }

    /// `<server>/token`.
    public var tokenPath: String { FileSystem.join(self.serverDirectory, "token") }
    /// `<server>/node-token`.
    public var nodeTokenPath: String { FileSystem.join(self.serverDirectory, "node-token") }

    /// Reads and parses `token`, or returns `nil` if it does not exist; a malformed file is an error naming it.
    public func read() throws(PKIError) -> NodeToken? {
        guard let text = try FileSystem.readTextIfExists(self.tokenPath) else {
            return nil
        }
        do {
            return try NodeToken(parsing: text)
        } catch {
            throw error.naming(self.tokenPath)
        }
    }

    /// Writes `token` (mode 0600, trailing newline) and points `node-token` at it.
    public func write(_ token: NodeToken) throws(PKIError) {
        try FileSystem.makeDirectories(self.serverDirectory, mode: 0o700)
        try FileSystem.writeAtomically(self.tokenPath, contents: Array((token.text + "\n").utf8), mode: 0o600)
        // Relative, so the link survives moving the data directory.
        try FileSystem.ensureSymlink(at: self.nodeTokenPath, target: "token")
    }

    /// The server's token on each start: pins `caPEM`; keeps the stored secret unless `password` is given, and a new
    /// random one when there is neither. Writes the files only when their content changes.
    public func loadOrCreate(caPEM: some Collection<UInt8>, password: String? = nil) throws(PKIError) -> NodeToken {
        let existing = try self.read()
        let secret = password ?? existing?.password
        let token = try NodeToken(caPEM: caPEM, password: secret)
        if existing != token || FileSystem.readLink(self.nodeTokenPath) != "token" {
            try self.write(token)
        }
        return token
    }
}
