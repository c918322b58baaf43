/// `/openapi/v2`: a Swagger 2.0 document with no paths and no definitions, as protobuf (gnostic's
/// `openapi.v2.Document`, which is how kubectl asks for it) or JSON.
///
/// kubectl validates with OpenAPI v3 and leaves validation to the server (`fieldValidation`), except for a file of
/// `kind: List`, which it always checks against v2 — item by item, skipping kinds the document does not define — and
/// refuses without a v2 document. With this one every item is skipped there and validated by the server as it
/// arrives, as any other object is; schemas live in the v3 documents.
public enum OpenAPIv2Document {
    /// What kubectl asks for (an `@` Go's media-type parser refuses in a response).
    public static let protobufAccept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    /// What the answer says it is (upstream's spelling).
    public static let protobufMediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    /// The document as protobuf: `swagger` (1), `info` (2: `title` 1, `version` 2), empty `paths` (8) and
    /// `definitions` (9).
    public static func protobuf(kubernetesVersion: String) -> [UInt8] {
        var info: [UInt8] = []
        appendString(1, "Kubernetes", to: &info)
        appendString(2, kubernetesVersion, to: &info)
        var document: [UInt8] = []
        appendString(1, "2.0", to: &document)
        appendBytes(2, info, to: &document)
        appendBytes(8, [], to: &document)
        appendBytes(9, [], to: &document)
        return document
    }

    public static func json(kubernetesVersion: String) -> JSON {
        [
            "swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(kubernetesVersion)], "paths": [:],
            "definitions": [:],
        ]
    }

    private static func appendString(_ field: UInt64, _ text: String, to buffer: inout [UInt8]) {
        appendBytes(field, Array(text.utf8), to: &buffer)
    }

    /// A length-delimited field (wire type 2).
    private static func appendBytes(_ field: UInt64, _ bytes: [UInt8], to buffer: inout [UInt8]) {
        appendVarint(field << 3 | 2, to: &buffer)
        appendVarint(UInt64(bytes.count), to: &buffer)
        buffer += bytes
    }

    private static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            buffer.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        buffer.append(UInt8(value))
    }
}
