/// Exec, attach and port-forward sessions over a tunnel stream: the channels of Kubernetes' stream protocols
/// (`channel.k8s.io`: 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize; 255 the v5 close signal) carried as
/// `[channel u8][length u32 big-endian][payload]` records, since a tunnel stream is a byte stream with no message
/// boundaries. A WebSocket message `[channel][payload]` maps to one record and back.
public enum StreamChannels {
    /// The largest payload a record may carry.
    public static let maximumPayload = 1 << 20

    public static func encode(channel: UInt8, _ payload: some Collection<UInt8>) -> [UInt8] {
        var record: [UInt8] = [channel]
        record.reserveCapacity(5 + payload.count)
        let length = UInt32(payload.count)
        record += [
            UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
            UInt8(truncatingIfNeeded: length),
        ]
        record += payload
        return record
    }

    /// Splits a byte stream back into records, across chunk boundaries.
    public struct Decoder: Sendable {
        var buffer: [UInt8] = []

        public init() {}

        /// The records completed by `chunk`; a record over `maximumPayload` is a protocol error.
        public mutating func feed(_ chunk: [UInt8]) throws(TunnelError) -> [(channel: UInt8, payload: [UInt8])] {
            buffer += chunk
            var records: [(channel: UInt8, payload: [UInt8])] = []
            var offset = 0
            while buffer.count - offset >= 5 {
                let length = buffer[(offset + 1)..<(offset + 5)].reduce(0) { $0 << 8 | Int($1) }
                guard length <= StreamChannels.maximumPayload else {
                    throw TunnelError(
                        "a stream record of \(length) bytes, over the \(StreamChannels.maximumPayload) limit")
                }
                guard buffer.count - offset - 5 >= length else { break }
                records.append((buffer[offset], Array(buffer[(offset + 5)..<(offset + 5 + length)])))
                offset += 5 + length
            }
            buffer.removeFirst(offset)
            return records
        }

        /// Bytes of an incomplete record.
        public var pending: Int { buffer.count }
    }
}
