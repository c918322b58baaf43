/// The protobuf wire types skiff accepts (groups, wire types 3 and 4, are long deprecated and rejected).
public enum ProtobufWireType: UInt8, Sendable, Hashable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// One field read off the wire: its number and its undecoded value.
public struct ProtobufField: Sendable {
    /// A field's value in wire form.
    public enum Value: Sendable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        /// The byte range of a length-delimited value inside the reader's buffer.
        case lengthDelimited(Range<Int>)
    }

    /// The field number (1 ... 2^29-1).
    public var number: Int
    /// The wire type the value was written with.
    public var wireType: ProtobufWireType
    /// The value.
    public var value: Value
    /// Where the field's tag starts, for error messages.
    public var offset: Int
}

/// A cursor over protobuf wire-format bytes. Every read is bounds-checked and every field advances the cursor, so
/// hostile input ends in a `ProtobufDecodingError`, never a crash or an endless loop.
public struct ProtobufReader: Sendable {
    /// The whole buffer; nested readers share it and only narrow the range.
    public let bytes: [UInt8]
    /// The next byte to read.
    public private(set) var position: Int
    /// One past the last byte this reader may read.
    public let end: Int

    /// A reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
    }

    /// A reader over `range` of `bytes` (clamped to the buffer).
    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        let lower = min(max(range.lowerBound, 0), bytes.count)
        self.position = lower
        self.end = min(max(range.upperBound, lower), bytes.count)
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position >= end }

    /// A reader over a length-delimited value read earlier from the same buffer.
    public func subreader(_ range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes, range: range)
    }

    /// Reads the next field, or returns nil at the end of the range.
    public mutating func nextField() throws(ProtobufDecodingError) -> ProtobufField? {
        guard position < end else { return nil }
        let start = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= (1 << 29) - 1 else {
            throw ProtobufDecodingError(
                code: .invalidWireType, message: "invalid field number \(number)", offset: start)
        }
        guard let wireType = ProtobufWireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufDecodingError(
                code: .invalidWireType, message: "unsupported wire type \(key & 7) for field \(number)", offset: start)
        }
        let value: ProtobufField.Value
        switch wireType {
        case .varint:
            value = .varint(try readVarint())
        case .fixed64:
            value = .fixed64(try readFixed64())
        case .fixed32:
            value = .fixed32(try readFixed32())
        case .lengthDelimited:
            let lengthOffset = position
            let length = try readVarint()
            guard length <= UInt64(end - position) else {
                throw ProtobufDecodingError(
                    code: .truncated, message: "length \(length) of field \(number) runs past the end",
                    offset: lengthOffset)
            }
            let range = position..<(position + Int(length))
            position = range.upperBound
            value = .lengthDelimited(range)
        }
        return ProtobufField(number: Int(number), wireType: wireType, value: value, offset: start)
    }

    /// Reads a base-128 varint of at most ten bytes.
    public mutating func readVarint() throws(ProtobufDecodingError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw ProtobufDecodingError(code: .truncated, message: "input ends inside a varint", offset: start)
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw ProtobufDecodingError(code: .malformedVarint, message: "varint overflows 64 bits", offset: start)
            }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw ProtobufDecodingError(
                    code: .malformedVarint, message: "varint longer than ten bytes", offset: start)
            }
        }
    }

    /// Reads a little-endian 64-bit value.
    public mutating func readFixed64() throws(ProtobufDecodingError) -> UInt64 {
        guard end - position >= 8 else {
            throw ProtobufDecodingError(code: .truncated, message: "input ends inside a fixed64", offset: position)
        }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }

    /// Reads a little-endian 32-bit value.
    public mutating func readFixed32() throws(ProtobufDecodingError) -> UInt32 {
        guard end - position >= 4 else {
            throw ProtobufDecodingError(code: .truncated, message: "input ends inside a fixed32", offset: position)
        }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }
}
