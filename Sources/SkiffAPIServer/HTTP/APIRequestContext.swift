import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage, the channel (its TLS peer certificate) and the connection's
/// `APIConnection`.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?
    /// The client connection the request came on (set by `APIHTTPChannel`); nil for requests made in tests.
    var connection: APIConnection?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies above 3 MiB are refused with 413, as upstream does.
    public var maxUploadSize: Int { APIResponder.maxBodySize }
}
