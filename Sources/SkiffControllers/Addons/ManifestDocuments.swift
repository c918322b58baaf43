import SkiffModel

/// The objects of one auto-deploy manifest, checked and put in apply order; pure.
///
/// A file holds one or more YAML documents; a `kind: List` (or `…List`) document contributes its items. Every object
/// needs `apiVersion`, `kind` and `metadata.name` (server-side apply names what it applies). Namespaces and
/// CustomResourceDefinitions go first, so a file can declare a namespace or a type and use it; otherwise the file's
/// order is kept.
public struct ManifestDocuments: Sendable, Equatable {
    public var objects: [JSON]

    /// Why a manifest's documents cannot be applied: names the document (1-based, as a person counts `---`).
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(documents: [JSON]) throws(Invalid) {
        var objects: [JSON] = []
        for (index, document) in documents.enumerated() {
            guard case .object = document else {
                throw Invalid(message: "document \(index + 1): not an object")
            }
            if let kind = document.kind, kind.hasSuffix("List"), case .array(let items) = document["items"] {
                for (itemIndex, item) in items.enumerated() {
                    try Self.check(item, at: "document \(index + 1), item \(itemIndex + 1)")
                    objects.append(item)
                }
            } else {
                try Self.check(document, at: "document \(index + 1)")
                objects.append(document)
            }
        }
        // A stable sort: namespaces, then definitions, then the rest in the file's order.
        self.objects = objects.enumerated().sorted { lhs, rhs in
            let (left, right) = (Self.rank(lhs.element), Self.rank(rhs.element))
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    private static func check(_ object: JSON, at place: String) throws(Invalid) {
        guard case .object = object else { throw Invalid(message: "\(place): not an object") }
        guard let apiVersion = object.apiVersion, !apiVersion.isEmpty else {
            throw Invalid(message: "\(place): apiVersion is not set")
        }
        guard let kind = object.kind, !kind.isEmpty else { throw Invalid(message: "\(place): kind is not set") }
        guard let name = object.name, !name.isEmpty else {
            throw Invalid(message: "\(place): \(kind) has no metadata.name (generateName cannot be applied)")
        }
    }

    private static func rank(_ object: JSON) -> Int {
        AddonObjectReference(apiVersion: "", kind: object.kind ?? "", namespace: nil, name: "").applyRank
    }
}

/// What to do after a manifest's objects were applied: the previously applied objects no longer declared, in
/// delete order (the reverse of apply order: a namespace or a definition last).
public enum AddonPruning {
    public static func stale(previous: [AddonObjectReference], current: Set<AddonObjectReference>)
        -> [AddonObjectReference]
    {
        Array(Set(previous).subtracting(current)).sorted().reversed()
    }
}

/// The Addon a manifest file is tracked by: its path in the manifests folder without the extension, made a valid
/// object name (`monitoring/agent.yaml` → `monitoring-agent`), as k3s names its Addons after the file.
public enum AddonName {
    public static func forManifest(_ relativePath: String) -> String {
        var base = relativePath
        for suffix in [".yaml", ".yml", ".json"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        var name = ""
        for character in base.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber || character == "-" || character == "." {
                name.append(character)
            } else {
                name.append("-")
            }
        }
        // Starts and ends alphanumeric, at most 253 characters.
        while let first = name.first, !(first.isLetter || first.isNumber) { name.removeFirst() }
        if name.count > 253 { name = String(name.prefix(253)) }
        while let last = name.last, !(last.isLetter || last.isNumber) { name.removeLast() }
        return name.isEmpty ? "manifest" : name
    }
}

/// Which files of the manifests folder are manifests: `.yaml`, `.yml` and `.json`, not hidden, and not disabled by a
/// `<name>.skip` twin (k3s' convention).
public enum ManifestSelection {
    public static func manifests(among relativePaths: [String]) -> [String] {
        let present = Set(relativePaths)
        return relativePaths.filter { path in
            let file = path.split(separator: "/").last.map(String.init) ?? path
            guard !file.hasPrefix("."), [".yaml", ".yml", ".json"].contains(where: { file.hasSuffix($0) }) else {
                return false
            }
            return !present.contains(path + ".skip")
        }.sorted()
    }
}
