import SkiffClient
import SkiffModel

/// A `ClusterAPI` that forwards every call to `base`, first telling `beforeRead` of each list (`"list"`) and watch
/// (`"watch <resourceVersion>"`): tests record the reads an informer makes, or hold one back.
struct InterceptedClusterAPI: ClusterAPI {
    let base: any ClusterAPI
    let beforeRead: @Sendable (_ call: String, _ type: ResourceType) async -> Void

    var resources: ResourceRegistry { base.resources }

    func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await base.get(type, namespace: namespace, name: name)
    }
    func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError) -> ObjectList {
        await beforeRead("list", type)
        return try await base.list(type, namespace: namespace, options: options)
    }
    func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        await beforeRead("watch \(resourceVersion)", type)
        return try await base.watch(type, namespace: namespace, resourceVersion: resourceVersion, options: options)
    }
    func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String) async throws(APIError)
        -> JSON
    {
        try await base.create(type, namespace: namespace, object: object, fieldManager: fieldManager)
    }
    func update(_ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String)
        async throws(APIError) -> JSON
    {
        try await base.update(
            type, namespace: namespace, object: object, subresource: subresource, fieldManager: fieldManager)
    }
    func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        try await base.patch(
            type, namespace: namespace, name: name, patch: patch, patchType: patchType, subresource: subresource,
            fieldManager: fieldManager)
    }
    func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        try await base.delete(type, namespace: namespace, name: name, options: options)
    }
    func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        try await base.post(type, namespace: namespace, name: name, subresource: subresource, body: body)
    }
}
