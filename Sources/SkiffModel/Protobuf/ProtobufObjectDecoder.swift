import Foundation

/// Turns a gogo-protobuf message of a Kubernetes type into the JSON its Go struct would marshal to, driven by the
/// field numbers and value types in a `SchemaRegistry`.
///
/// Fields appear in wire order, which for upstream encoders is field-number order and so, nearly always, Go struct
/// order. Unset fields are left out; unknown field numbers are skipped, as gogo's generated code does.
public struct ProtobufObjectDecoder: Sendable {
    /// The schemas that give each message's fields their names and types.
    public var schemas: SchemaRegistry
    /// How deeply messages may nest before decoding gives up.
    public var maxDepth: Int

    /// A decoder over `schemas`.
    public init(schemas: SchemaRegistry, maxDepth: Int = 64) {
        self.schemas = schemas
        self.maxDepth = maxDepth
    }

    /// Decodes the message in `range` of `bytes` as type `typeName` (an OpenAPI name such as
    /// `io.k8s.api.core.v1.ConfigMap`).
    public func decodeMessage(
        _ bytes: [UInt8], range: Range<Int>? = nil, type typeName: String
    ) throws(ProtobufDecodingError) -> JSONObject {
        guard let schema = schemas[typeName] else {
            throw ProtobufDecodingError(code: .unknownKind, message: "no schema for \(typeName)", offset: 0)
        }
        var object = JSONObject()
        let reader = ProtobufReader(bytes, range: range ?? 0..<bytes.count)
        try decode(reader, schema: schema, into: &object, depth: 1)
        return object
    }

    func decode(
        _ reader: ProtobufReader, schema: TypeSchema, into object: inout JSONObject, depth: Int
    ) throws(ProtobufDecodingError) {
        guard depth <= maxDepth else {
            throw ProtobufDecodingError(
                code: .exceededMaxDepth, message: "messages nest deeper than \(maxDepth)", offset: reader.position)
        }
        var reader = reader
        while let field = try reader.nextField() {
            if let fieldSchema = schema.field(protobufNumber: field.number) {
                try decodeField(field, fieldSchema, reader: reader, into: &object, depth: depth)
            } else if let embedding = schema.protobufEmbedded.first(where: { $0.number == field.number }) {
                // A Go struct inlined into JSON: its fields land in this object.
                guard case .lengthDelimited(let range) = field.value, let inner = schemas[embedding.type] else {
                    throw wrongWireType(field, "embedded \(embedding.type)")
                }
                try decode(reader.subreader(range), schema: inner, into: &object, depth: depth + 1)
            }
        }
    }

    private func decodeField(
        _ field: ProtobufField, _ fieldSchema: FieldSchema, reader: ProtobufReader, into object: inout JSONObject,
        depth: Int
    ) throws(ProtobufDecodingError) {
        let name = fieldSchema.name
        switch fieldSchema.type {
        case .array(let element):
            var elements = Self.take(name, from: &object)?.arrayValue ?? []
            if case .lengthDelimited(let range) = field.value, Self.isPackable(element) {
                // Packed repeated scalars: one length-delimited run of values.
                var packed = reader.subreader(range)
                while !packed.isAtEnd {
                    let value: ProtobufField.Value
                    switch element {
                    case .double:
                        value = .fixed64(try packed.readFixed64())
                    default:
                        value = .varint(try packed.readVarint())
                    }
                    let item = ProtobufField(
                        number: field.number, wireType: element == .double ? .fixed64 : .varint, value: value,
                        offset: field.offset)
                    if let json = try scalar(item, element, reader: reader, depth: depth) { elements.append(json) }
                }
            } else if let json = try value(field, element, reader: reader, depth: depth) {
                elements.append(json)
            } else {
                elements.append(Self.zeroValue(element))
            }
            object[name] = .array(elements)
        case .map(let element):
            guard case .lengthDelimited(let range) = field.value else { throw wrongWireType(field, name) }
            var entries = Self.take(name, from: &object)?.objectValue ?? JSONObject()
            var entry = reader.subreader(range)
            var key = ""
            var entryValue: JSON?
            while let part = try entry.nextField() {
                switch part.number {
                case 1:
                    guard case .lengthDelimited(let keyRange) = part.value else { throw wrongWireType(part, "map key") }
                    key = Self.string(reader.bytes, keyRange)
                case 2:
                    entryValue = try value(part, element, reader: reader, depth: depth + 1)
                default:
                    continue
                }
            }
            entries[key] = entryValue ?? Self.zeroValue(element)
            object[name] = .object(entries)
        default:
            if case .object(let typeName) = fieldSchema.type {
                // A singular message sent twice merges, as protobuf says; taking it out first avoids copying it.
                guard let schema = schemas[typeName] else {
                    throw ProtobufDecodingError(
                        code: .unknownKind, message: "no schema for \(typeName)", offset: field.offset)
                }
                let message = try submessage(field, typeName, reader: reader)
                var nested = Self.takeObject(name, from: &object) ?? JSONObject()
                try decode(message, schema: schema, into: &nested, depth: depth + 1)
                object[name] = .object(nested)
                return
            }
            guard let json = try value(field, fieldSchema.type, reader: reader, depth: depth) else {
                object[name] = nil
                return
            }
            if fieldSchema.omitsZeroValue && Self.isZero(json) {
                object[name] = nil
                return
            }
            object[name] = json
        }
    }

