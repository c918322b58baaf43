import SkiffModel
import Yams

/// YAML to JSON as Kubernetes reads manifests: mapping order kept, scalars resolved with the YAML 1.1 core tags as
/// Kubernetes' yaml library does (`replicas: 3` is a number, `"3"` a string), no aliases, several documents per text.
public enum YAMLDocuments {
    /// Why a text is not a manifest, in words for the person who wrote it.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Every non-empty document of `text`, in order (`---` separates them; empty ones are skipped, as kubectl does).
    public static func decodeAll(_ text: String) throws(DecodingError) -> [JSON] {
        var documents: [JSON] = []
        do {
            // The parser itself, not `compose_all`: its sequence ends quietly at a syntax error.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                let value = try convert(node, depth: 0)
                if !value.isNull { documents.append(value) }
            }
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError(message: "\(error)")
        }
        return documents
    }

    /// The single document of `text`; nil when it is empty.
    public static func decode(_ text: String) throws(DecodingError) -> JSON? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw DecodingError(message: "\(error)")
        }
        return try node.map { node throws(DecodingError) in try convert(node, depth: 0) }
    }

    private static func convert(_ node: Node, depth: Int) throws(DecodingError) -> JSON {
        guard depth < 256 else { throw DecodingError(message: "nesting too deep") }
        switch node {
        case .scalar(let scalar):
            // `node.tag` resolves the implicit tag (`scalar.tag` stays unresolved for plain scalars).
            switch node.tag.description {
            case "tag:yaml.org,2002:null": return .null
            case "tag:yaml.org,2002:bool": return node.bool.map(JSON.bool) ?? .string(scalar.string)
            case "tag:yaml.org,2002:int": return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case "tag:yaml.org,2002:float": return node.float.map(JSON.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object = JSONObject(minimumCapacity: mapping.count)
            for (key, value) in mapping {
                guard let name = key.string else { throw DecodingError(message: "map keys must be strings") }
                _ = object.updateValue(try convert(value, depth: depth + 1), forKey: name)
            }
            return .object(object)
        case .sequence(let sequence):
            var array: [JSON] = []
            for element in sequence { array.append(try convert(element, depth: depth + 1)) }
            return .array(array)
        case .alias:
            throw DecodingError(message: "aliases are not supported")
        }
    }
}
