import Testing

@testable import SkiffModel

/// The default RBAC objects, checked against upstream v1.32's bootstrap policy and against each other.
@Suite struct BootstrapPolicyTests {
    static let rbacGroup = "rbac.authorization.k8s.io"

    static func name(_ object: JSON) -> String { object["metadata"]["name"].stringValue ?? "" }

    static func qualifiedName(_ object: JSON) -> String {
        "\(object["metadata"]["namespace"].stringValue ?? "")/\(name(object))"
    }

    static func clusterRole(_ name: String) throws -> JSON {
        try #require(BootstrapPolicy.clusterRoles.first { Self.name($0) == name }, "no cluster role \(name)")
    }

    static func clusterRoleBinding(_ name: String) throws -> JSON {
        try #require(BootstrapPolicy.clusterRoleBindings.first { Self.name($0) == name }, "no binding \(name)")
    }

    static func strings(_ value: JSON) -> [String] { value.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// Whether one rule of `role` grants every verb in `verbs` on `resource` in `group` (for any object name).
    static func grants(_ role: JSON, _ verbs: [String], group: String, resource: String) -> Bool {
        (role["rules"].arrayValue ?? []).contains { rule in
            let ruleVerbs = strings(rule["verbs"])
            return verbs.allSatisfy { ruleVerbs.contains($0) || ruleVerbs.contains("*") }
                && strings(rule["apiGroups"]).contains { $0 == group || $0 == "*" }
                && strings(rule["resources"]).contains { $0 == resource || $0 == "*" }
                && rule["resourceNames"].isNull
        }
    }

    @Test func namesAreUniqueInEachList() {
        for (list, key) in [
            (BootstrapPolicy.clusterRoles, Self.name), (BootstrapPolicy.clusterRoleBindings, Self.name),
            (BootstrapPolicy.roles, Self.qualifiedName), (BootstrapPolicy.roleBindings, Self.qualifiedName),
        ] {
            let names = list.map(key)
            #expect(Set(names).count == names.count, "repeated: \(names.filter { n in names.count { $0 == n } > 1 })")
            #expect(!names.contains(""))
        }
    }

    @Test func everyObjectIsCompleteAndCarriesUpstreamsLabelAndAnnotation() {
        for (list, kind, namespaced) in [
            (BootstrapPolicy.clusterRoles, "ClusterRole", false),
            (BootstrapPolicy.clusterRoleBindings, "ClusterRoleBinding", false),
            (BootstrapPolicy.roles, "Role", true), (BootstrapPolicy.roleBindings, "RoleBinding", true),
        ] {
            for object in list {
                let name = Self.name(object)
                #expect(object["apiVersion"] == "rbac.authorization.k8s.io/v1", "\(name)")
                #expect(object["kind"].stringValue == kind, "\(name)")
                #expect(object["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults", "\(name)")
                #expect(
                    object["metadata"]["annotations"] == ["rbac.authorization.kubernetes.io/autoupdate": "true"],
                    "\(name)")
                let namespace = object["metadata"]["namespace"].stringValue
                #expect(namespaced ? ["kube-system", "kube-public"].contains(namespace) : namespace == nil, "\(name)")
                if kind.hasSuffix("Binding") {
                    #expect(object["roleRef"]["apiGroup"].stringValue == Self.rbacGroup, "\(name)")
                } else {
                    #expect(object["rules"].arrayValue != nil, "\(name)")
                }
            }
        }
    }

