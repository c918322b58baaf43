import Foundation

/// ConfigMaps and Secrets: keys of `data`, `binaryData` and `stringData` must be config keys; Secrets default
/// their `type` to Opaque and, as upstream does on every write, fold `stringData` into `data` (base64; a
/// `stringData` key wins over the same `data` key), so that readers and volumes only ever see `data`.
public struct ConfigDataStrategy: ResourceStrategy {
    /// The `type` a Secret gets when it has none; nil for ConfigMaps.
    public var defaultType: String?

    public init(defaultType: String? = nil) {
        self.defaultType = defaultType
    }

    public func applyDefaults(_ object: inout JSON) {
        guard let defaultType else { return }
        if object["type"].isNull { object["type"] = .string(defaultType) }
        // A bad key stays in stringData, where validation names it as the user wrote it.
        if let strings = object["stringData"].objectValue, strings.keys.allSatisfy(Self.isConfigKey) {
            for key in strings.keys {
                guard let value = object["stringData"][key].stringValue else { continue }
                object["data"][key] = .string(Data(value.utf8).base64EncodedString())
            }
            _ = object.removeValue(forKey: "stringData")
        }
    }

    public func validate(_ object: JSON, type: ResourceType) throws(APIError) {
        var errors = FieldErrors()
        for field in ["data", "binaryData", "stringData"] {
            guard let entries = object[field].objectValue else { continue }
            for key in entries.keys where !Self.isConfigKey(key) {
                errors.invalid(
                    "\(field)[\(key)]",
                    "Invalid value: \"\(key)\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                )
            }
        }
        try errors.check(type, object)
    }

    static func isConfigKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 253
            && key.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
                    || $0 == "_" || $0 == "."
            }
    }
}