    /// The JSON for one value of `type`, or nil when the value marshals to nothing (a zero time, an empty raw value).
    private func value(
        _ field: ProtobufField, _ type: FieldType, reader: ProtobufReader, depth: Int
    ) throws(ProtobufDecodingError) -> JSON? {
        switch type {
        case .string, .bytes, .boolean, .int32, .int64, .double:
            return try scalar(field, type, reader: reader, depth: depth)
        case .quantity:
            var parts = try submessage(field, "Quantity", reader: reader)
            var text = ""
            while let part = try parts.nextField() {
                guard part.number == 1 else { continue }
                guard case .lengthDelimited(let range) = part.value else { throw wrongWireType(part, "Quantity") }
                text = Self.string(reader.bytes, range)
            }
            return .string(text.isEmpty ? "0" : text)
        case .intOrString:
            var parts = try submessage(field, "IntOrString", reader: reader)
            var kind: UInt64 = 0
            var intValue: Int64 = 0
            var stringValue = ""
            while let part = try parts.nextField() {
                switch (part.number, part.value) {
                case (1, .varint(let raw)): kind = raw
                case (2, .varint(let raw)): intValue = Int64(Int32(truncatingIfNeeded: raw))
                case (3, .lengthDelimited(let range)): stringValue = Self.string(reader.bytes, range)
                case (1...3, _): throw wrongWireType(part, "IntOrString")
                default: continue
                }
            }
            switch kind {
            case 0: return .int(intValue)
            case 1: return .string(stringValue)
            default:
                throw ProtobufDecodingError(
                    code: .invalidValue, message: "IntOrString type \(kind) is neither 0 nor 1", offset: field.offset)
            }
        case .time, .microTime:
            var parts = try submessage(field, "Time", reader: reader)
            var seconds: Int64 = 0
            var nanos: Int32 = 0
            while let part = try parts.nextField() {
                switch (part.number, part.value) {
                case (1, .varint(let raw)): seconds = Int64(bitPattern: raw)
                case (2, .varint(let raw)): nanos = Int32(truncatingIfNeeded: raw)
                case (1...2, _): throw wrongWireType(part, "Time")
                default: continue
                }
            }
            // Go marshals the zero time as null; leaving the field out means the same to every reader.
            if seconds == 0 && nanos == 0 { return nil }
            let digits = type == .microTime ? 6 : 0
            let clippedNanos = type == .microTime ? nanos : 0
            guard let text = RFC3339Time.format(seconds: seconds, nanos: clippedNanos, fractionDigits: digits) else {
                throw ProtobufDecodingError(
                    code: .invalidValue, message: "time \(seconds)s is outside years 0-9999", offset: field.offset)
            }
            return .string(text)
        case .any:
            var parts = try submessage(field, "raw value", reader: reader)
            var raw: Range<Int>?
            while let part = try parts.nextField() {
                guard part.number == 1 else { continue }
                guard case .lengthDelimited(let range) = part.value else { throw wrongWireType(part, "raw value") }
                raw = range
            }
            guard let raw, !raw.isEmpty else { return nil }
            return try embeddedJSON(reader.bytes, raw, depth: depth)
        case .object(let typeName):
            guard let schema = schemas[typeName] else {
                throw ProtobufDecodingError(
                    code: .unknownKind, message: "no schema for \(typeName)", offset: field.offset)
            }
            let message = try submessage(field, typeName, reader: reader)
            var object = JSONObject()
            try decode(message, schema: schema, into: &object, depth: depth + 1)
            return .object(object)
        case .array, .map:
            // Lists of lists and maps of lists have no protobuf form in the built-in types.
            throw wrongWireType(field, "nested collection")
        }
    }

