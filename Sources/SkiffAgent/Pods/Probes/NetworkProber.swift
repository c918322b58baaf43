import AsyncHTTPClient
import NIOCore
import NIOPosix

/// Probes over the network with AsyncHTTPClient (redirects not followed: a 3xx is a success, as in kubelet) and a
/// plain NIO connect for tcpSocket.
public struct NetworkProber: Prober {
    /// One client for the process, like `HTTPClient.shared`, but without following redirects.
    private static let client = HTTPClient(
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    public init() {}

    public func httpGet(
        host: String, port: Int, path: String, scheme: String, headers: [(String, String)], timeout: Duration
    ) async -> ProbeResult {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var request = HTTPClientRequest(
            url: "\(scheme.lowercased())://\(hostPart):\(port)\(path.hasPrefix("/") ? path : "/" + path)")
        request.headers.add(name: "User-Agent", value: "kube-probe/1.29")
        request.headers.add(name: "Accept", value: "*/*")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        do {
            let response = try await Self.client.execute(request, timeout: .seconds(max(1, timeout.components.seconds)))
            let code = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 10 * 1024)
            if (200..<400).contains(code) { return .success }
            return .failure("HTTP probe failed with statuscode: \(code)")
        } catch {
            return .failure("Get \"\(scheme.lowercased())://\(hostPart):\(port)\(path)\": \(error)")
        }
    }

    public func tcpSocket(host: String, port: Int, timeout: Duration) async -> ProbeResult {
        let seconds = max(1, timeout.components.seconds)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(seconds))
                .connect(host: host, port: port).get()
            try? await channel.close().get()
            return .success
        } catch {
            return .failure("dial tcp \(host):\(port): \(error)")
        }
    }
}
