import Foundation
import SkiffModel
import Testing

@Suite("Table printing")
struct TablePrinterTests {
    let now = TableFixtures.now

    func cells(_ group: String, _ resource: String, _ text: String) throws -> [JSON] {
        let type = try #require(TableFixtures.type(group, resource))
        return TablePrinter.cells(for: type, object: try TableFixtures.parse(text), now: now)
    }

    // MARK: Pods

    @Test func podColumns() throws {
        let columns = TablePrinter.columns(for: try #require(TableFixtures.type("", "pods")))
        #expect(
            columns.map(\.name)
                == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(columns.map(\.priority) == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(columns[0].format == "name")
    }

    @Test func runningPod() throws {
        let row = try cells("", "pods", TableFixtures.runningPod)
        #expect(row == ["web-1", "1/1", "Running", "0", "5m", "10.42.0.7", "edge-1", "<none>", "1/1"])
    }

    @Test func crashLoopingPodShowsWaitingReasonAndRecentRestart() throws {
        let row = try cells("", "pods", TableFixtures.crashLoopPod)
        #expect(row[1] == "1/2")
        #expect(row[2] == "CrashLoopBackOff")
        #expect(row[3] == "5 (2m ago)")
        #expect(row[4] == "27h")
        #expect(row[8] == "<none>")
    }

    @Test func terminatingPod() throws {
        let row = try cells("", "pods", TableFixtures.terminatingPod)
        #expect(row[2] == "Terminating")
        #expect(row[4] == "3d")
    }

    @Test func initializingPod() throws {
        let row = try cells("", "pods", TableFixtures.initializingPod)
        #expect(row[1] == "0/1")
        #expect(row[2] == "Init:1/2")
        #expect(row[4] == "60s")
        #expect(row[5] == "<none>")
        #expect(row[6] == "<none>")
    }

    @Test func completedPodCarriesRowCondition() throws {
        let type = try #require(TableFixtures.type("", "pods"))
        let table = TablePrinter.table(
            for: type, objects: [try TableFixtures.parse(TableFixtures.completedPod)], now: now)
        let row = table["rows"][0]
        #expect(row["cells"][2] == "Completed")
        #expect(row["conditions"][0]["type"] == "Completed")
        #expect(row["conditions"][0]["reason"] == "Succeeded")
    }

    @Test(arguments: [
        // A failing init container reports its own reason, prefixed.
        (#"{"state":{"waiting":{"reason":"ImagePullBackOff"}}}"#, "Init:ImagePullBackOff"),
        (#"{"state":{"terminated":{"exitCode":2}}}"#, "Init:ExitCode:2"),
        (#"{"state":{"terminated":{"exitCode":137,"signal":9}}}"#, "Init:Signal:9"),
        (#"{"state":{"terminated":{"exitCode":1,"reason":"Error"}}}"#, "Init:Error"),
        (#"{"state":{"waiting":{"reason":"PodInitializing"}}}"#, "Init:0/1"),
    ])
    func initContainerReasons(status: String, expected: String) throws {
        let pod = try TableFixtures.parse(
            #"{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},"#
                + #""status":{"phase":"Pending","initContainerStatuses":[\#(status)]}}"#)
        let row = TablePrinter.cells(for: try #require(TableFixtures.type("", "pods")), object: pod, now: now)
        #expect(row[2] == .string(expected))
    }

    @Test func sidecarCountsAsContainerOnceStarted() throws {
        let pod = try TableFixtures.parse(
            #"""
            {"metadata":{"name":"p"},
             "spec":{"initContainers":[{"name":"mesh","restartPolicy":"Always"}],"containers":[{"name":"app"}]},
             "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],
                       "initContainerStatuses":[{"name":"mesh","started":true,"ready":true,"restartCount":1,
                                                 "state":{"running":{}}}],
                       "containerStatuses":[{"name":"app","ready":true,"restartCount":0,"state":{"running":{}}}]}}
            """#)
        let row = TablePrinter.cells(for: try #require(TableFixtures.type("", "pods")), object: pod, now: now)
        #expect(row[1] == "2/2")
        #expect(row[2] == "Running")
        #expect(row[3] == "1")  // no lastState, so no "(… ago)"
    }

    @Test func terminatedContainerWithoutReason() throws {
        let pod = try TableFixtures.parse(
            #"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running","#
                + #""containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":3}}}]}}"#)
        let row = TablePrinter.cells(for: try #require(TableFixtures.type("", "pods")), object: pod, now: now)
        #expect(row[2] == "ExitCode:3")
    }

    // MARK: Nodes

    @Test func cordonedControlPlaneNode() throws {
        let row = try cells("", "nodes", TableFixtures.cordonedControlPlane)
        #expect(
            row == [
                "edge-1", "Ready,SchedulingDisabled", "control-plane,master", "11d", "v1.32.4+skiff", "false", "<none>",
                "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64", "containerd://1.7.24",
            ])
    }

    @Test func nodeWithoutStatus() throws {
        let row = try cells("", "nodes", #"{"metadata":{"name":"new","labels":{"kubernetes.io/role":"edge"}}}"#)
        #expect(
            row == [
                "new", "Unknown", "edge", "<unknown>", "", "false", "<none>", "<none>", "<none>", "<unknown>",
                "<unknown>", "<unknown>",
            ])
        let notReady = try cells(
            "", "nodes", #"{"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}"#)
        #expect(notReady[1] == "NotReady")
        #expect(notReady[2] == "<none>")
    }

    @Test func unreachableAutonomousNodeShowsWhenItWasLastHeard() throws {
        let heard = KubeTimestamp.string(now.addingTimeInterval(-192))
        let row = try cells(
            "", "nodes",
            #"{"metadata":{"name":"edge","annotations":{"node.beta.openyurt.io/autonomy":"true","#
                + #""node.skiff.io/last-heard":"\#(heard)"}},"#
                + #""status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}"#)
        #expect(row[1] == "NotReady")
        #expect(row[5] == "true")
        #expect(row[6] == "3m12s")
    }

    // MARK: Workloads

    @Test func deployment() throws {
        let row = try cells("apps", "deployments", TableFixtures.deployment)
        #expect(row == ["web", "2/3", 3, 2, "2d", "web,log", "nginx:1.27,fluent-bit:3", "app=web"])
    }

    @Test func replicaSetSelectorWithExpressions() throws {
        let row = try cells(
            "apps", "replicasets",
            #"""
            {"metadata":{"name":"web-5d4","creationTimestamp":"2024-05-01T11:59:15Z"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web","pod-template-hash":"5d4"},
                     "matchExpressions":[{"key":"tier","operator":"In","values":["fe","be"]},
                                         {"key":"legacy","operator":"DoesNotExist"}]},
                     "template":{"spec":{"containers":[{"name":"web","image":"nginx"}]}}},
             "status":{"replicas":2,"readyReplicas":1}}
            """#)
        #expect(
            row == ["web-5d4", 2, 2, 1, "45s", "web", "nginx", "app=web,!legacy,pod-template-hash=5d4,tier in (be,fe)"])
    }

    @Test func statefulSetDaemonSetJobCronJob() throws {
        let statefulSet = try cells(
            "apps", "statefulsets", #"{"metadata":{"name":"db"},"spec":{"replicas":3},"status":{"readyReplicas":3}}"#)
        #expect(statefulSet[0...2] == ["db", "3/3", "<unknown>"])

        let daemonSet = try cells(
            "apps", "daemonsets",
            #"""
            {"metadata":{"name":"proxy"},
             "spec":{"selector":{"matchLabels":{"app":"proxy"}},
                     "template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"},
                                         "containers":[{"name":"p","image":"p:1"}]}}},
             "status":{"desiredNumberScheduled":4,"currentNumberScheduled":4,"numberReady":3,"updatedNumberScheduled":4,
                       "numberAvailable":3}}
            """#)
        #expect(daemonSet == ["proxy", 4, 4, 3, 4, 3, "kubernetes.io/os=linux", "<unknown>", "p", "p:1", "app=proxy"])

        let job = try cells(
            "batch", "jobs",
            #"""
            {"metadata":{"name":"pi","creationTimestamp":"2024-05-01T11:00:00Z"},
             "spec":{"completions":1,"parallelism":1,"template":{"spec":{"containers":[{"name":"pi","image":"perl"}]}}},
             "status":{"succeeded":1,"startTime":"2024-05-01T11:00:00Z","completionTime":"2024-05-01T11:02:30Z",
                       "conditions":[{"type":"Complete","status":"True"}]}}
            """#)
        #expect(job == ["pi", "Complete", "1/1", "2m30s", "60m", "pi", "perl", "<none>"])

        let running = try cells(
            "batch", "jobs",
            #"{"metadata":{"name":"w"},"spec":{"parallelism":3},"status":{"startTime":"2024-05-01T11:59:50Z"}}"#)
        #expect(running[1...3] == ["Running", "0/1 of 3", "10s"])

        let cronJob = try cells(
            "batch", "cronjobs",
            #"""
            {"metadata":{"name":"backup","creationTimestamp":"2024-04-01T12:00:00Z"},
             "spec":{"schedule":"0 3 * * *","suspend":false,
                     "jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"restic"}]}}}}},
             "status":{"active":[{"name":"backup-1"}],"lastScheduleTime":"2024-05-01T03:00:00Z"}}
            """#)
        #expect(cronJob == ["backup", "0 3 * * *", "<none>", "False", 1, "9h", "30d", "b", "restic", "<none>"])
    }

    // MARK: Services, events, and the rest of core

    @Test func services() throws {
        let clusterIP = try cells("", "services", TableFixtures.clusterIPService)
        #expect(
            clusterIP == ["kube-dns", "ClusterIP", "10.43.0.10", "<none>", "53/UDP,53/TCP", "30d", "k8s-app=kube-dns"])
        let balancer = try cells("", "services", TableFixtures.loadBalancerService)
        #expect(
            balancer == [
                "ingress", "LoadBalancer", "10.43.12.1", "<pending>", "80:30080/TCP,443:30443/TCP", "60m", "<none>",
            ])
        let assigned = try cells(
            "", "services",
            #"{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","externalIPs":["1.2.3.4"]},"#
                + #""status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.240"},{"hostname":"lb.example"}]}}}"#)
        #expect(assigned[3] == "192.168.1.240,lb.example,1.2.3.4")
        let external = try cells(
            "", "services", #"{"metadata":{"name":"x"},"spec":{"type":"ExternalName","externalName":"db.example"}}"#)
        #expect(external[2...4] == ["<none>", "db.example", "<none>"])
    }

    @Test func coreEvent() throws {
        let row = try cells("", "events", TableFixtures.backOffEvent)
        #expect(
            row == [
                "30s", "Warning", "BackOff", "pod/api-7c9", "spec.containers{api}", "kubelet, edge-2",
                "Back-off restarting failed container api", "10m", 12, "api-7c9.17c9f0",
            ])
        let columns = TablePrinter.columns(for: try #require(TableFixtures.type("", "events")))
        #expect(
            columns.filter { $0.priority == 0 }.map(\.name) == ["Last Seen", "Type", "Reason", "Object", "Message"])
    }

    @Test func eventsAPIEventPrintsLikeCoreEvent() throws {
        let type = try #require(
            TableFixtures.registry.lookup(group: "events.k8s.io", version: "v1", resource: "events"))
        let event = try TableFixtures.parse(
            #"""
            {"metadata":{"name":"e1"},"eventTime":"2024-05-01T11:59:00.000000Z","reportingController":"skiff/scheduler",
             "reportingInstance":"skiff-1","action":"Binding","reason":"Scheduled","type":"Normal",
             "regarding":{"kind":"Pod","name":"web-1"},"note":"Successfully assigned default/web-1 to edge-1"}
            """#)
        let row = TablePrinter.cells(for: type, object: event, now: now)
        #expect(
            row == [
                "60s", "Normal", "Scheduled", "pod/web-1", "", "skiff/scheduler, skiff-1",
                "Successfully assigned default/web-1 to edge-1", "60s", 1, "e1",
            ])
    }

    @Test func smallCoreKinds() throws {
        #expect(
            try cells("", "namespaces", #"{"metadata":{"name":"kube-system"},"status":{"phase":"Active"}}"#)
                == ["kube-system", "Active", "<unknown>"])
        #expect(
            try cells(
                "", "configmaps", #"{"metadata":{"name":"c"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}"#)
                == ["c", 3, "<unknown>"])
        #expect(
            try cells(
                "", "secrets",
                #"{"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}"#)
                == ["s", "kubernetes.io/tls", 2, "<unknown>"])
        #expect(try cells("", "serviceaccounts", #"{"metadata":{"name":"default"}}"#) == ["default", 0, "<unknown>"])
        #expect(
            try cells(
                "", "endpoints",
                #"{"metadata":{"name":"web"},"subsets":[{"addresses":"#
                    + #"[{"ip":"10.42.0.7"},{"ip":"10.42.0.8"},{"ip":"fd00::1"}],"#
                    + #""ports":[{"port":80},{"port":443}]}]}"#)
                == ["web", "10.42.0.7:80,10.42.0.8:80,[fd00::1]:80 + 3 more...", "<unknown>"])
        #expect(try cells("", "endpoints", #"{"metadata":{"name":"none"}}"#)[1] == "<none>")
        let claim = try cells(
            "", "persistentvolumeclaims",
            #"{"metadata":{"name":"data"},"spec":{"volumeName":"pv-1","storageClassName":"local-path"},"#
                + #""status":{"phase":"Bound","capacity":{"storage":"10Gi"},"#
                + #""accessModes":["ReadWriteOnce","ReadWriteOncePod"]}}"#
        )
        #expect(
            claim == ["data", "Bound", "pv-1", "10Gi", "RWO,RWOP", "local-path", "<unset>", "<unknown>", "<unset>"])
    }

    @Test func clusterKinds() throws {
        #expect(
            try cells(
                "coordination.k8s.io", "leases", #"{"metadata":{"name":"edge-1"},"spec":{"holderIdentity":"edge-1"}}"#)
                == ["edge-1", "edge-1", "<unknown>"])
        let ingress = try cells(
            "networking.k8s.io", "ingresses",
            #"{"metadata":{"name":"web"},"spec":{"ingressClassName":"traefik","#
                + #""rules":[{"host":"a.example"},{"host":"b.example"}],"#
                + #""tls":[{"hosts":["a.example"]}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.240"}]}}}"#)
        #expect(ingress == ["web", "traefik", "a.example,b.example", "192.168.1.240", "80, 443", "<unknown>"])
        let binding = try cells(
            "rbac.authorization.k8s.io", "clusterrolebindings",
            #"{"metadata":{"name":"admin"},"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"#
                + #""subjects":[{"kind":"User","name":"alice"},"#
                + #"{"kind":"ServiceAccount","namespace":"kube-system","name":"ctl"}]}"#
        )
        #expect(binding == ["admin", "ClusterRole/cluster-admin", "<unknown>", "alice", "", "kube-system/ctl"])
        let storageClass = try cells(
            "storage.k8s.io", "storageclasses",
            #"{"metadata":{"name":"local-path","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"#
                + #""provisioner":"rancher.io/local-path","volumeBindingMode":"WaitForFirstConsumer"}"#)
        #expect(
            storageClass == [
                "local-path (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", false, "<unknown>",
            ])
    }

    @Test func crdsAndRolesUseCreatedAt() throws {
        let crd = try #require(
            TableFixtures.registry.lookup(
                group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions"))
        #expect(TablePrinter.columns(for: crd).map(\.name) == ["Name", "Created At"])
        #expect(TablePrinter.columns(for: crd)[1].type == "date")
        let row = TablePrinter.cells(
            for: crd,
            object: ["metadata": ["name": "widgets.example.com", "creationTimestamp": "2024-04-01T14:00:00+02:00"]],
            now: now)
        #expect(row == ["widgets.example.com", "2024-04-01T12:00:00Z"])
        let role = try #require(
            TableFixtures.registry.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles"))
        #expect(TablePrinter.columns(for: role).map(\.name) == ["Name", "Created At"])
    }

    @Test func customResourcesGetNameAndAge() {
        let widget = ResourceType(
            group: "example.com", version: "v1", kind: "Widget", resource: "widgets", namespaced: true)
        let columns = TablePrinter.columns(for: widget)
        #expect(columns.map(\.name) == ["Name", "Age"])
        #expect(
            TablePrinter.cells(
                for: widget, object: ["metadata": ["name": "w", "creationTimestamp": "2024-05-01T09:30:00Z"]], now: now)
                == ["w", "150m"])  // minutes up to 3h, as upstream
    }

    @Test func everyBuiltinPrinterFillsEveryColumn() throws {
        let objects: [JSON] = [
            [:], ["metadata": ["name": "x"]], try TableFixtures.parse(TableFixtures.runningPod),
            try TableFixtures.parse(TableFixtures.deployment),
            ["metadata": ["name": "odd"], "spec": "not-an-object", "status": ["conditions": 7]],
        ]
        for type in BuiltinResources.all {
            let count = TablePrinter.columns(for: type).count
            #expect(TablePrinter.columns(for: type).first?.name == (type.resource == "events" ? "Last Seen" : "Name"))
            for object in objects {
                #expect(TablePrinter.cells(for: type, object: object, now: now).count == count, "\(type.resource)")
            }
        }
    }

    // MARK: Table documents

    @Test func listTableShape() throws {
        let type = try #require(TableFixtures.type("", "pods"))
        let pods = [
            try TableFixtures.parse(TableFixtures.runningPod), try TableFixtures.parse(TableFixtures.crashLoopPod),
        ]
        let table = TablePrinter.table(
            for: type, objects: pods, resourceVersion: "500", continueToken: "eyJ2IjoxfQ", remainingItemCount: 7,
            now: now)
        #expect(table["kind"] == "Table")
        #expect(table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"] == ["resourceVersion": "500", "continue": "eyJ2IjoxfQ", "remainingItemCount": 7])
        let definitions = try #require(table["columnDefinitions"].arrayValue)
        #expect(definitions.count == 9)
        #expect(
            definitions[0]
                == [
                    "name": "Name", "type": "string", "format": "name", "description": definitions[0]["description"],
                    "priority": 0,
                ])
        #expect(definitions[5]["priority"] == 1)
        let rows = try #require(table["rows"].arrayValue)
        #expect(rows.count == 2)
        #expect(rows[0]["cells"][0] == "web-1")
        #expect(rows[0]["object"]["kind"] == "PartialObjectMetadata")
        #expect(rows[0]["object"]["apiVersion"] == "meta.k8s.io/v1")
        #expect(rows[0]["object"]["metadata"] == pods[0]["metadata"])  // --show-labels reads these labels
        #expect(!rows[0].contains(key: "conditions"))
        #expect(try JSON(parsing: table.serializedString()) == table)
    }

    @Test func includeObjectVariants() throws {
        let type = try #require(TableFixtures.type("apps", "deployments"))
        let deployment = try TableFixtures.parse(TableFixtures.deployment)
        let full = TablePrinter.table(for: type, objects: [deployment], include: .object, now: now)
        #expect(full["rows"][0]["object"] == deployment)
        let bare = TablePrinter.table(for: type, objects: [deployment], include: .none, now: now)
        #expect(!bare["rows"][0].contains(key: "object"))
        #expect(bare["metadata"] == [:])
        #expect(IncludeObject(query: nil) == .metadata)
        #expect(IncludeObject(query: "Object") == .object)
        #expect(IncludeObject(query: "None") == IncludeObject.none)
        #expect(IncludeObject(query: "everything") == nil)
    }

    @Test func singleObjectAndWatchTables() throws {
        let type = try #require(TableFixtures.type("", "pods"))
        let pod = try TableFixtures.parse(TableFixtures.runningPod)
        let first = TablePrinter.table(for: type, object: pod, version: .v1beta1, now: now)
        #expect(first["apiVersion"] == "meta.k8s.io/v1beta1")
        #expect(first["metadata"]["resourceVersion"] == "412")
        #expect(first["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1")
        #expect(first["columnDefinitions"].arrayValue?.count == 9)
        let later = TablePrinter.table(for: type, object: pod, columnDefinitions: false, now: now)
        #expect(later["columnDefinitions"] == [])
        #expect(later["rows"][0]["cells"] == first["rows"][0]["cells"])
    }

    @Test(arguments: [
        (
            "application/json;as=Table;v=v1;g=meta.k8s.io,"
                + "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
            TableVersion?.some(.v1)
        ),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", .v1beta1),
        ("application/json", nil),
        ("", nil),
        ("*/*", nil),
        ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", nil),
        (
            "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                + "application/json;as=Table;v=v1;g=meta.k8s.io",
            .v1
        ),
        ("application/json;q=0.9,application/json;as=Table;v=v1;g=meta.k8s.io", .v1),
    ])
    func tableNegotiation(accept: String, expected: TableVersion?) {
        #expect(TableVersion.negotiate(accept: accept) == expected)
    }
}
