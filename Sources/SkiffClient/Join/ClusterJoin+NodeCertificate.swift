import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SkiffModel

extension ClusterJoin {
    /// Asks the server to sign this node's certificate request (`POST /v1-skiff/node-certificate`, authenticated by
    /// the token's secret, over TLS trusting only the pinned CA); answers the certificate chain, PEM. The node name is
    /// guarded by `password`: a name another machine registered is refused, with the server's reason. A server that
    /// cannot be reached is retried with backoff.
    ///
    /// With `presenting` (the node's current certificate chain and key, PEM), the request is authenticated by that
    /// certificate instead of the token: a node renews its certificate with it, even after its bootstrap token has
    /// expired or been deleted.
    public func requestNodeCertificate(
        caPEM: [UInt8], node: String, password: String, requestPEM: String,
        presenting current: (certificatePEM: [UInt8], keyPEM: [UInt8])? = nil
    ) async throws(ClientError) -> String {
        try await retrying("get the node certificate") { () async throws(JoinAttemptError) -> String in
            try await requestNodeCertificateOnce(
                caPEM: caPEM, node: node, password: password, requestPEM: requestPEM, presenting: current)
        }
    }

    func requestNodeCertificateOnce(
        caPEM: [UInt8], node: String, password: String, requestPEM: String,
        presenting current: (certificatePEM: [UInt8], keyPEM: [UInt8])?
    ) async throws(JoinAttemptError) -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        tls.shutdownTimeout = .milliseconds(250)
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(caPEM))
        } catch {
            throw .fatal(ClientError(.invalidCredentials, "cannot load the server CA", cause: error))
        }
        if let current {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(current.certificatePEM).map {
                    .certificate($0)
                }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: current.keyPEM, format: .pem))
            } catch {
                throw .fatal(
                    ClientError(.invalidCredentials, "cannot load the node's current certificate", cause: error))
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: .seconds(3)))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
            backgroundActivityLogger: logger)
        let result: Result<String, JoinAttemptError>
        do {
            var request = HTTPClientRequest(url: server + "/v1-skiff/node-certificate")
            request.method = .POST
            request.headers.add(name: "User-Agent", value: "skiff-agent")
            if current == nil { request.headers.add(name: "Authorization", value: "Bearer \(token.secret)") }
            request.headers.add(name: "X-Skiff-Node-Name", value: node)
            request.headers.add(name: "X-Skiff-Node-Password", value: password)
            request.headers.add(name: "Content-Type", value: "application/pkcs10")
            request.body = .bytes(ByteBuffer(string: requestPEM))
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            switch response.status.code {
            case 200..<300:
                result = .success(String(decoding: bytes, as: UTF8.self))
            case 429, 500...:
                result = .failure(.retry(APIError(httpStatus: Int(response.status.code), body: bytes)))
            case 401:
                let error = APIError(httpStatus: 401, body: bytes)
                result = .failure(
                    .fatal(
                        ClientError(
                            .unauthorized,
                            current == nil
                                ? "the server refused the token (wrong, expired or deleted): \(error.message)"
                                : "the server refused the node's certificate: \(error.message)")))
            case 404:
                result = .failure(
                    .fatal(ClientError(.unexpectedResponse, "\(server) issues no node certificates (an older server)")))
            default:
                let error = APIError(httpStatus: Int(response.status.code), body: bytes)
                result = .failure(
                    .fatal(
                        ClientError(
                            .unauthorized, "the server refused a certificate for node \"\(node)\": \(error.message)")))
            }
        } catch {
            result = .failure(.retry(error))
        }
        try? await client.shutdown()
        return try result.get()
    }
}
