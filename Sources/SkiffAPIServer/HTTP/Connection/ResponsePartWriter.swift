import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Hands response parts from the connection's task to its `APIHTTPHandler`. A body of known length goes out with one
/// flush at its end; a streamed one (watch events) is flushed part by part.
struct ResponsePartWriter: ResponseBodyWriter {
    let http: NIOLoopBound<APIHTTPHandler>
    let flushEveryWrite: Bool

    func send(_ part: HTTPServerResponsePart, flush: Bool) async throws {
        let loop = http.eventLoop
        let wait: EventLoopFuture<Void>?
        if loop.inEventLoop {
            wait = try http.value.send(part, flush: flush)
        } else {
            let http = self.http
            wait = try await loop.submit { try http.value.send(part, flush: flush) }.get()
        }
        try await wait?.get()
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await send(.body(.byteBuffer(buffer)), flush: flushEveryWrite)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await send(.end(trailingHeaders.map(HTTPHeaders.init)), flush: true)
    }
}
