import Foundation

/// Parses JSON text (strict RFC 8259) into ``JSON`` values.
///
/// Rejects trailing commas, comments, leading zeros, bad escapes, control characters and malformed UTF-8 in
/// strings, and anything but whitespace after the value. An escaped lone surrogate (`"\ud800"`) becomes U+FFFD, as
/// in Go. Nesting deeper than ``maxDepth`` is an error; the parser never recurses, so no input can exhaust the stack.
public struct JSONParser: Sendable {
    /// The deepest nesting of objects and arrays accepted; the default 512 is far above any Kubernetes object.
    public var maxDepth: Int
    /// Whether to list repeated object keys in ``JSONParseResult/duplicateKeys``; either way the last value wins.
    public var recordsDuplicateKeys: Bool

    /// A parser with the given limits.
    public init(maxDepth: Int = 512, recordsDuplicateKeys: Bool = false) {
        self.maxDepth = maxDepth
        self.recordsDuplicateKeys = recordsDuplicateKeys
    }

    /// Parses UTF-8 bytes.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONParseResult {
        var reader = JSONReader(
            bytes: bytes.assumingMemoryBound(to: UInt8.self),
            maxDepth: maxDepth,
            recordsDuplicateKeys: recordsDuplicateKeys
        )
        let value = try reader.parseDocument()
        return JSONParseResult(value: value, duplicateKeys: reader.duplicateKeys)
    }

    /// Parses UTF-8 bytes.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONParseResult {
        try bytes.withUnsafeBytes { raw in Result { () throws(JSONParseError) in try parse(raw) } }.get()
    }

    /// Parses UTF-8 bytes.
    public func parse(_ bytes: ArraySlice<UInt8>) throws(JSONParseError) -> JSONParseResult {
        try bytes.withUnsafeBytes { raw in Result { () throws(JSONParseError) in try parse(raw) } }.get()
    }

    /// Parses UTF-8 bytes.
    public func parse(_ data: Data) throws(JSONParseError) -> JSONParseResult {
        try data.withUnsafeBytes { raw in Result { () throws(JSONParseError) in try parse(raw) } }.get()
    }

    /// Parses a string's UTF-8.
    public func parse(_ text: String) throws(JSONParseError) -> JSONParseResult {
        var text = text
        return try text.withUTF8 { utf8 in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(utf8)) }
        }.get()
    }
}

extension JSON {
    /// Parses UTF-8 bytes with the default ``JSONParser``.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        self = try JSONParser().parse(bytes).value
    }

    /// Parses UTF-8 bytes with the default ``JSONParser``.
    public init(parsing bytes: ArraySlice<UInt8>) throws(JSONParseError) {
        self = try JSONParser().parse(bytes).value
    }

    /// Parses UTF-8 bytes with the default ``JSONParser``.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        self = try JSONParser().parse(bytes).value
    }

    /// Parses UTF-8 bytes with the default ``JSONParser``.
    public init(parsing data: Data) throws(JSONParseError) {
        self = try JSONParser().parse(data).value
    }

    /// Parses a string with the default ``JSONParser``.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser().parse(text).value
    }
}
