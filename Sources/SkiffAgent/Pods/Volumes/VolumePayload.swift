import Foundation
import SkiffModel

/// A volume setup that failed (`FailedMount`); the message is what the event shows.
struct VolumeError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One file of a configMap, secret, downwardAPI or projected volume.
struct VolumeFile: Sendable, Equatable {
    var path: String
    var data: [UInt8]
    var mode: UInt16
}

/// The files of the data volumes, computed from their sources (pure): kubelet's `MakePayload` for each plugin.
struct VolumePayload {
    var pod: JSON
    var references: PodReferences
    var environment: EnvironmentResolver
    /// Tokens for projected `serviceAccountToken` sources, by volume name and path.
    var tokens: [String: String] = [:]

    static let defaultMode: UInt16 = 0o644

    func configMap(_ source: JSON, volumeName: String) throws(VolumeError) -> [VolumeFile] {
        let name = source["name"].stringValue ?? ""
        guard let map = references.configMaps[name] else {
            if source["optional"].boolValue == true { return [] }
            throw VolumeError(message: "configmap \"\(name)\" not found")
        }
        var data: [String: [UInt8]] = [:]
        for key in map["data"].objectValue?.keys ?? [] { data[key] = Array((map["data"][key].stringValue ?? "").utf8) }
        for key in map["binaryData"].objectValue?.keys ?? [] {
            data[key] = map["binaryData"][key].stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
        }
        return try files(data, source: source, kind: "configMap", name: name)
    }

    func secret(_ source: JSON, nameKey: String = "secretName") throws(VolumeError) -> [VolumeFile] {
        let name = source[nameKey].stringValue ?? ""
        guard let secret = references.secrets[name] else {
            if source["optional"].boolValue == true { return [] }
            throw VolumeError(message: "secret \"\(name)\" not found")
        }
        var data: [String: [UInt8]] = [:]
        for key in secret["data"].objectValue?.keys ?? [] {
            data[key] = secret["data"][key].stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
        }
        return try files(data, source: source, kind: "secret", name: name)
    }

    /// `items` select and rename keys (a missing key fails unless optional); `mode`/`defaultMode` set permissions.
    private func files(_ data: [String: [UInt8]], source: JSON, kind: String, name: String) throws(VolumeError)
        -> [VolumeFile]
    {
        let mode = source["defaultMode"].int64Value.map { UInt16($0 & 0o777) } ?? Self.defaultMode
        guard let items = source["items"].arrayValue, !items.isEmpty else {
            return data.keys.sorted().map { VolumeFile(path: $0, data: data[$0]!, mode: mode) }
        }
        var files: [VolumeFile] = []
        for item in items {
            let key = item["key"].stringValue ?? ""
            guard let bytes = data[key] else {
                if source["optional"].boolValue == true { continue }
                throw VolumeError(
                    message: "configmap references non-existent config key: \(key)".replacingOccurrences(
                        of: "configmap", with: kind == "secret" ? "secret" : "configmap"))
            }
            let itemMode = item["mode"].int64Value.map { UInt16($0 & 0o777) } ?? mode
            files.append(VolumeFile(path: item["path"].stringValue ?? key, data: bytes, mode: itemMode))
        }
        return files
    }

    func downwardAPI(_ source: JSON) throws(VolumeError) -> [VolumeFile] {
        let mode = source["defaultMode"].int64Value.map { UInt16($0 & 0o777) } ?? Self.defaultMode
        var files: [VolumeFile] = []
        for item in source["items"].arrayValue ?? [] {
            let path = item["path"].stringValue ?? ""
            var value = ""
            if let field = item["fieldRef"]["fieldPath"].stringValue {
                do { value = try environment.fieldValue(field) } catch { throw VolumeError(message: error.message) }
            } else if !item["resourceFieldRef"].isNull {
                let containerName = item["resourceFieldRef"]["containerName"].stringValue ?? ""
                let container =
                    (pod["spec"]["containers"].arrayValue ?? []).first { $0["name"].stringValue == containerName }
                    ?? .null
                value = environment.resourceValue(item["resourceFieldRef"], container: container)
            }
            files.append(
                VolumeFile(
                    path: path, data: Array(value.utf8),
                    mode: item["mode"].int64Value.map { UInt16($0 & 0o777) } ?? mode))
        }
        return files
    }

    func projected(_ source: JSON, volumeName: String) throws(VolumeError) -> [VolumeFile] {
        let mode = source["defaultMode"].int64Value
        var files: [VolumeFile] = []
        for projection in source["sources"].arrayValue ?? [] {
            var inner: JSON
            if !projection["configMap"].isNull {
                inner = projection["configMap"]
                if let mode, inner["defaultMode"].isNull { inner["defaultMode"] = .int(mode) }
                files += try configMap(inner, volumeName: volumeName)
            } else if !projection["secret"].isNull {
                inner = projection["secret"]
                if let mode, inner["defaultMode"].isNull { inner["defaultMode"] = .int(mode) }
                files += try secret(inner, nameKey: "name")
            } else if !projection["downwardAPI"].isNull {
                inner = projection["downwardAPI"]
                if let mode, inner["defaultMode"].isNull { inner["defaultMode"] = .int(mode) }
                files += try downwardAPI(inner)
            } else if !projection["serviceAccountToken"].isNull {
                let path = projection["serviceAccountToken"]["path"].stringValue ?? "token"
                guard let token = tokens["\(volumeName)/\(path)"] else {
                    throw VolumeError(message: "failed to fetch token for volume \(volumeName)")
                }
                files.append(
                    VolumeFile(path: path, data: Array(token.utf8), mode: mode.map { UInt16($0 & 0o777) } ?? 0o600))
            }
        }
        return files
    }
}
