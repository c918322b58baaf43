import Logging

enum LogSetup {
    /// Sets up logging to stderr once per process and returns the root logger.
    static func bootstrap(debug: Bool) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = debug ? .debug : .info
            return handler
        }
        return Logger(label: "skiff")
    }
}

/// swift-log's `StreamLogHandler` renders its metadata to text on every metadata change. The HTTP server tags a logger
/// per request (Hummingbird adds `hb.request.id`), so every request paid for that rendering, logged or not. This
/// keeps metadata as set and renders it only when a message is written.
struct DeferredMetadataLogHandler: LogHandler {
    private var base: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ base: StreamLogHandler) {
        self.base = base
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = base
        handler.metadata = metadata
        handler.log(event: event)
    }
}
