import SkiffModel
import Testing

@Suite("Discovery documents")
struct DiscoveryTests {
    let registry = ResourceRegistry()

    @Test func apiVersions() {
        let document = Discovery.apiVersions(serverAddress: "10.0.0.5:6443")
        #expect(document["kind"] == "APIVersions")
        #expect(document["versions"] == ["v1"])
        #expect(document["serverAddressByClientCIDRs"][0]["clientCIDR"] == "0.0.0.0/0")
        #expect(document["serverAddressByClientCIDRs"][0]["serverAddress"] == "10.0.0.5:6443")
    }

    @Test func groupListNamesEveryNamedGroupWithPreferredVersion() throws {
        let document = Discovery.groupList(registry)
        #expect(document["kind"] == "APIGroupList")
        #expect(document["apiVersion"] == "v1")
        let groups = try #require(document["groups"].arrayValue)
        let names = groups.compactMap { $0["name"].stringValue }
        let expected = Set(BuiltinResources.all.map(\.group).filter { !$0.isEmpty })
        #expect(Set(names) == expected)
        #expect(names.count == expected.count)
        #expect(!names.contains(""))
        let apps = try #require(groups.first { $0["name"] == "apps" })
        #expect(apps["versions"] == [["groupVersion": "apps/v1", "version": "v1"]])
        #expect(apps["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])
    }

    @Test func singleGroup() {
        let apps = Discovery.group(registry, name: "apps")
        #expect(apps?["kind"] == "APIGroup")
        #expect(apps?["name"] == "apps")
        #expect(apps?["preferredVersion"]["version"] == "v1")
        #expect(Discovery.group(registry, name: "nope.example.com") == nil)
        #expect(Discovery.group(registry, name: "") == nil)
    }

    @Test func coreResourceList() throws {
        let document = try #require(Discovery.resourceList(registry, groupVersion: "v1"))
        #expect(document["kind"] == "APIResourceList")
        #expect(document["groupVersion"] == "v1")
        let resources = try #require(document["resources"].arrayValue)
        let names = resources.compactMap { $0["name"].stringValue }
        #expect(names == names.sorted())

        let pods = try #require(resources.first { $0["name"] == "pods" })
        #expect(pods["singularName"] == "pod")
        #expect(pods["namespaced"] == true)
        #expect(pods["kind"] == "Pod")
        #expect(pods["shortNames"] == ["po"])
        #expect(pods["categories"] == ["all"])
        #expect(pods["verbs"].arrayValue?.contains("watch") == true)

        let nodes = try #require(resources.first { $0["name"] == "nodes" })
        #expect(nodes["namespaced"] == false)

        let log = try #require(resources.first { $0["name"] == "pods/log" })
        #expect(log == ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]])
        let exec = try #require(resources.first { $0["name"] == "pods/exec" })
        #expect(exec["kind"] == "PodExecOptions")
        #expect(exec["verbs"] == ["create", "get"])
        let status = try #require(resources.first { $0["name"] == "pods/status" })
        #expect(status["kind"] == "Pod")
        #expect(!status.contains(key: "group"))  // same group-version as the parent: not repeated
        let eviction = try #require(resources.first { $0["name"] == "pods/eviction" })
        #expect(eviction["group"] == "policy")
        #expect(eviction["version"] == "v1")
        #expect(eviction["kind"] == "Eviction")
        let nodeProxy = try #require(resources.first { $0["name"] == "nodes/proxy" })
        #expect(nodeProxy["kind"] == "NodeProxyOptions")

        let configMaps = try #require(resources.first { $0["name"] == "configmaps" })
        #expect(!configMaps.contains(key: "categories"))  // omitempty, as Go writes it
    }

    @Test func namedGroupResourceList() throws {
        let document = try #require(Discovery.resourceList(registry, groupVersion: "apps/v1"))
        #expect(document["groupVersion"] == "apps/v1")
        let resources = try #require(document["resources"].arrayValue)
        let scale = try #require(resources.first { $0["name"] == "deployments/scale" })
        #expect(scale["group"] == "autoscaling")
        #expect(scale["version"] == "v1")
        #expect(scale["kind"] == "Scale")
        #expect(scale["verbs"] == ["get", "patch", "update"])
        #expect(Discovery.resourceList(registry, groupVersion: "apps/v2") == nil)
        #expect(Discovery.resourceList(registry, groupVersion: "v2") == nil)
        let split = Discovery.resourceList(
            registry, groupVersion: ResourceRegistry.GroupVersion(group: "apps", version: "v1"))
        #expect(split == document)
    }

