/// Why JSON text could not be parsed, with the byte offset of the problem and a message worded like Go's
/// `encoding/json` (`invalid character 'x' looking for beginning of value`), which Kubernetes clients expect.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The input ended inside a value (or held no value at all).
        case unexpectedEndOfInput
        /// A byte that the grammar does not allow at its position.
        case invalidCharacter
        /// A string holds bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// Objects and arrays nest deeper than the parser's `maxDepth`.
        case exceededMaxDepth
    }

    /// The kind of failure.
    public var code: Code
    /// The message, worded like Go's `encoding/json`.
    public var message: String
    /// The zero-based offset of the offending byte, or the input's length when it ended early. (Go's
    /// `SyntaxError.Offset` counts the offending byte as read, so it is one more than this for invalid characters.)
    public var offset: Int

    /// Creates an error.
    public init(code: Code, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// The message alone, as Go prints a `SyntaxError`.
    public var description: String { message }
}

extension JSONParseError {
    static func unexpectedEnd(at offset: Int) -> JSONParseError {
        JSONParseError(code: .unexpectedEndOfInput, message: "unexpected end of JSON input", offset: offset)
    }

    static func invalidCharacter(_ byte: UInt8, _ context: String, at offset: Int) -> JSONParseError {
        JSONParseError(
            code: .invalidCharacter,
            message: "invalid character \(quoted(byte)) \(context)",
            offset: offset
        )
    }

    static func invalidUTF8(at offset: Int) -> JSONParseError {
        JSONParseError(code: .invalidUTF8, message: "invalid UTF-8 in string literal", offset: offset)
    }

    static func exceededMaxDepth(_ byte: UInt8, at offset: Int) -> JSONParseError {
        JSONParseError(
            code: .exceededMaxDepth,
            message: "invalid character \(quoted(byte)) exceeded max depth",
            offset: offset
        )
    }

    /// Quotes a byte the way Go's `quoteChar` does: `'x'`, `'\n'`, `'\x01'`, `'\''`, and a byte from 0x80 up as the
    /// Latin-1 character it happens to number (`'ÿ'`), or `'\u0080'` where Go considers that unprintable.
    static func quoted(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return #"'\''"#
        case 0x07: return #"'\a'"#
        case 0x08: return #"'\b'"#
        case 0x09: return #"'\t'"#
        case 0x0A: return #"'\n'"#
        case 0x0B: return #"'\v'"#
        case 0x0C: return #"'\f'"#
        case 0x0D: return #"'\r'"#
        case UInt8(ascii: "\\"): return #"'\\'"#
        case 0x00..<0x20, 0x7F: return "'\\x\(hex2(byte))'"
        case 0x80...0xA0, 0xAD: return "'\\u00\(hex2(byte))'"
        default: return "'\(Character(Unicode.Scalar(byte)))'"
        }
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
