/// A registry endpoint as containerd's `hosts.toml` names it, normalized the way k3s does (and containerd would):
/// a scheme (https, or http for a loopback host on a port other than 443), Docker Hub's API host for `docker.io`,
/// and the `/v2` API root unless the URL gives a path of its own (then `override_path`). Pure.
public struct RegistryEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var scheme: String
    /// host[:port]
    public var host: String
    /// `/v2`, or the path the URL gave.
    public var path: String
    /// The URL's path is the API root itself (containerd must not append `/v2`).
    public var overridePath: Bool
    /// The registry this host answers for (`docker.io` for `registry-1.docker.io`), to find its `configs` entry.
    public var registry: String

    /// nil for an unusable URL: another scheme, no host, a query or a fragment.
    public init?(_ text: String) {
        var rest = Substring(text)
        var scheme: String?
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
            guard scheme == "http" || scheme == "https" else { return nil }
        }
        guard !rest.contains("?"), !rest.contains("#"), !rest.contains(where: \.isWhitespace) else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let port = Self.port(of: authority)
        if let port, port.isEmpty || !port.allSatisfy(\.isNumber) { return nil }
        self.scheme =
            scheme ?? (Self.isLoopback(Self.hostname(of: authority)) && port != nil && port != "443" ? "http" : "https")
        registry = authority == "registry-1.docker.io" ? "docker.io" : authority
        host = authority == "docker.io" ? "registry-1.docker.io" : authority
        switch rest[slash...] {
        case "", "/", "/v2", "/v2/":
            path = "/v2"
            overridePath = false
        case let other:
            path = String(other.hasSuffix("/") ? other.dropLast() : other)
            overridePath = true
        }
    }

    public var description: String { "\(scheme)://\(host)\(path)" }

    /// The port of `host:port` or `[v6]:port`, nil without one.
    static func port(of authority: String) -> Substring? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let after = authority[authority.index(after: close)...]
            return after.hasPrefix(":") ? after.dropFirst() : nil
        }
        guard let colon = authority.lastIndex(of: ":") else { return nil }
        return authority[authority.index(after: colon)...]
    }

    static func hostname(of authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        guard let colon = authority.lastIndex(of: ":") else { return authority }
        return String(authority[..<colon])
    }

    /// containerd's `IsLocalhost`: `localhost`, 127.0.0.0/8, ::1.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.") && host.split(separator: ".").count == 4
    }
}