    @Test func everyBuiltinResourceIsDiscoverableBothWays() throws {
        let core = Discovery.aggregated(registry, core: true)
        let named = Discovery.aggregated(registry, core: false)
        for type in BuiltinResources.all {
            let list = try #require(Discovery.resourceList(registry, groupVersion: type.apiVersion))
            let legacy = try #require(list["resources"].arrayValue?.first { $0["name"] == .string(type.resource) })
            #expect(legacy["kind"] == .string(type.kind))
            #expect(legacy["singularName"] == .string(type.singular))
            #expect(legacy["namespaced"] == .bool(type.namespaced))
            #expect((legacy["shortNames"].arrayValue ?? []) == type.shortNames.map(JSON.string))
            #expect((legacy["categories"].arrayValue ?? []) == type.categories.map(JSON.string))
            #expect(legacy["verbs"].arrayValue?.isEmpty == false)  // kubectl api-resources hides verb-less entries
            for subresource in type.subresources {
                let entry = list["resources"].arrayValue?.first {
                    $0["name"] == .string("\(type.resource)/\(subresource.name)")
                }
                #expect(entry != nil, "\(type.resource)/\(subresource.name) missing")
            }

            let document = type.group.isEmpty ? core : named
            let group = try #require(
                document["items"].arrayValue?.first { ($0["metadata"]["name"].stringValue ?? "") == type.group })
            let version = try #require(group["versions"].arrayValue?.first { $0["version"] == .string(type.version) })
            #expect(version["freshness"] == "Current")
            let resource = try #require(
                version["resources"].arrayValue?.first { $0["resource"] == .string(type.resource) })
            #expect(resource["responseKind"]["kind"] == .string(type.kind))
            #expect(resource["responseKind"]["group"] == .string(type.group))
            #expect(resource["responseKind"]["version"] == .string(type.version))
            #expect(resource["scope"] == (type.namespaced ? "Namespaced" : "Cluster"))
            #expect(resource["singularResource"] == .string(type.singular))
            #expect((resource["shortNames"].arrayValue ?? []) == type.shortNames.map(JSON.string))
            let subresources = resource["subresources"].arrayValue ?? []
            #expect(
                Set(subresources.compactMap { $0["subresource"].stringValue }) == Set(type.subresources.map(\.name)))
            for subresource in subresources {
                // client-go needs responseKind present on every entry, kind or not.
                #expect(subresource["responseKind"].objectValue?.keys.sorted() == ["group", "kind", "version"])
                #expect(subresource["verbs"].arrayValue?.isEmpty == false)
            }
        }
    }

    @Test(arguments: [
        "pods", "services", "deployments", "replicasets", "daemonsets", "statefulsets", "jobs", "cronjobs",
    ])
    func allCategory(resource: String) throws {
        let type = try #require(registry.types.first { $0.resource == resource })
        let list = try #require(Discovery.resourceList(registry, groupVersion: type.apiVersion))
        let entry = list["resources"].arrayValue?.first { $0["name"] == .string(resource) }
        #expect(entry?["categories"] == ["all"])
    }

    @Test func aggregatedCoreDocument() throws {
        let document = Discovery.aggregated(registry, core: true)
        #expect(document["kind"] == "APIGroupDiscoveryList")
        #expect(document["apiVersion"] == "apidiscovery.k8s.io/v2")
        let items = try #require(document["items"].arrayValue)
        #expect(items.count == 1)
        #expect(items[0]["metadata"] == [:])  // the core group has an empty name, omitted as Go does
        let resources = try #require(items[0]["versions"][0]["resources"].arrayValue)
        let pods = try #require(resources.first { $0["resource"] == "pods" })
        #expect(pods["responseKind"] == ["group": "", "version": "v1", "kind": "Pod"])
        #expect(pods["categories"] == ["all"])
        let log = pods["subresources"].arrayValue?.first { $0["subresource"] == "log" }
        #expect(log?["responseKind"] == ["group": "", "version": "", "kind": "Pod"])
        #expect(log?["verbs"] == ["get"])
        let names = resources.compactMap { $0["resource"].stringValue }
        #expect(names == names.sorted())
    }

    @Test func aggregatedNamedGroups() throws {
        let document = Discovery.aggregated(registry, core: false, version: .v2beta1)
        #expect(document["apiVersion"] == "apidiscovery.k8s.io/v2beta1")
        let items = try #require(document["items"].arrayValue)
        #expect(!items.contains { $0["metadata"]["name"].isNull })
        let apps = try #require(items.first { $0["metadata"]["name"] == "apps" })
        let deployments = apps["versions"][0]["resources"].arrayValue?.first { $0["resource"] == "deployments" }
        #expect(deployments?["shortNames"] == ["deploy"])
        let scale = deployments?["subresources"].arrayValue?.first { $0["subresource"] == "scale" }
        #expect(scale?["responseKind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
    }

    @Test func documentsSurviveSerialization() throws {
        for document in [
            Discovery.apiVersions(serverAddress: "a:1"), Discovery.groupList(registry),
            Discovery.aggregated(registry, core: false),
            try #require(Discovery.resourceList(registry, groupVersion: "v1")),
        ] {
            #expect(try JSON(parsing: document.serializedString()) == document)
        }
    }

    @Test func customResourceGroupPrefersGAVersion() throws {
        let widgets = ["v1alpha1", "v1", "v1beta1"].map {
            ResourceType(group: "example.com", version: $0, kind: "Widget", resource: "widgets", namespaced: true)
        }
        let extended = registry.adding(widgets)
        let group = try #require(Discovery.group(extended, name: "example.com"))
        #expect(group["preferredVersion"]["groupVersion"] == "example.com/v1")
        #expect(
            group["versions"].arrayValue?.compactMap { $0["version"].stringValue } == ["v1", "v1beta1", "v1alpha1"])
        let aggregated = Discovery.aggregated(extended, core: false)
        let item = aggregated["items"].arrayValue?.first { $0["metadata"]["name"] == "example.com" }
        #expect(
            item?["versions"].arrayValue?.compactMap { $0["version"].stringValue } == ["v1", "v1beta1", "v1alpha1"])
    }

    @Test func versionPreference() {
        #expect(
            Discovery.sortedByPreference(["v1beta1", "foo", "v1", "v2alpha1", "v1alpha1", "v2", "v10beta3", "v1beta2"])
                == ["v2", "v1", "v10beta3", "v1beta2", "v1beta1", "v2alpha1", "v1alpha1", "foo"])
    }

    static let kubectlAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    @Test(arguments: [
        (kubectlAccept, DiscoveryFormat.aggregated(.v2)),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", .aggregated(.v2beta1)),
        ("application/json", .legacy),
        ("application/json, */*", .legacy),
        ("", .legacy),
        ("application/vnd.kubernetes.protobuf", .legacy),
        ("application/json;as=APIGroupDiscoveryList;v=v3;g=apidiscovery.k8s.io,application/json", .legacy),
        (
            "application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            .aggregated(.v2)
        ),
        ("Application/JSON; AS=APIGroupDiscoveryList; G=apidiscovery.k8s.io; V=v2", .aggregated(.v2)),
    ])
    func negotiation(accept: String, expected: DiscoveryFormat) {
        #expect(DiscoveryFormat.negotiate(accept: accept) == expected)
    }

    @Test func negotiatedContentTypes() {
        #expect(DiscoveryFormat.negotiate(accept: nil) == .legacy)
        #expect(DiscoveryFormat.aggregated(.v2).contentType == Discovery.aggregatedV2ContentType)
        #expect(
            DiscoveryFormat.aggregated(.v2beta1).contentType
                == "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
        #expect(DiscoveryFormat.legacy.contentType == "application/json")
    }

    @Test func mediaRangeParsing() throws {
        let ranges = MediaRange.parseAccept(
            #"text/plain;q=0.2, application/json;as=Table;v="v1";g=meta.k8s.io, */*;q=0"#)
        #expect(ranges.count == 2)  // q=0 means "not acceptable"
        let table = try #require(ranges.first)
        #expect(table.type == "application" && table.subtype == "json")
        #expect(table.representation == "Table")
        #expect(table.version == "v1")
        #expect(table.group == "meta.k8s.io")
        #expect(table.acceptsJSON)
        #expect(ranges[1].quality == 0.2)
        #expect(!ranges[1].acceptsJSON)
        #expect(MediaRange.parseAccept("garbage, application/json").map(\.subtype) == ["json"])
        #expect(MediaRange.parseAccept(nil).isEmpty)
    }
}
