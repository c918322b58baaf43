import Logging
import SkiffAPIServer
import SkiffClient
import SkiffModel
import SkiffStore
import Testing

/// What the server publishes for joining agents (`kube-system/skiff-config`), against a real registry.
@Suite struct ClusterSettingsTests {
    @Test func theServerPublishesItsSettingsAndAnAgentReadsThemBack() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        #expect(try await api.clusterSettings() == nil, "nothing published yet: the agent falls back to defaults")
        let first = ClusterSettings(
            clusterCIDR: "10.100.0.0/16", serviceCIDR: "10.101.0.0/16", clusterDNS: "10.101.0.53")
        try await api.publish(first)
        #expect(try await api.clusterSettings() == first)
        // A restart with the same flags writes nothing; with other flags the data follows.
        let configMaps = api.type("", "v1", "configmaps")
        let version = try await api.get(configMaps, namespace: "kube-system", name: "skiff-config").resourceVersion
        try await api.publish(first)
        #expect(
            try await api.get(configMaps, namespace: "kube-system", name: "skiff-config").resourceVersion == version)
        var second = first
        second.clusterDNS = "10.101.0.10"
        try await api.publish(second)
        #expect(try await api.clusterSettings() == second)
    }

    @Test func anIncompleteConfigMapIsNoSettings() {
        var configMap = ClusterSettings(
            clusterCIDR: "10.42.0.0/16", serviceCIDR: "10.43.0.0/16", clusterDNS: "10.43.0.10"
        ).configMap
        #expect(ClusterSettings(configMap: configMap)?.clusterDomain == "cluster.local")
        configMap["data"]["cluster-dns"] = ""
        #expect(ClusterSettings(configMap: configMap) == nil)
        configMap["data"] = ["cluster-cidr": "10.42.0.0/16"]
        #expect(ClusterSettings(configMap: configMap) == nil)
    }
}
