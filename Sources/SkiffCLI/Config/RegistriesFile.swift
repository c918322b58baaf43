import Foundation
import SkiffContainerd
import SkiffModel
import Yams

/// Reads `registries.yaml` (`--private-registry`, `/etc/skiff/registries.yaml` by default) into a
/// `RegistriesConfig`. A missing default file is no registries; a missing explicit one, bad YAML or a bad field is an
/// error naming the file and the field, and the agent does not start (as k3s).
enum RegistriesFile {
    static let defaultPath = "/etc/skiff/registries.yaml"

    static func load(explicitPath: String?) throws(ConfigError) -> RegistriesConfig {
        let path = explicitPath ?? defaultPath
        guard let data = FileManager.default.contents(atPath: path) else {
            if explicitPath == nil && !FileManager.default.fileExists(atPath: path) { return RegistriesConfig() }
            throw ConfigError("cannot read registries file \(path)")
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigError("registries file \(path): \(error.description)")
        }
    }

    static func parse(_ text: String) throws(ParseError) -> RegistriesConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            // Yams' messages span lines (the offending line, a caret): keep the first.
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ParseError(description: "not valid YAML: \(first)")
        }
        do {
            return try RegistriesConfig(json: try node.map { node throws(ParseError) in try json(node) } ?? .null)
        } catch let error as RegistriesConfigError {
            throw ParseError(description: error.description)
        } catch let error as ParseError {
            throw error
        } catch {
            throw ParseError(description: "\(error)")
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Scalars stay text (a numeric password keeps its digits: `007` is not 7) but for booleans and null.
    private static func json(_ node: Node, depth: Int = 0) throws(ParseError) -> JSON {
        guard depth < 32 else { throw ParseError(description: "nested too deep") }
        switch node {
        case .scalar(let scalar):
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool: return node.bool.map(JSON.bool) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.string else { throw ParseError(description: "mapping keys must be text") }
                _ = object.updateValue(try json(value, depth: depth + 1), forKey: name)
            }
            return .object(object)
        case .sequence(let sequence):
            var array: [JSON] = []
            for element in sequence { array.append(try json(element, depth: depth + 1)) }
            return .array(array)
        case .alias:
            throw ParseError(description: "YAML aliases are not supported")
        }
    }
}
