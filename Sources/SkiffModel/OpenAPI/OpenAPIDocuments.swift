/// The `/openapi/v3` index and one OpenAPI 3.0 document per served group-version, generated from the resource and
/// schema registries. Built once (documents are serialized eagerly so every request serves the same bytes) and then
/// immutable.
///
/// kubectl needs these for `explain` (component schemas carrying `x-kubernetes-group-version-kind`) and for
/// `apply`/`create -f` with the default `--validate=strict` (a PATCH operation per kind that declares the
/// `fieldValidation` query parameter, so validation is left to the server).
public struct OpenAPIDocuments: Sendable {
    /// One group-version document.
    public struct Document: Sendable {
        /// The index key, e.g. `api/v1` or `apis/apps/v1`.
        public var path: String
        /// The serialized document.
        public var bytes: [UInt8]
        /// Upper-case hex SHA-256 of `bytes`, used in the index's `serverRelativeURL`.
        public var hash: String

        /// The URL the index advertises: `/openapi/v3/apis/apps/v1?hash=…`.
        public var serverRelativeURL: String { "/openapi/v3/\(path)?hash=\(hash)" }
    }

    /// The documents by index key (`api/v1`, `apis/apps/v1`).
    public let documents: [String: Document]
    /// The serialized index: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}`.
    public let indexBytes: [UInt8]

    /// Generates every document for the group-versions `resources` serves, with types from `schemas`.
    public init(
        resources: ResourceRegistry = ResourceRegistry(), schemas: SchemaRegistry = BuiltinSchemas.registry,
        kubernetesVersion: String = "v1.32.4"
    ) {
        var documents: [String: Document] = [:]
        var index = JSONObject()
        for groupVersion in resources.groupVersions {
            let builder = OpenAPIDocumentBuilder(
                groupVersion: groupVersion, resources: resources.types(in: groupVersion), schemas: schemas,
                kubernetesVersion: kubernetesVersion)
            let bytes = builder.document().serialized()
            let path = groupVersion.group.isEmpty ? "api/\(groupVersion.version)" : "apis/\(groupVersion.string)"
            let document = Document(path: path, bytes: bytes, hash: SHA256Digest.hexDigest(bytes))
            documents[path] = document
            index[path] = ["serverRelativeURL": .string(document.serverRelativeURL)]
        }
        self.documents = documents
        self.indexBytes = JSON.object(["paths": .object(index)]).serialized()
    }

    /// The document for a request path below `/openapi/v3/` (`apis/apps/v1`, with or without a leading slash).
    public func document(at path: String) -> Document? {
        var key = Substring(path)
        while key.hasPrefix("/") { key = key.dropFirst() }
        while key.hasSuffix("/") { key = key.dropLast() }
        return documents[String(key)]
    }
}