    /// Each rule's lists are sorted, as upstream's `RuleOrDie` leaves them, and a rule is either about resources
    /// or about non-resource URLs.
    @Test func rulesAreWellFormedAndSortedAsUpstreamWritesThem() {
        for object in BootstrapPolicy.clusterRoles + BootstrapPolicy.roles {
            for rule in object["rules"].arrayValue ?? [] {
                let name = Self.name(object)
                for key in ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"] {
                    let values = Self.strings(rule[key])
                    #expect(values == values.sorted(), "\(name): \(key) \(values)")
                }
                #expect(!Self.strings(rule["verbs"]).isEmpty, "\(name)")
                let urls = rule.contains(key: "nonResourceURLs")
                #expect(urls != (rule.contains(key: "apiGroups") && rule.contains(key: "resources")), "\(name)")
            }
        }
    }

    @Test func everyClusterRoleBindingNamesAClusterRoleInTheList() {
        let roles = Set(BootstrapPolicy.clusterRoles.map(Self.name))
        for binding in BootstrapPolicy.clusterRoleBindings {
            #expect(binding["roleRef"]["kind"] == "ClusterRole", "\(Self.name(binding))")
            #expect(roles.contains(binding["roleRef"]["name"].stringValue ?? ""), "\(Self.name(binding))")
        }
    }

    @Test func everyRoleBindingNamesARoleOfItsNamespace() {
        let roles = Set(BootstrapPolicy.roles.map(Self.qualifiedName))
        for binding in BootstrapPolicy.roleBindings {
            let namespace = binding["metadata"]["namespace"].stringValue ?? ""
            #expect(binding["roleRef"]["kind"] == "Role", "\(Self.qualifiedName(binding))")
            let target = "\(namespace)/\(binding["roleRef"]["name"].stringValue ?? "")"
            #expect(roles.contains(target), "\(Self.qualifiedName(binding)) → \(target)")
        }
        let reader = BootstrapPolicy.roleBindings.first {
            Self.name($0) == "system::extension-apiserver-authentication-reader"
        }
        #expect(reader?["roleRef"]["name"] == "extension-apiserver-authentication-reader")
    }

    @Test func adminEditAndViewAggregateTheirLabelledRoles() throws {
        for (name, selected, aggregatedInto) in [
            ("admin", "admin", nil), ("edit", "edit", "admin"), ("view", "view", "edit"),
        ] as [(String, String, String?)] {
            let role = try Self.clusterRole(name)
            var matchLabels: JSON = [:]
            matchLabels["\(Self.rbacGroup)/aggregate-to-\(selected)"] = "true"
            let selector: JSON = ["matchLabels": matchLabels]
            #expect(role["aggregationRule"] == ["clusterRoleSelectors": [selector]], "\(name)")
            #expect(role["rules"] == [], "\(name): the aggregation controller fills the rules")
            var labels: JSON = ["kubernetes.io/bootstrapping": "rbac-defaults"]
            if let aggregatedInto {
                labels["\(Self.rbacGroup)/aggregate-to-\(aggregatedInto)"] = "true"
            }
            #expect(role["metadata"]["labels"] == labels, "\(name)")
            let source = try Self.clusterRole("system:aggregate-to-\(selected)")
            #expect(source["metadata"]["labels"]["\(Self.rbacGroup)/aggregate-to-\(selected)"] == "true")
            #expect(source["aggregationRule"].isNull)
        }
    }

    @Test func theAggregatedRolesGrantWhatUsersExpect() throws {
        let view = try Self.clusterRole("system:aggregate-to-view")
        #expect(Self.grants(view, ["get", "list", "watch"], group: "", resource: "pods"))
        #expect(Self.grants(view, ["get"], group: "", resource: "pods/log"))
        #expect(!Self.grants(view, ["get"], group: "", resource: "secrets"), "view does not read secrets")
        let edit = try Self.clusterRole("system:aggregate-to-edit")
        #expect(Self.grants(edit, ["create", "delete"], group: "apps", resource: "deployments"))
        #expect(Self.grants(edit, ["create"], group: "", resource: "pods/exec"))
        #expect(!Self.grants(edit, ["create"], group: "rbac.authorization.k8s.io", resource: "rolebindings"))
        let admin = try Self.clusterRole("system:aggregate-to-admin")
        #expect(Self.grants(admin, ["create", "delete"], group: "rbac.authorization.k8s.io", resource: "rolebindings"))
    }

    @Test func basicUserMayReviewItsOwnAccess() throws {
        let role = try Self.clusterRole("system:basic-user")
        for resource in ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] {
            #expect(Self.grants(role, ["create"], group: "authorization.k8s.io", resource: resource), "\(resource)")
        }
        #expect(Self.grants(role, ["create"], group: "authentication.k8s.io", resource: "selfsubjectreviews"))
        #expect(!Self.grants(role, ["get"], group: "authorization.k8s.io", resource: "selfsubjectaccessreviews"))
        let binding = try Self.clusterRoleBinding("system:basic-user")
        #expect(
            binding["subjects"] == [
                ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"]
            ])
    }

    @Test func publicInfoViewerOpensUpstreamsURLsToEveryone() throws {
        let role = try Self.clusterRole("system:public-info-viewer")
        #expect(
            role["rules"] == [
                ["verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]]
            ])
        let binding = try Self.clusterRoleBinding("system:public-info-viewer")
        #expect(
            binding["subjects"] == [
                ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"],
                ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:unauthenticated"],
            ])
        let discovery = try Self.clusterRole("system:discovery")
        #expect(Self.strings(discovery["rules"][0]["nonResourceURLs"]).contains("/apis/*"))
    }

    @Test func controllerRolesAreBoundToTheirKubeSystemServiceAccounts() throws {
        let prefix = "system:controller:"
        let controllerRoles = BootstrapPolicy.clusterRoles.map(Self.name).filter { $0.hasPrefix(prefix) }
        let controllerBindings = BootstrapPolicy.clusterRoleBindings.filter { Self.name($0).hasPrefix(prefix) }
        #expect(controllerBindings.map(Self.name) == controllerRoles)
        for binding in controllerBindings {
            let name = Self.name(binding)
            let account = String(name.dropFirst(prefix.count))
            #expect(
                binding["subjects"] == [
                    ["kind": "ServiceAccount", "name": .string(account), "namespace": "kube-system"]
                ], "\(name)")
            #expect(binding["roleRef"]["name"].stringValue == name)
        }
        for controller in [
            "deployment-controller", "replicaset-controller", "daemon-set-controller", "statefulset-controller",
            "job-controller", "cronjob-controller", "endpoint-controller", "endpointslice-controller",
            "endpointslicemirroring-controller", "generic-garbage-collector", "namespace-controller", "node-controller",
            "service-account-controller", "root-ca-cert-publisher", "legacy-service-account-token-cleaner",
        ] {
            #expect(controllerRoles.contains(prefix + controller), "\(controller)")
        }
    }

    @Test func theBindingsGiveUpstreamsSubjects() throws {
        func subjects(_ name: String) throws -> JSON { try Self.clusterRoleBinding(name)["subjects"] }
        let masters: JSON = [["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"]]
        #expect(try subjects("cluster-admin") == masters)
        let scheduler: JSON = [
            ["kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "system:kube-scheduler"]
        ]
        #expect(try subjects("system:kube-scheduler") == scheduler)
        #expect(try subjects("system:volume-scheduler") == scheduler)
        #expect(
            try subjects("system:kube-dns") == [
                ["kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"]
            ])
        #expect(try subjects("system:node-proxier")[0]["name"] == "system:kube-proxy")
        #expect(try subjects("system:service-account-issuer-discovery")[0]["name"] == "system:serviceaccounts")
        let node = try Self.clusterRoleBinding("system:node")
        #expect(!node.contains(key: "subjects"), "system:node stays bound to nobody")
    }

    /// The counts of v1.32 with default feature gates; gated roles and rules (DRA, ServiceCIDR, …) stay out.
    @Test func theListsHoldV132sDefaults() throws {
        #expect(BootstrapPolicy.clusterRoles.count == 31 + 33)
        #expect(BootstrapPolicy.clusterRoleBindings.count == 12 + 33)
        #expect(
            BootstrapPolicy.roles.map(Self.qualifiedName).sorted() == [
                "kube-public/system:controller:bootstrap-signer",
                "kube-system/extension-apiserver-authentication-reader",
                "kube-system/system::leader-locking-kube-controller-manager",
                "kube-system/system::leader-locking-kube-scheduler",
                "kube-system/system:controller:bootstrap-signer",
                "kube-system/system:controller:cloud-provider",
                "kube-system/system:controller:token-cleaner",
            ])
        #expect(BootstrapPolicy.roleBindings.count == 7)
        let groups = BootstrapPolicy.clusterRoles.flatMap {
            ($0["rules"].arrayValue ?? []).flatMap { Self.strings($0["apiGroups"]) }
        }
        #expect(!groups.contains("resource.k8s.io"))
        for gated in ["system:controller:service-cidrs-controller", "system:controller:selinux-warning-controller"] {
            #expect(!BootstrapPolicy.clusterRoles.contains { Self.name($0) == gated }, "\(gated)")
        }
        let monitoring = try Self.clusterRole("system:monitoring")
        #expect(!Self.strings(monitoring["rules"][0]["nonResourceURLs"]).contains("/flagz"))
        let certificateController = try Self.clusterRole("system:controller:certificate-controller")
        #expect(
            certificateController["rules"][3] == [
                "verbs": ["sign"], "apiGroups": ["certificates.k8s.io"], "resources": ["signers"],
                "resourceNames": [
                    "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet",
                    "kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown",
                ],
            ])
    }
}
