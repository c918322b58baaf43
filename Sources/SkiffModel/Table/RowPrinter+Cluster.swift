import Foundation

// Printers for networking, storage, scheduling, policy, RBAC, coordination, discovery and aggregation kinds.
extension RowPrinter {
    /// Leases: `Name, Holder, Age`.
    static let lease = RowPrinter(
        columns: [.name, TableColumn(name: "Holder", description: "The holder of the lease."), .age],
        cells: { lease, now in
            [
                TableCells.name(lease), .string(TableCells.string(lease["spec"]["holderIdentity"])),
                TableCells.age(lease, now: now),
            ]
        })

    /// EndpointSlices: `Name, AddressType, Ports, Endpoints, Age`.
    static let endpointSlice = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "AddressType", description: "The type of address carried (IPv4, IPv6, FQDN)."),
            TableColumn(name: "Ports", description: "The ports exposed by the endpoints."),
            TableColumn(name: "Endpoints", description: "The endpoint addresses."),
            .age,
        ],
        cells: { slice, now in
            let ports = (slice["ports"].arrayValue ?? []).map { port -> String in
                if let number = port["port"].int64Value { return String(number) }
                return port["name"].stringValue ?? "*"
            }
            let addresses = (slice["endpoints"].arrayValue ?? []).flatMap {
                ($0["addresses"].arrayValue ?? []).map { $0.stringValue ?? "" }
            }
            return [
                TableCells.name(slice),
                .string(TableCells.string(slice["addressType"])),
                .string(TableCells.truncatedList(ports, total: ports.count, empty: "<unset>")),
                .string(TableCells.truncatedList(addresses, total: addresses.count, empty: "<unset>")),
                TableCells.age(slice, now: now),
            ]
        })

    /// Ingresses: `Name, Class, Hosts, Address, Ports, Age`.
    static let ingress = RowPrinter(
        columns: [
            .name,
            TableColumn(
                name: "Class",
                description: "The name of the IngressClass resource that should be used for additional configuration"),
            TableColumn(
                name: "Hosts", description: "Hosts that incoming requests are matched against before the ingress rule"),
            TableColumn(
                name: "Address", description: "Address is a list containing ingress points for the load-balancer"),
            TableColumn(name: "Ports", description: "Ports of TLS configurations that open"),
            .age,
        ],
        cells: { ingress, now in
            let spec = ingress["spec"]
            let rules = spec["rules"].arrayValue ?? []
            // Upstream stops at three hosts and then counts every rule, with or without a host, in "N more".
            var hosts: [String] = []
            var more = false
            for rule in rules {
                if hosts.count == 3 { more = true }
                if !more, let host = rule["host"].stringValue, !host.isEmpty { hosts.append(host) }
            }
            var hostText = hosts.isEmpty ? "*" : hosts.joined(separator: ",")
            if !hosts.isEmpty, more { hostText += " + \(rules.count - 3) more..." }
            let tls = spec["tls"].arrayValue ?? []
            return [
                TableCells.name(ingress),
                .string(spec["ingressClassName"].stringValue ?? "<none>"),
                .string(hostText),
                .string(loadBalancerAddresses(ingress["status"]["loadBalancer"]).joined(separator: ",")),
                .string(tls.isEmpty ? "80" : "80, 443"),
                TableCells.age(ingress, now: now),
            ]
        })

    /// IngressClasses: `Name, Controller, Parameters, Age`.
    static let ingressClass = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Controller", description: "Controller that is responsible for handling this class"),
            TableColumn(name: "Parameters", description: "A reference to a resource with additional parameters"),
            .age,
        ],
        cells: { ingressClass, now in
            let parameters = ingressClass["spec"]["parameters"]
            var parameterText = "<none>"
            if parameters.objectValue != nil {
                parameterText = TableCells.string(parameters["kind"])
                if let group = parameters["apiGroup"].stringValue { parameterText += ".\(group)" }
                parameterText += "/\(TableCells.string(parameters["name"]))"
            }
            return [
                TableCells.name(ingressClass), .string(TableCells.string(ingressClass["spec"]["controller"])),
                .string(parameterText), TableCells.age(ingressClass, now: now),
            ]
        })

    /// NetworkPolicies: `Name, Pod-Selector, Age`.
    static let networkPolicy = RowPrinter(
        columns: [.name, TableColumn(name: "Pod-Selector", description: "The pods the policy applies to."), .age],
        cells: { policy, now in
            [
                TableCells.name(policy),
                // An empty podSelector selects every pod; upstream prints it as <none>.
                .string(TableCells.formattedSelector(policy["spec"]["podSelector"])),
                TableCells.age(policy, now: now),
            ]
        })

    /// StorageClasses: `Name` (with ` (default)`), provisioner, policies and expansion.
    static let storageClass = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Provisioner", description: "The provisioner of volumes of this class."),
            TableColumn(name: "ReclaimPolicy", description: "What happens to released volumes."),
            TableColumn(name: "VolumeBindingMode", description: "When volumes are bound and provisioned."),
            TableColumn(name: "AllowVolumeExpansion", description: "Whether volumes can be expanded."),
            .age,
        ],
        cells: { storageClass, now in
            let annotations = storageClass["metadata"]["annotations"]
            let isDefault =
                annotations["storageclass.kubernetes.io/is-default-class"].stringValue == "true"
                || annotations["storageclass.beta.kubernetes.io/is-default-class"].stringValue == "true"
            let name = TableCells.string(storageClass["metadata"]["name"])
            return [
                .string(isDefault ? "\(name) (default)" : name),
                .string(TableCells.string(storageClass["provisioner"])),
                .string(TableCells.string(storageClass["reclaimPolicy"], or: "Delete")),
                .string(TableCells.string(storageClass["volumeBindingMode"], or: "Immediate")),
                .bool(storageClass["allowVolumeExpansion"].boolValue ?? false),
                TableCells.age(storageClass, now: now),
            ]
        })

    /// PriorityClasses: `Name, Value, Global-Default, Age`; wide `PreemptionPolicy`.
    static let priorityClass = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Value", type: "integer", description: "The priority of pods using this class."),
            TableColumn(name: "Global-Default", type: "boolean", description: "Whether this is the default class."),
            .age,
            TableColumn(name: "PreemptionPolicy", description: "Whether pods of this class preempt others."),
        ],
        cells: { priorityClass, now in
            [
                TableCells.name(priorityClass),
                .int(TableCells.int(priorityClass["value"])),
                .bool(priorityClass["globalDefault"].boolValue ?? false),
                TableCells.age(priorityClass, now: now),
                .string(TableCells.string(priorityClass["preemptionPolicy"])),
            ]
        })

    /// PodDisruptionBudgets: `Name, Min Available, Max Unavailable, Allowed Disruptions, Age`.
    static let podDisruptionBudget = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Min Available", description: "The minimum number of pods that must be available."),
            TableColumn(name: "Max Unavailable", description: "The maximum number of pods that may be unavailable."),
            TableColumn(
                name: "Allowed Disruptions", type: "integer",
                description: "Calculated number of pods that may be disrupted at this time."),
            .age,
        ],
        cells: { budget, now in
            [
                TableCells.name(budget),
                .string(intOrString(budget["spec"]["minAvailable"]) ?? "N/A"),
                .string(intOrString(budget["spec"]["maxUnavailable"]) ?? "N/A"),
                .int(TableCells.int(budget["status"]["disruptionsAllowed"])),
                TableCells.age(budget, now: now),
            ]
        })

    private static func intOrString(_ value: JSON) -> String? {
        if let text = value.stringValue { return text }
        if let number = value.int64Value { return String(number) }
        return nil
    }

    /// RoleBindings and ClusterRoleBindings: `Name, Role, Age`; wide `Users, Groups, ServiceAccounts`.
    static let roleBinding = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Role", description: "The role the binding grants."),
            .age,
            TableColumn(name: "Users", description: "Users in the binding", priority: 1),
            TableColumn(name: "Groups", description: "Groups in the binding", priority: 1),
            TableColumn(name: "ServiceAccounts", description: "ServiceAccounts in the binding", priority: 1),
        ],
        cells: { binding, now in
            var users: [String] = []
            var groups: [String] = []
            var accounts: [String] = []
            for subject in binding["subjects"].arrayValue ?? [] {
                let name = TableCells.string(subject["name"])
                switch subject["kind"].stringValue {
                case "User": users.append(name)
                case "Group": groups.append(name)
                case "ServiceAccount": accounts.append("\(TableCells.string(subject["namespace"]))/\(name)")
                default: break
                }
            }
            let roleRef = binding["roleRef"]
            return [
                TableCells.name(binding),
                .string("\(TableCells.string(roleRef["kind"]))/\(TableCells.string(roleRef["name"]))"),
                TableCells.age(binding, now: now),
                .string(users.joined(separator: ", ")),
                .string(groups.joined(separator: ", ")),
                .string(accounts.joined(separator: ", ")),
            ]
        })

    /// APIServices: `Name, Service, Available, Age`, as the aggregator prints them.
    static let apiService = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Service", description: "The reference to the service that hosts this API endpoint."),
            TableColumn(name: "Available", description: "Whether this service is available."),
            .age,
        ],
        cells: { apiService, now in
            let service = apiService["spec"]["service"]
            let serviceText =
                service.objectValue == nil
                ? "Local" : "\(TableCells.string(service["namespace"]))/\(TableCells.string(service["name"]))"
            var available = "Unknown"
            let conditions = apiService["status"]["conditions"].arrayValue ?? []
            if let condition = conditions.first(where: { $0["type"].stringValue == "Available" }) {
                let status = TableCells.string(condition["status"])
                let reason = TableCells.string(condition["reason"])
                available = status == "True" || reason.isEmpty ? status : "\(status) (\(reason))"
            }
            return [
                TableCells.name(apiService), .string(serviceText), .string(available),
                TableCells.age(apiService, now: now),
            ]
        })
}
