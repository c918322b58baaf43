/// An image reference reduced to its repository, the way kubelet names the image it looks credentials up for
/// (docker's `ParseNormalizedNamed` without tag or digest): `busybox:1.36` → `docker.io/library/busybox`,
/// `127.0.0.1:5000/e2e/box:1` → `127.0.0.1:5000/e2e/box`. Pure.
public struct ImageRepository: Sendable, Equatable, CustomStringConvertible {
    /// The registry host, with its port: `docker.io`, `127.0.0.1:5000`.
    public var registry: String
    /// The path inside the registry: `library/busybox`.
    public var path: String

    /// nil when `image` is empty or has an empty path component.
    public init?(_ image: String) {
        var name = Substring(image)
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        // A tag is what follows the last colon of the last path component (a colon before it is a port).
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = name[..<colon] }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { return nil }
        // docker's rule: the first component is a registry only if it looks like a host.
        if components.count > 1,
            components[0].contains(".") || components[0].contains(":") || components[0] == "localhost"
                || components[0].contains(where: \.isUppercase)
        {
            registry = components[0] == "index.docker.io" ? "docker.io" : String(components[0])
            path = components.dropFirst().joined(separator: "/")
        } else {
            registry = "docker.io"
            path = components.joined(separator: "/")
        }
        if registry == "docker.io" && !path.contains("/") { path = "library/" + path }
    }

    public var description: String { "\(registry)/\(path)" }
}
