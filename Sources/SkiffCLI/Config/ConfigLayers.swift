import Foundation
import Yams

/// Where a setting can come from, in k3s' order of precedence: command-line flag, then `SKIFF_*` environment
/// variable, then the config file (same keys as the flags), then the built-in default.
struct ConfigLayers: Sendable {
    /// Settings read from the config file, each as a list (scalars become one element).
    var file: [String: [String]]
    var filePath: String?
    var environment: [String: String]

    static let defaultFile = "/etc/skiff/config.yaml"

    /// Reads the config file: `explicitPath` must exist; the default path is used only if present.
    /// Keys outside `allowedKeys` are refused, so a typo never silently falls back to a default.
    static func load(
        explicitPath: String?, environment: [String: String], allowedKeys: Set<String>
    ) throws(ConfigError) -> ConfigLayers {
        let path = explicitPath ?? environment["SKIFF_CONFIG_FILE"]
        let chosen = path ?? (FileManager.default.fileExists(atPath: defaultFile) ? defaultFile : nil)
        guard let chosen else { return ConfigLayers(file: [:], filePath: nil, environment: environment) }
        guard let data = FileManager.default.contents(atPath: chosen) else {
            throw ConfigError("cannot read config file \(chosen)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: text)
        } catch {
            throw ConfigError("config file \(chosen) is not valid YAML: \(error)")
        }
        var file: [String: [String]] = [:]
        if let parsed {
            guard let mapping = parsed as? [String: Any] else {
                throw ConfigError("config file \(chosen) must be a mapping of flag names to values")
            }
            for (key, value) in mapping {
                guard allowedKeys.contains(key) else {
                    throw ConfigError("unknown key \"\(key)\" in config file \(chosen)")
                }
                file[key] = try strings(value, key: key, path: chosen)
            }
        }
        return ConfigLayers(file: file, filePath: chosen, environment: environment)
    }

    private static func strings(_ value: Any, key: String, path: String) throws(ConfigError) -> [String] {
        switch value {
        case let list as [Any]:
            var result: [String] = []
            for item in list { result += try strings(item, key: key, path: path) }
            return result
        case let text as String: return [text]
        case let flag as Bool: return [flag ? "true" : "false"]
        case let number as Int: return [String(number)]
        case let number as Double: return [String(number)]
        default: throw ConfigError("value of \"\(key)\" in config file \(path) must be a scalar or a list")
        }
    }

    /// `data-dir` → `SKIFF_DATA_DIR`.
    static func environmentName(_ key: String) -> String {
        "SKIFF_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    func string(_ key: String, flag: String?, aliases: [String] = []) -> String? {
        if let flag { return flag }
        for name in [Self.environmentName(key)] + aliases {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return file[key]?.last
    }

    /// Repeatable settings: flags win as a whole; the environment takes a comma-separated list.
    func strings(_ key: String, flag: [String]) -> [String] {
        if !flag.isEmpty { return flag }
        if let value = environment[Self.environmentName(key)], !value.isEmpty {
            return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return file[key] ?? []
    }

    func bool(_ key: String, flag: Bool) throws(ConfigError) -> Bool {
        if flag { return true }
        guard let text = string(key, flag: nil) else { return false }
        switch text.lowercased() {
        case "1", "t", "true", "yes", "on": return true
        case "0", "f", "false", "no", "off", "": return false
        default: throw ConfigError("\(key) must be true or false, not \"\(text)\"")
        }
    }

    func int(_ key: String, flag: Int?) throws(ConfigError) -> Int? {
        if let flag { return flag }
        guard let text = string(key, flag: nil) else { return nil }
        guard let value = Int(text) else { throw ConfigError("\(key) must be a number, not \"\(text)\"") }
        return value
    }
}

/// A setting that cannot be used, with a message naming it.
struct ConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
