import Foundation
import SkiffModel

/// Why a container's config cannot be built (`CreateContainerConfigError`); the message is what kubelet shows.
struct ContainerConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The configMaps and secrets a pod refers to, fetched before its containers are configured; a missing one is absent.
struct PodReferences: Sendable {
    var configMaps: [String: JSON] = [:]
    var secrets: [String: JSON] = [:]

    /// The value of `key` in configMap/secret `name`: decoded for secrets.
    func value(configMap name: String, key: String) -> String? { configMaps[name]?["data"][key].stringValue }

    func value(secret name: String, key: String) -> String? {
        // The API server folds stringData into data on every write.
        guard let encoded = secrets[name]?["data"][key].stringValue, let data = Data(base64Encoded: encoded) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A container's environment as kubelet builds it (`makeEnvironmentVariables`): envFrom first, then env in order,
/// each value with `$(VAR)` expanded against what came before. Service environment variables are not added.
struct EnvironmentResolver {
    var pod: JSON
    var references: PodReferences
    var podIP: String
    var hostIP: String

    func resolve(_ container: JSON) throws(ContainerConfigError) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if let index = result.firstIndex(where: { $0.name == name }) {
                result[index].value = value
            } else {
                result.append((name, value))
            }
            values[name] = value
        }
        for source in container["envFrom"].arrayValue ?? [] {
            let prefix = source["prefix"].stringValue ?? ""
            if let name = source["configMapRef"]["name"].stringValue {
                guard let map = references.configMaps[name] else {
                    if source["configMapRef"]["optional"].boolValue == true { continue }
                    throw ContainerConfigError(message: "configmap \"\(name)\" not found")
                }
                for key in (map["data"].objectValue?.keys ?? []).sorted() {
                    set(prefix + key, map["data"][key].stringValue ?? "")
                }
            }
            if let name = source["secretRef"]["name"].stringValue {
                guard let secret = references.secrets[name] else {
                    if source["secretRef"]["optional"].boolValue == true { continue }
                    throw ContainerConfigError(message: "secret \"\(name)\" not found")
                }
                for key in (secret["data"].objectValue?.keys ?? []).sorted() {
                    set(prefix + key, references.value(secret: name, key: key) ?? "")
                }
            }
        }
        for env in container["env"].arrayValue ?? [] {
            guard let name = env["name"].stringValue else { continue }
            if let value = env["value"].stringValue {
                set(name, Self.expand(value, values))
                continue
            }
            let from = env["valueFrom"]
            if from.isNull {
                set(name, "")
            } else if let value = try valueFrom(from, container: container) {
                set(name, value)
            }
        }
        return result
    }

    private func valueFrom(_ from: JSON, container: JSON) throws(ContainerConfigError) -> String? {
        if !from["configMapKeyRef"].isNull {
            let ref = from["configMapKeyRef"]
            let name = ref["name"].stringValue ?? ""
            let key = ref["key"].stringValue ?? ""
            let optional = ref["optional"].boolValue == true
            guard let map = references.configMaps[name] else {
                if optional { return nil }
                throw ContainerConfigError(message: "configmap \"\(name)\" not found")
            }
            guard let value = map["data"][key].stringValue else {
                if optional { return nil }
                throw ContainerConfigError(
                    message: "couldn't find key \(key) in ConfigMap \(pod.namespace ?? "")/\(name)")
            }
            return value
        }
        if !from["secretKeyRef"].isNull {
            let ref = from["secretKeyRef"]
            let name = ref["name"].stringValue ?? ""
            let key = ref["key"].stringValue ?? ""
            let optional = ref["optional"].boolValue == true
            guard references.secrets[name] != nil else {
                if optional { return nil }
                throw ContainerConfigError(message: "secret \"\(name)\" not found")
            }
            guard let value = references.value(secret: name, key: key) else {
                if optional { return nil }
                throw ContainerConfigError(message: "couldn't find key \(key) in Secret \(pod.namespace ?? "")/\(name)")
            }
            return value
        }
        if let path = from["fieldRef"]["fieldPath"].stringValue {
            return try fieldValue(path)
        }
        if !from["resourceFieldRef"].isNull {
            return resourceValue(from["resourceFieldRef"], container: container)
        }
        return nil
    }

    /// A `fieldRef` path (also used by downwardAPI volumes).
    func fieldValue(_ path: String) throws(ContainerConfigError) -> String {
        switch path {
        case "metadata.name": return pod.name ?? ""
        case "metadata.namespace": return pod.namespace ?? ""
        case "metadata.uid": return pod.uid ?? ""
        case "spec.nodeName": return pod["spec"]["nodeName"].stringValue ?? ""
        case "spec.serviceAccountName": return pod["spec"]["serviceAccountName"].stringValue ?? ""
        case "status.podIP": return podIP
        case "status.podIPs": return podIP
        case "status.hostIP", "status.hostIPs": return hostIP
        case "metadata.labels": return Self.keyValueLines(pod.labels)
        case "metadata.annotations": return Self.keyValueLines(pod.annotations)
        default:
            for (prefix, map) in [("metadata.labels", pod.labels), ("metadata.annotations", pod.annotations)] {
                if path.hasPrefix(prefix + "['"), path.hasSuffix("']") {
                    let key = String(path.dropFirst(prefix.count + 2).dropLast(2))
                    return map[key] ?? ""
                }
            }
            throw ContainerConfigError(message: "unsupported fieldPath: \(path)")
        }
    }

    /// A `resourceFieldRef` value in units of its divisor (default 1; cpu rounded up to whole units as kubelet).
    func resourceValue(_ ref: JSON, container: JSON) -> String {
        let resource = ref["resource"].stringValue ?? ""
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "" }
        let section = parts[0] == "limits" ? "limits" : "requests"
        let raw = container["resources"][section][parts[1]]
        let quantity = raw.isNull ? nil : try? Quantity(json: raw)
        let divisor = ref["divisor"].isNull ? Quantity(1) : (try? Quantity(json: ref["divisor"])) ?? Quantity(1)
        guard let quantity, !divisor.isZero else {
            return parts[1] == "cpu" && section == "limits" ? "\(ProcessInfo.processInfo.activeProcessorCount)" : "0"
        }
        let value = (quantity.nanos + divisor.nanos - 1) / divisor.nanos
        return "\(value)"
    }

    static func keyValueLines(_ map: [String: String]) -> String {
        map.keys.sorted().map { "\($0)=\"\(map[$0]!)\"" }.joined(separator: "\n")
    }

    /// Kubernetes' `$(VAR)` expansion: `$$` escapes, unknown references stay as written.
    static func expand(_ input: String, _ values: [String: String]) -> String {
        var output = ""
        var index = input.startIndex
        while index < input.endIndex {
            let char = input[index]
            let next = input.index(after: index)
            guard char == "$", next < input.endIndex else {
                output.append(char)
                index = next
                continue
            }
            if input[next] == "$" {
                output.append("$")
                index = input.index(after: next)
            } else if input[next] == "(", let close = input[next...].firstIndex(of: ")") {
                let name = String(input[input.index(after: next)..<close])
                if let value = values[name] {
                    output += value
                } else {
                    output += input[index...close]
                }
                index = input.index(after: close)
            } else {
                output.append(char)
                index = next
            }
        }
        return output
    }
}
