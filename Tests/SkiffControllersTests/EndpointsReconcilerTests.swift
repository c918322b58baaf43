import SkiffModel
import Testing

@testable import SkiffControllers

/// The pure endpoints/EndpointSlice reconcile: desired objects from a Service and pods, writes only on change.
@Suite struct EndpointsReconcilerTests {
    static func service(
        selector: [String: String]? = ["app": "web"],
        ports: [JSON] = [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080]],
        clusterIP: String = "10.43.1.1"
    ) -> JSON {
        var service: JSON = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": "web", "namespace": "default", "uid": "svc-uid", "labels": ["app": "web"]],
            "spec": ["type": "ClusterIP", "clusterIP": .string(clusterIP), "ports": .array(ports)],
        ]
        if let selector {
            service["spec"]["selector"] = .object(
                JSONObject(selector.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
        }
        return service
    }

    static func pod(
        _ name: String, ip: String?, ready: Bool = true, labels: JSON = ["app": "web"], namespace: String = "default",
        phase: String = "Running", ports: [JSON] = [], terminating: Bool = false
    ) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": .string("uid-\(name)"), "labels": labels,
            ],
            "spec": ["nodeName": "sim-0", "containers": [["name": "app", "image": "nginx", "ports": .array(ports)]]],
            "status": [
                "phase": .string(phase),
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ]
        if let ip { pod["status"]["podIP"] = .string(ip) }
        if terminating { pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        return pod
    }

    func reconcile(_ service: JSON?, _ pods: [JSON], endpoints: JSON? = nil, slices: [JSON] = []) -> [EndpointsAction] {
        EndpointsReconciler.reconcile(
            namespace: "default", name: "web", service: service, pods: pods, endpoints: endpoints, slices: slices)
    }

    func created(_ actions: [EndpointsAction], _ resource: EndpointsResource) -> [JSON] {
        actions.compactMap { if case .create(resource, let object) = $0 { object } else { nil } }
    }

    @Test func readyAndNotReadyPodsWithResolvedPorts() throws {
        let pods = [
            Self.pod("b", ip: "10.42.0.3"), Self.pod("a", ip: "10.42.0.2"),
            Self.pod("c", ip: "10.42.0.4", ready: false),
            Self.pod("no-ip", ip: nil), Self.pod("other", ip: "10.42.0.9", labels: ["app": "db"]),
            Self.pod("elsewhere", ip: "10.42.0.8", namespace: "kube-system"),
            Self.pod("done", ip: "10.42.0.7", phase: "Succeeded"),
        ]
        let actions = reconcile(Self.service(), pods)
        let endpoints = try #require(created(actions, .endpoints).first)
        #expect(endpoints["metadata"]["name"] == "web" && endpoints["metadata"]["labels"]["app"] == "web")
        let subset = endpoints["subsets"][0]
        #expect(subset["addresses"].arrayValue?.map { $0["ip"] } == ["10.42.0.2", "10.42.0.3"])
        #expect(
            subset["addresses"][0]["targetRef"] == ["kind": "Pod", "namespace": "default", "name": "a", "uid": "uid-a"])
        #expect(subset["addresses"][0]["nodeName"] == "sim-0")
        #expect(subset["notReadyAddresses"].arrayValue?.map { $0["ip"] } == ["10.42.0.4"])
        #expect(subset["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])

        let slice = try #require(created(actions, .endpointSlices).first)
        #expect(created(actions, .endpointSlices).count == 1)
        #expect(slice["metadata"]["generateName"] == "web-")
        #expect(slice["metadata"]["labels"]["kubernetes.io/service-name"] == "web")
        #expect(
            slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
        #expect(
            slice["metadata"]["ownerReferences"][0]["uid"] == "svc-uid"
                && slice["metadata"]["ownerReferences"][0]["controller"] == true)
        #expect(slice["addressType"] == "IPv4")
        #expect(slice["endpoints"].arrayValue?.count == 3)
        #expect(slice["endpoints"][2]["conditions"] == ["ready": false, "serving": false, "terminating": false])
        #expect(slice["endpoints"][0]["conditions"] == ["ready": true, "serving": true, "terminating": false])
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
    }

    @Test func namedTargetPortsResolvePerPodAndPodsWithoutThePortAreLeftOut() throws {
        let service = Self.service(ports: [["port": 80, "protocol": "TCP", "targetPort": "web"]])
        let pods = [
            Self.pod("a", ip: "10.42.0.2", ports: [["name": "web", "containerPort": 8080, "protocol": "TCP"]]),
            Self.pod("b", ip: "10.42.0.3", ports: [["name": "web", "containerPort": 9090]]),
            Self.pod("c", ip: "10.42.0.4", ports: [["name": "metrics", "containerPort": 9100]]),
        ]
        let actions = reconcile(service, pods)
        let subsets = try #require(created(actions, .endpoints).first?["subsets"].arrayValue)
        #expect(subsets.count == 2)
        #expect(
            subsets[0]["ports"] == [["port": 8080, "protocol": "TCP"]]
                && subsets[0]["addresses"][0]["ip"] == "10.42.0.2")
        #expect(
            subsets[1]["ports"] == [["port": 9090, "protocol": "TCP"]]
                && subsets[1]["addresses"][0]["ip"] == "10.42.0.3")
        let slices = created(actions, .endpointSlices)
        #expect(slices.count == 2, "one slice per port set")
        #expect(slices.map { $0["ports"][0]["port"] } == [8080, 9090])
    }

    @Test func servicesWithoutSelectorAreLeftToTheirOwners() {
        let userEndpoints: JSON = [
            "metadata": ["name": "web", "namespace": "default"], "subsets": [["addresses": [["ip": "1.2.3.4"]]]],
        ]
        #expect(
            reconcile(Self.service(selector: nil), [Self.pod("a", ip: "10.42.0.2")], endpoints: userEndpoints).isEmpty)
        #expect(reconcile(Self.service(selector: [:]), [Self.pod("a", ip: "10.42.0.2")]).isEmpty)
    }

    @Test func nothingIsWrittenWhenTheObjectsAreCurrent() throws {
        let service = Self.service()
        let pods = [Self.pod("a", ip: "10.42.0.2")]
        let first = reconcile(service, pods)
        var endpoints = try #require(created(first, .endpoints).first)
        endpoints["metadata"]["resourceVersion"] = "7"
        var slice = try #require(created(first, .endpointSlices).first)
        slice["metadata"]["name"] = "web-abcde"
        #expect(reconcile(service, pods, endpoints: endpoints, slices: [slice]).isEmpty)

        // A pod turning not-ready updates both in place.
        let changed = reconcile(
            service, [Self.pod("a", ip: "10.42.0.2", ready: false)], endpoints: endpoints, slices: [slice])
        #expect(changed.count == 2)
        guard case .update(.endpoints, let updated) = changed[0],
            case .update(.endpointSlices, let updatedSlice) = changed[1]
        else {
            Issue.record("expected two updates, got \(changed)")
            return
        }
        #expect(updated["metadata"]["resourceVersion"] == "7" && updated["subsets"][0]["addresses"].isNull)
        #expect(updatedSlice.name == "web-abcde" && updatedSlice["endpoints"][0]["conditions"]["ready"] == false)
    }

    @Test func noPodsGiveEmptyEndpointsAndAPlaceholderSlice() throws {
        let actions = reconcile(Self.service(), [])
        let endpoints = try #require(created(actions, .endpoints).first)
        #expect(endpoints["subsets"].isNull)
        let slice = try #require(created(actions, .endpointSlices).first)
        #expect(slice["endpoints"] == [] && slice["ports"] == [])
    }

    @Test func terminatingPodsLeaveEndpointsButStayInSlicesAsTerminating() throws {
        let actions = reconcile(Self.service(), [Self.pod("a", ip: "10.42.0.2", terminating: true)])
        #expect(created(actions, .endpoints).first?["subsets"].isNull == true)
        let slice = try #require(created(actions, .endpointSlices).first)
        #expect(slice["endpoints"][0]["conditions"] == ["ready": false, "serving": true, "terminating": true])
    }

    @Test func aDeletedServiceLosesItsEndpointsAndManagedSlices() {
        let endpoints: JSON = ["metadata": ["name": "web", "namespace": "default"]]
        let managed: JSON = [
            "metadata": [
                "name": "web-x", "namespace": "default",
                "labels": [
                    "kubernetes.io/service-name": "web",
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                ],
            ]
        ]
        let foreign: JSON = [
            "metadata": ["name": "web-y", "namespace": "default", "labels": ["kubernetes.io/service-name": "web"]]
        ]
        #expect(
            reconcile(nil, [], endpoints: endpoints, slices: [managed, foreign]) == [
                .delete(.endpoints, namespace: "default", name: "web"),
                .delete(.endpointSlices, namespace: "default", name: "web-x"),
            ])
    }

    @Test func largeServicesAreSplitIntoSlicesOfAHundred() {
        let pods = (0..<250).map { Self.pod("p\($0)", ip: "10.42.\($0 / 200).\($0 % 200 + 2)") }
        let slices = created(reconcile(Self.service(), pods), .endpointSlices)
        #expect(slices.map { $0["endpoints"].arrayValue?.count ?? 0 } == [100, 100, 50])
    }
}