    private func scalar(
        _ field: ProtobufField, _ type: FieldType, reader: ProtobufReader, depth: Int
    ) throws(ProtobufDecodingError) -> JSON? {
        switch (type, field.value) {
        case (.string, .lengthDelimited(let range)):
            return .string(Self.string(reader.bytes, range))
        case (.bytes, .lengthDelimited(let range)):
            return .string(Data(reader.bytes[range]).base64EncodedString())
        case (.boolean, .varint(let raw)):
            return .bool(raw != 0)
        case (.int32, .varint(let raw)):
            return .int(Int64(Int32(truncatingIfNeeded: raw)))
        case (.int64, .varint(let raw)):
            return .int(Int64(bitPattern: raw))
        case (.double, .fixed64(let raw)):
            return Self.number(Double(bitPattern: raw))
        case (.double, .fixed32(let raw)):
            return Self.number(Double(Float(bitPattern: raw)))
        default:
            throw wrongWireType(field, "\(type)")
        }
    }

    private func submessage(
        _ field: ProtobufField, _ what: String, reader: ProtobufReader
    ) throws(ProtobufDecodingError) -> ProtobufReader {
        guard case .lengthDelimited(let range) = field.value else { throw wrongWireType(field, what) }
        return reader.subreader(range)
    }

    /// Raw JSON bytes, or a nested `k8s\0` protobuf object, held by a RawExtension-like message.
    private func embeddedJSON(_ bytes: [UInt8], _ range: Range<Int>, depth: Int) throws(ProtobufDecodingError) -> JSON {
        if KubernetesProtobuf.hasMagic(bytes, range) {
            guard depth < maxDepth else {
                throw ProtobufDecodingError(
                    code: .exceededMaxDepth, message: "messages nest deeper than \(maxDepth)", offset: range.lowerBound)
            }
            let nested = ProtobufObjectDecoder(schemas: schemas, maxDepth: maxDepth - depth)
            return try KubernetesProtobuf.decode(bytes, range: range, decoder: nested)
        }
        do {
            return try JSONParser().parse(bytes[range]).value
        } catch {
            throw ProtobufDecodingError(
                code: .invalidEmbeddedJSON, message: "embedded raw value is not JSON: \(error.message)",
                offset: range.lowerBound + error.offset)
        }
    }

    private func wrongWireType(_ field: ProtobufField, _ what: String) -> ProtobufDecodingError {
        ProtobufDecodingError(
            code: .invalidWireType, message: "field \(field.number) has wire type \(field.wireType) for \(what)",
            offset: field.offset)
    }

    /// Takes the value of `name` out of `object`, leaving a placeholder in its position, so that appending to a
    /// repeated field mutates uniquely owned storage instead of copying it per element (which would make hostile
    /// bodies with many repeated entries quadratic).
    static func take(_ name: String, from object: inout JSONObject) -> JSON? {
        guard object.contains(name) else { return nil }
        return object.updateValue(.null, forKey: name)
    }

    static func takeObject(_ name: String, from object: inout JSONObject) -> JSONObject? {
        guard object.contains(name), case .object(let taken)? = object.updateValue(.null, forKey: name) else {
            return nil
        }
        return taken
    }

    static func string(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        // Go's JSON encoder replaces invalid UTF-8 with U+FFFD; decoding with repair gives the same text.
        String(decoding: bytes[range], as: UTF8.self)
    }

    static func number(_ value: Double) -> JSON {
        if value.isFinite, value == value.rounded(), abs(value) < 9.0e15 { return .int(Int64(value)) }
        return .double(value)
    }

    static func isPackable(_ type: FieldType) -> Bool {
        switch type {
        case .boolean, .int32, .int64, .double: return true
        default: return false
        }
    }

    static func isZero(_ json: JSON) -> Bool {
        switch json {
        case .string(let text): return text.isEmpty
        case .bool(let flag): return !flag
        case .int(let number): return number == 0
        case .double(let number): return number == 0
        default: return false
        }
    }

    /// What proto3-style absence means for an element of `type` (a map entry or list element with no value).
    static func zeroValue(_ type: FieldType) -> JSON {
        switch type {
        case .string, .bytes: return .string("")
        case .boolean: return .bool(false)
        case .int32, .int64, .double, .intOrString: return .int(0)
        case .quantity: return .string("0")
        case .object: return .emptyObject
        case .array: return .emptyArray
        case .map: return .emptyObject
        case .time, .microTime, .any: return .null
        }
    }
}
