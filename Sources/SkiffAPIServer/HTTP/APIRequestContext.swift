import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage plus the connection, from which the TLS peer certificate is read.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies above 3 MiB are refused with 413, as upstream does.
    public var maxUploadSize: Int { APIResponder.maxBodySize }
}
