import Foundation
import SkiffCRI
import SkiffModel

/// The registry credentials of a pod's image pull secrets, matched to an image as kubelet's keyring
/// (`pkg/credentialprovider`) matches them. Pure: it reads Secret objects already fetched.
///
/// A credential's key is the location it was given for without its scheme and a leading `/v1/` or `/v2/`:
/// `https://index.docker.io/v1/` → `index.docker.io`, `registry.example:5000/team` → `registry.example:5000/team`.
/// It matches an image whose registry host is equal (each dot-separated label may be a `*`/`?` glob, ports must be
/// equal) and whose path starts with the key's path. Keys are tried most specific first (reverse order), and
/// credentials for `index.docker.io` also serve any Docker Hub image.
public struct DockerKeyring: Sendable, Equatable {
    /// Keys in reverse lexicographic order, so that `host/team` comes before `host`.
    public private(set) var keys: [String] = []
    public private(set) var credentials: [String: [AuthConfig]] = [:]
    /// Why a secret was not used (wrong type, bad JSON or base64), one line each, for the pod's events.
    public private(set) var problems: [String] = []

    public init() {}

    /// The credentials of `secrets` (Secret objects) in order: `kubernetes.io/dockerconfigjson` with
    /// `.dockerconfigjson` (`{"auths": {location: entry}}`) and `kubernetes.io/dockercfg` with `.dockercfg`
    /// (`{location: entry}`). Other secrets add nothing.
    public init(secrets: [JSON]) {
        for secret in secrets {
            let name = secret.name ?? "?"
            let type = secret["type"].stringValue ?? ""
            let key: String
            switch type {
            case "kubernetes.io/dockerconfigjson": key = ".dockerconfigjson"
            case "kubernetes.io/dockercfg": key = ".dockercfg"
            default:
                problems.append("secret \(name) is of type \(type), not kubernetes.io/dockerconfigjson")
                continue
            }
            guard let encoded = secret["data"][key].stringValue, let data = Data(base64Encoded: encoded),
                let config = try? JSON(parsing: data)
            else {
                problems.append("secret \(name) has no valid \(key)")
                continue
            }
            let entries = key == ".dockerconfigjson" ? config["auths"] : config
            for (location, entry) in entries.objectValue ?? JSONObject() {
                guard let credential = Self.credential(entry) else {
                    problems.append("secret \(name): the credentials for \(location) are not valid")
                    continue
                }
                add(location, credential)
            }
        }
    }

    /// A docker config entry: `username` and `password`, or `auth` (base64 `user:password`, which wins, as in
    /// kubelet), or an `identitytoken`.
    static func credential(_ entry: JSON) -> AuthConfig? {
        var credential = AuthConfig(
            username: entry["username"].stringValue ?? "", password: entry["password"].stringValue ?? "",
            identityToken: entry["identitytoken"].stringValue ?? "")
        if let auth = entry["auth"].stringValue, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            credential.username = String(text[..<colon])
            credential.password = String(text[text.index(after: colon)...])
        }
        return credential
    }

    /// Adds a credential for `location` (`host`, `host/path`, `https://host/v1/`, …).
    public mutating func add(_ location: String, _ credential: AuthConfig) {
        guard let key = Self.key(location) else { return }
        if credentials[key] == nil {
            keys.append(key)
            keys.sort(by: >)
        }
        credentials[key, default: []].append(credential)
    }

    /// The credentials to try for `image`, most specific first; empty when none match (pull anonymously).
    public func lookup(_ image: ImageRepository) -> [AuthConfig] {
        let target = image.description
        let matched = keys.filter { Self.matches(key: $0, target) }.flatMap { credentials[$0] ?? [] }
        if matched.isEmpty, image.registry == "docker.io", let hub = credentials["index.docker.io"] { return hub }
        return matched
    }

    /// The key kubelet files a location under: no scheme, no `/v1/` or `/v2/` prefix, no lone `/`.
    static func key(_ location: String) -> String? {
        var rest = Substring(location)
        for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let host = rest[..<slash]
        var path = rest[slash...]
        guard !host.isEmpty else { return nil }
        if path.hasPrefix("/v2/") || path.hasPrefix("/v1/") { path = path.dropFirst(3) }
        return path.isEmpty || path == "/" ? String(host) : String(host + path)
    }

    /// kubelet's `URLsMatchStr`: equal ports, host labels matched one by one as globs, the key's path a prefix.
    static func matches(key: String, _ target: String) -> Bool {
        func split(_ text: String) -> (host: Substring, port: Substring, path: Substring) {
            let slash = text.firstIndex(of: "/") ?? text.endIndex
            let authority = text[..<slash]
            guard let colon = authority.lastIndex(of: ":") else { return (authority, "", text[slash...]) }
            return (authority[..<colon], authority[authority.index(after: colon)...], text[slash...])
        }
        let (globHost, globPort, globPath) = split(key)
        let (host, port, path) = split(target)
        guard globPort == port else { return false }
        let globLabels = globHost.split(separator: ".", omittingEmptySubsequences: false)
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard globLabels.count == labels.count else { return false }
        for (glob, label) in zip(globLabels, labels) where !Self.glob(glob, matches: label) { return false }
        return path.hasPrefix(globPath)
    }

    /// `*` (any run of characters) and `?` (one character), as `filepath.Match` within one host label.
    static func glob(_ pattern: Substring, matches text: Substring) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        switch first {
        case "*":
            var rest = text
            while true {
                if glob(pattern.dropFirst(), matches: rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        case "?":
            return !text.isEmpty && glob(pattern.dropFirst(), matches: text.dropFirst())
        default:
            return text.first == first && glob(pattern.dropFirst(), matches: text.dropFirst())
        }
    }
}
