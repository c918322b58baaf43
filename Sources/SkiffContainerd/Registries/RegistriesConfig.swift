import SkiffModel

/// `registries.yaml` in k3s' shape: per-registry mirrors (endpoints tried in order, path rewrites) and per-host
/// settings (credentials, TLS). Pure: built from the decoded document, every field checked, unknown keys refused
/// so that a typo (`endpoints:`) never silently drops a mirror.
///
/// ```yaml
/// mirrors:
///   docker.io:
///     endpoint: ["https://mirror.internal:5000"]
///     rewrite: {"^library/(.*)": "hub/library/$1"}
/// configs:
///   mirror.internal:5000:
///     auth: {username: edge, password: secret}
///     tls: {ca_file: /etc/ssl/mirror-ca.pem}
/// ```
public struct RegistriesConfig: Sendable, Equatable {
    /// Where a registry's images are pulled from, in order; the registry itself is tried last.
    public struct Mirror: Sendable, Equatable {
        public var endpoints: [String]
        /// Repository rewrites (regular expression → replacement), in the file's order.
        public var rewrites: [Rewrite]

        public init(endpoints: [String] = [], rewrites: [Rewrite] = []) {
            self.endpoints = endpoints
            self.rewrites = rewrites
        }
    }

    public struct Rewrite: Sendable, Equatable {
        public var pattern: String
        public var replacement: String

        public init(pattern: String, replacement: String) {
            self.pattern = pattern
            self.replacement = replacement
        }
    }

    /// Credentials for one registry host: a user name and password, docker's base64 `auth`, or an identity token.
    public struct Auth: Sendable, Equatable {
        public var username = ""
        public var password = ""
        public var auth = ""
        public var identityToken = ""

        public init(username: String = "", password: String = "", auth: String = "", identityToken: String = "") {
            self.username = username
            self.password = password
            self.auth = auth
            self.identityToken = identityToken
        }
    }

    public struct TLS: Sendable, Equatable {
        public var caFile = ""
        public var certFile = ""
        public var keyFile = ""
        public var insecureSkipVerify = false

        public init(caFile: String = "", certFile: String = "", keyFile: String = "", insecureSkipVerify: Bool = false)
        {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecureSkipVerify = insecureSkipVerify
        }
    }

    public struct HostConfig: Sendable, Equatable {
        public var auth: Auth?
        public var tls: TLS?

        public init(auth: Auth? = nil, tls: TLS? = nil) {
            self.auth = auth
            self.tls = tls
        }
    }

    /// By registry name (`docker.io`, `registry.example:5000`, or `*` for every registry).
    public var mirrors: [String: Mirror]
    /// By registry or endpoint host (`registry.example:5000`).
    public var configs: [String: HostConfig]

    public init(mirrors: [String: Mirror] = [:], configs: [String: HostConfig] = [:]) {
        self.mirrors = mirrors
        self.configs = configs
    }

    public var isEmpty: Bool { mirrors.isEmpty && configs.isEmpty }

