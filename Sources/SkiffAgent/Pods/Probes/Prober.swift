/// The outcome of one probe.
public enum ProbeResult: Sendable, Equatable {
    case success
    case failure(String)
}

/// Network probes (httpGet, tcpSocket) behind a seam: `NetworkProber` connects for real; tests hand in a fake.
public protocol Prober: Sendable {
    /// GET `scheme://host:port/path`; 2xx and 3xx succeed.
    func httpGet(host: String, port: Int, path: String, scheme: String, headers: [(String, String)], timeout: Duration)
        async
        -> ProbeResult
    /// Opens (and closes) a TCP connection.
    func tcpSocket(host: String, port: Int, timeout: Duration) async -> ProbeResult
}
