/// Decodes `application/vnd.kubernetes.protobuf` request bodies (what kubectl 1.32's typed clients send) into the
/// JSON the same object would have been sent as.
///
/// A body is the magic `k8s\0` followed by a `runtime.Unknown` message: `{1: TypeMeta{1: apiVersion, 2: kind},
/// 2: raw object message, 3: contentEncoding, 4: contentType}`.
public enum KubernetesProtobuf {
    /// The four bytes every Kubernetes protobuf body starts with.
    public static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    /// The media type of Kubernetes protobuf bodies.
    public static let mediaType = "application/vnd.kubernetes.protobuf"

    /// The `runtime.Unknown` wrapper of a protobuf body.
    public struct Envelope: Sendable, Hashable {
        /// `v1`, `apps/v1`.
        public var apiVersion: String
        /// `Deployment`.
        public var kind: String
        /// Where the object message lies in the decoded buffer.
        public var raw: Range<Int>
        /// Empty unless the raw bytes are compressed.
        public var contentEncoding: String
        /// Usually empty (meaning protobuf).
        public var contentType: String
    }

    /// Whether `bytes` (or `range` of it) starts with the protobuf magic.
    public static func hasMagic(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> Bool {
        let range = range ?? 0..<bytes.count
        guard range.count >= magic.count, range.upperBound <= bytes.count, range.lowerBound >= 0 else { return false }
        for i in 0..<magic.count where bytes[range.lowerBound + i] != magic[i] { return false }
        return true
    }

    /// Reads the `runtime.Unknown` envelope after the magic.
    public static func envelope(_ bytes: [UInt8], range: Range<Int>? = nil) throws(ProtobufDecodingError) -> Envelope {
        let range = range ?? 0..<bytes.count
        guard hasMagic(bytes, range) else {
            throw ProtobufDecodingError(
                code: .invalidEnvelope, message: "body does not start with the k8s protobuf magic",
                offset: range.lowerBound)
        }
        var reader = ProtobufReader(bytes, range: (range.lowerBound + magic.count)..<range.upperBound)
        var apiVersion = ""
        var kind = ""
        var raw: Range<Int>?
        var contentEncoding = ""
        var contentType = ""
        while let field = try reader.nextField() {
            guard (1...4).contains(field.number) else { continue }
            guard case .lengthDelimited(let value) = field.value else {
                throw ProtobufDecodingError(
                    code: .invalidEnvelope, message: "runtime.Unknown field \(field.number) is not length-delimited",
                    offset: field.offset)
            }
            switch field.number {
            case 1:
                var typeMeta = reader.subreader(value)
                while let part = try typeMeta.nextField() {
                    guard case .lengthDelimited(let text) = part.value, part.number == 1 || part.number == 2 else {
                        continue
                    }
                    if part.number == 1 {
                        apiVersion = ProtobufObjectDecoder.string(bytes, text)
                    } else {
                        kind = ProtobufObjectDecoder.string(bytes, text)
                    }
                }
            case 2: raw = value
            case 3: contentEncoding = ProtobufObjectDecoder.string(bytes, value)
            default: contentType = ProtobufObjectDecoder.string(bytes, value)
            }
        }
        guard !kind.isEmpty, !apiVersion.isEmpty else {
            throw ProtobufDecodingError(
                code: .invalidEnvelope, message: "runtime.Unknown has no apiVersion and kind", offset: range.lowerBound)
        }
        return Envelope(
            apiVersion: apiVersion, kind: kind, raw: raw ?? range.upperBound..<range.upperBound,
            contentEncoding: contentEncoding, contentType: contentType)
    }

    /// Decodes a whole protobuf body into JSON: `apiVersion` and `kind` first, then the object's fields.
    public static func decode(_ bytes: [UInt8], schemas: SchemaRegistry) throws(ProtobufDecodingError) -> JSON {
        try decode(bytes, range: 0..<bytes.count, decoder: ProtobufObjectDecoder(schemas: schemas))
    }

    /// Decodes a protobuf body in `range` of `bytes` with `decoder`.
    public static func decode(
        _ bytes: [UInt8], range: Range<Int>, decoder: ProtobufObjectDecoder
    ) throws(ProtobufDecodingError) -> JSON {
        let envelope = try envelope(bytes, range: range)
        guard envelope.contentEncoding.isEmpty else {
            throw ProtobufDecodingError(
                code: .unsupportedEncoding, message: "content encoding \(envelope.contentEncoding) is not supported",
                offset: range.lowerBound)
        }
        guard envelope.contentType.isEmpty || envelope.contentType == mediaType else {
            throw ProtobufDecodingError(
                code: .unsupportedEncoding, message: "embedded content type \(envelope.contentType) is not supported",
                offset: range.lowerBound)
        }
        let (group, version) = ResourceRegistry.split(apiVersion: envelope.apiVersion)
        let gvk = GroupVersionKind(group: group, version: version, kind: envelope.kind)
        guard let schema = decoder.schemas.schema(for: gvk) else {
            throw ProtobufDecodingError(
                code: .unknownKind,
                message: "no kind \"\(envelope.kind)\" is registered for version \"\(envelope.apiVersion)\"",
                offset: range.lowerBound)
        }
        var object = JSONObject()
        object["apiVersion"] = .string(envelope.apiVersion)
        object["kind"] = .string(envelope.kind)
        try decoder.decode(ProtobufReader(bytes, range: envelope.raw), schema: schema, into: &object, depth: 1)
        return .object(object)
    }
}
