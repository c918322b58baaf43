import SkiffClient
import SkiffModel

/// Turns a request body into a `JSON` object according to its media type: JSON, YAML, or Kubernetes protobuf.
enum RequestBody {
    enum MediaType: Equatable {
        case json
        case yaml
        case protobuf
        case mergePatch
        case jsonPatch
        case strategicMergePatch
        case applyPatch
    }

    /// The media type of a `Content-Type` header; nil for an unsupported one.
    static func mediaType(_ header: String?) -> MediaType? {
        // The media type before any parameters, without surrounding blanks, lowercased (ASCII; runs per request).
        var base = ""
        if let header {
            let bytes = header.utf8.prefix { $0 != UInt8(ascii: ";") }
            let trimmed = bytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                .reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed()
            base = String(decoding: trimmed.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
        }
        switch base {
        case "", "application/json", "*/*": return .json
        case "application/yaml", "application/x-yaml", "text/yaml": return .yaml
        case "application/vnd.kubernetes.protobuf": return .protobuf
        case "application/merge-patch+json": return .mergePatch
        case "application/json-patch+json": return .jsonPatch
        case "application/strategic-merge-patch+json": return .strategicMergePatch
        case "application/apply-patch+yaml", "application/apply-patch+json": return .applyPatch
        default: return nil
        }
    }

    /// Parsed body plus repeated keys (reported by `fieldValidation=Strict`).
    struct Decoded {
        var value: JSON
        var duplicateFields: [String]
    }

    static func decode(_ bytes: [UInt8], as mediaType: MediaType) throws(APIError) -> Decoded {
        switch mediaType {
        case .protobuf:
            do {
                return Decoded(
                    value: try KubernetesProtobuf.decode(bytes, schemas: BuiltinSchemas.registry), duplicateFields: [])
            } catch {
                throw APIError.badRequest("unable to decode protobuf body: \(error)")
            }
        case .yaml, .applyPatch:
            // JSON is YAML; take the fast path when the body is JSON (kubectl sends apply patches as JSON).
            if let first = bytes.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }), first == UInt8(ascii: "{") {
                return try json(bytes)
            }
            return Decoded(value: try yaml(bytes), duplicateFields: [])
        case .json, .mergePatch, .jsonPatch, .strategicMergePatch:
            return try json(bytes)
        }
    }

    static func json(_ bytes: [UInt8]) throws(APIError) -> Decoded {
        do {
            let result = try JSONParser(recordsDuplicateKeys: true).parse(bytes)
            return Decoded(value: result.value, duplicateFields: result.duplicateKeys.map(\.message))
        } catch {
            throw APIError.badRequest("error decoding JSON body: \(error.message) at offset \(error.offset)")
        }
    }

    /// YAML to JSON (one document), as Kubernetes' yaml library reads it.
    static func yaml(_ bytes: [UInt8]) throws(APIError) -> JSON {
        let decoded: JSON?
        do {
            decoded = try YAMLDocuments.decode(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw APIError.badRequest("error decoding YAML body: \(error.message)")
        }
        guard let decoded else { throw APIError.badRequest("the request body is empty") }
        return decoded
    }
}
