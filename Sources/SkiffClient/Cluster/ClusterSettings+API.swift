import SkiffModel

extension ClusterAPI {
    /// Writes `settings` as `kube-system/skiff-config`: created, or its data replaced when it differs (a server
    /// restarted with other flags).
    public func publish(_ settings: ClusterSettings) async throws(APIError) {
        let configMaps = type("", "v1", "configmaps")
        do {
            _ = try await create(
                configMaps, namespace: ClusterSettings.namespace, object: settings.configMap,
                fieldManager: "skiff-server")
        } catch  where error.code == 409 {
            let live = try await get(configMaps, namespace: ClusterSettings.namespace, name: ClusterSettings.name)
            guard ClusterSettings(configMap: live) != settings else { return }
            _ = try await patch(
                configMaps, namespace: ClusterSettings.namespace, name: ClusterSettings.name,
                patch: ["data": settings.configMap["data"]], patchType: .merge, subresource: nil,
                fieldManager: "skiff-server")
        }
    }

    /// The settings the server published; nil when it published none (a server from before they were published)
    /// or they are incomplete.
    public func clusterSettings() async throws(APIError) -> ClusterSettings? {
        do {
            let configMap = try await get(
                type("", "v1", "configmaps"), namespace: ClusterSettings.namespace, name: ClusterSettings.name)
            return ClusterSettings(configMap: configMap)
        } catch  where error.code == 404 {
            return nil
        }
    }
}
