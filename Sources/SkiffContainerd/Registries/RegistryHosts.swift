/// containerd's per-registry `hosts.toml` files (under the CRI plugin's `config_path`) for a `RegistriesConfig`, as
/// k3s renders them: the mirror endpoints in order as `[host."…"]` entries with their TLS settings and rewrites, and
/// the registry itself as `server`, tried last. Pure: `files(_:)` returns directory name → file text.
///
/// Credentials are not here: containerd 1.6's hosts files have no field for them, so they go into `config.toml`
/// (`ContainerdConfig`), which containerd consults by host alongside `config_path`.
public enum RegistryHosts {
    /// The first line of every file skiff writes; a directory whose `hosts.toml` starts with it is skiff's to remove.
    public static let header = "# Written by skiff from registries.yaml; edits are overwritten."

    /// The directory of the `*` mirror, which containerd uses for any registry without a directory of its own.
    public static let defaultDirectory = "_default"

    struct Endpoint: Equatable {
        var url: RegistryEndpoint
        var config: RegistriesConfig.HostConfig?
        var rewrites: [RegistriesConfig.Rewrite] = []

        /// Whether the entry says anything containerd would not assume for the URL by itself.
        var isConfigured: Bool { url.overridePath || config?.tls != nil || config?.auth != nil || !rewrites.isEmpty }
    }

    struct Plan: Equatable {
        /// The registry itself; nil for `*`.
        var server: Endpoint?
        var endpoints: [Endpoint] = []
    }

    /// One file per registry that has mirrors or settings, by directory name (`docker.io`, `127.0.0.1:5000`,
    /// `_default`).
    public static func files(_ config: RegistriesConfig) -> [String: String] {
        plans(config).mapValues(render)
    }

    static func plans(_ config: RegistriesConfig) -> [String: Plan] {
        func server(_ registry: String, _ hostConfig: RegistriesConfig.HostConfig?) -> Endpoint? {
            registry == "*" ? nil : RegistryEndpoint(registry).map { Endpoint(url: $0, config: hostConfig) }
        }
        var plans: [String: Plan] = [:]
        for (host, hostConfig) in config.configs {
            plans[directory(host)] = Plan(server: server(host, hostConfig))
        }
        for (registry, mirror) in config.mirrors {
            var plan = plans[directory(registry)] ?? Plan(server: server(registry, config.config(forHost: registry)))
            var seen: Set<RegistryEndpoint> = []
            for (index, text) in mirror.endpoints.enumerated() {
                guard let url = RegistryEndpoint(text), seen.insert(url).inserted else { continue }
                let endpoint = Endpoint(
                    url: url, config: config.config(forHost: url.registry), rewrites: mirror.rewrites)
                // The registry named again as the last endpoint is the server itself (k3s does the same).
                if index == mirror.endpoints.count - 1, url == plan.server?.url, endpoint.rewrites.isEmpty {
                    plan.server = endpoint
                } else {
                    plan.endpoints.append(endpoint)
                }
            }
            plans[directory(registry)] = plan
        }
        return plans.filter { !$0.value.endpoints.isEmpty || $0.value.server?.isConfigured == true }
    }

    static func directory(_ registry: String) -> String { registry == "*" ? defaultDirectory : registry }

    static func render(_ plan: Plan) -> String {
        var lines = [header]
        var endpoints = plan.endpoints
        if let server = plan.server {
            lines.append("server = \(toml(server.url.description))")
            lines += settings(server, indent: "")
            // containerd 1.6 refuses a file without a [host] table (and falls back to no settings at all), so a
            // registry without mirrors lists itself once more as its one host.
            if endpoints.isEmpty { endpoints.append(server) }
        }
        for endpoint in endpoints {
            let table = "host.\(toml(endpoint.url.description))"
            lines.append("")
            lines.append("[\(table)]")
            lines += settings(endpoint, indent: "  ")
            if !endpoint.rewrites.isEmpty {
                lines.append("  [\(table).rewrite]")
                for rewrite in endpoint.rewrites {
                    lines.append("    \(toml(rewrite.pattern)) = \(toml(rewrite.replacement))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func settings(_ endpoint: Endpoint, indent: String) -> [String] {
        var lines = [#"capabilities = ["pull", "resolve"]"#]
        if endpoint.url.overridePath { lines.append("override_path = true") }
        if let tls = endpoint.config?.tls {
            if !tls.caFile.isEmpty { lines.append("ca = [\(toml(tls.caFile))]") }
            if !tls.certFile.isEmpty || !tls.keyFile.isEmpty {
                lines.append("client = [[\(toml(tls.certFile)), \(toml(tls.keyFile))]]")
            }
            if tls.insecureSkipVerify { lines.append("skip_verify = true") }
        }
        return lines.map { indent + $0 }
    }

    /// A TOML basic string.
    static func toml(_ value: String) -> String { TOMLString.quoted(value) }
}

extension RegistriesConfig {
    /// The settings for a registry host: under its own name, or under Docker Hub's API host for `docker.io`.
    public func config(forHost host: String) -> HostConfig? {
        if host == "docker.io", let hub = configs["registry-1.docker.io"] { return hub }
        return configs[host]
    }
}