    /// Reads the decoded document (null, an empty file, is an empty config).
    public init(json: JSON) throws(RegistriesConfigError) {
        self.init()
        if json.isNull { return }
        let root = try Self.object(json, at: "")
        try Self.refuseUnknownKeys(root, allowed: ["mirrors", "configs"], at: "")
        for (registry, value) in try Self.object(root["mirrors"] ?? .null, at: "mirrors", optional: true) {
            let field = "mirrors.\(registry)"
            guard registry == "*" || Self.isHostName(registry) else {
                throw RegistriesConfigError(field: field, "not a registry host[:port] or \"*\"")
            }
            let mirror = try Self.object(value, at: field, optional: true)
            try Self.refuseUnknownKeys(mirror, allowed: ["endpoint", "rewrite"], at: field)
            var endpoints: [String] = []
            for (index, endpoint) in try Self.array(mirror["endpoint"] ?? .null, at: "\(field).endpoint").enumerated() {
                let at = "\(field).endpoint[\(index)]"
                guard let text = endpoint.stringValue else { throw RegistriesConfigError(field: at, "must be a URL") }
                guard RegistryEndpoint(text) != nil else {
                    throw RegistriesConfigError(field: at, "\"\(text)\" is not an http(s)://host[:port][/path] URL")
                }
                endpoints.append(text)
            }
            var rewrites: [Rewrite] = []
            for (pattern, replacement) in try Self.object(
                mirror["rewrite"] ?? .null, at: "\(field).rewrite", optional: true)
            {
                guard !pattern.isEmpty, let replacement = replacement.stringValue else {
                    throw RegistriesConfigError(
                        field: "\(field).rewrite", "must map regular expressions to replacement strings")
                }
                rewrites.append(Rewrite(pattern: pattern, replacement: replacement))
            }
            mirrors[registry] = Mirror(endpoints: endpoints, rewrites: rewrites)
        }
        for (host, value) in try Self.object(root["configs"] ?? .null, at: "configs", optional: true) {
            let field = "configs.\(host)"
            guard host == "*" || Self.isHostName(host) else {
                throw RegistriesConfigError(field: field, "not a registry host[:port] or \"*\"")
            }
            let config = try Self.object(value, at: field, optional: true)
            try Self.refuseUnknownKeys(config, allowed: ["auth", "tls"], at: field)
            var hostConfig = HostConfig()
            if let value = config["auth"], !value.isNull {
                let auth = try Self.object(value, at: "\(field).auth")
                try Self.refuseUnknownKeys(
                    auth, allowed: ["username", "password", "auth", "identitytoken"], at: "\(field).auth")
                hostConfig.auth = Auth(
                    username: try Self.string(auth, "username", at: "\(field).auth"),
                    password: try Self.string(auth, "password", at: "\(field).auth"),
                    auth: try Self.string(auth, "auth", at: "\(field).auth"),
                    identityToken: try Self.string(auth, "identitytoken", at: "\(field).auth"))
            }
            if let value = config["tls"], !value.isNull {
                let tls = try Self.object(value, at: "\(field).tls")
                try Self.refuseUnknownKeys(
                    tls, allowed: ["ca_file", "cert_file", "key_file", "insecure_skip_verify"], at: "\(field).tls")
                var settings = TLS(
                    caFile: try Self.string(tls, "ca_file", at: "\(field).tls"),
                    certFile: try Self.string(tls, "cert_file", at: "\(field).tls"),
                    keyFile: try Self.string(tls, "key_file", at: "\(field).tls"))
                if let skip = tls["insecure_skip_verify"], !skip.isNull {
                    guard let flag = skip.boolValue else {
                        throw RegistriesConfigError(field: "\(field).tls.insecure_skip_verify", "must be true or false")
                    }
                    settings.insecureSkipVerify = flag
                }
                hostConfig.tls = settings
            }
            configs[host] = hostConfig
        }
    }

    /// `host`, `host:port` or `[v6]:port`: it names a directory under certs.d, so nothing else gets through.
    static func isHostName(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first.isNumber || first == "[" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:[]".contains($0)) }
            && !text.contains("..")
    }

    private static func object(_ value: JSON, at field: String, optional: Bool = false) throws(RegistriesConfigError)
        -> JSONObject
    {
        if optional && value.isNull { return JSONObject() }
        guard let object = value.objectValue else {
            throw RegistriesConfigError(field: field.isEmpty ? "(top level)" : field, "must be a mapping")
        }
        return object
    }

    private static func array(_ value: JSON, at field: String) throws(RegistriesConfigError) -> [JSON] {
        if value.isNull { return [] }
        guard let array = value.arrayValue else { throw RegistriesConfigError(field: field, "must be a list") }
        return array
    }

    private static func string(_ object: JSONObject, _ key: String, at field: String) throws(RegistriesConfigError)
        -> String
    {
        guard let value = object[key], !value.isNull else { return "" }
        guard let text = value.stringValue else {
            throw RegistriesConfigError(field: "\(field).\(key)", "must be a string")
        }
        return text
    }

    private static func refuseUnknownKeys(_ object: JSONObject, allowed: [String], at field: String)
        throws(RegistriesConfigError)
    {
        for key in object.keys where !allowed.contains(key) {
            throw RegistriesConfigError(
                field: field.isEmpty ? key : "\(field).\(key)",
                "unknown field (expected \(allowed.joined(separator: ", ")))")
        }
    }
}

/// A `registries.yaml` that cannot be used: the field (`mirrors.docker.io.endpoint[0]`) and what is wrong with it.
public struct RegistriesConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
