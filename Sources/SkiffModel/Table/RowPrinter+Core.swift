import Foundation

// Printers for core/v1 kinds other than pods, with upstream's columns and placeholders.
extension RowPrinter {
    /// Nodes: `Name, Status, Roles, Age, Version`, then skiff's `Autonomous, Last-Heard` (edge autonomy); wide
    /// addresses and node info.
    static let node = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Status", description: "The status of the node"),
            TableColumn(name: "Roles", description: "The roles of the node"),
            .age,
            TableColumn(name: "Version", description: "Kubelet version reported by the node."),
            TableColumn(
                name: "Autonomous",
                description: "Whether the node keeps its pods while unreachable (node.skiff.io/autonomy)."),
            TableColumn(
                name: "Last-Heard",
                description: "How long ago an unreachable node was last heard from (node.skiff.io/last-heard)."),
            TableColumn(name: "Internal-IP", description: "The node's first InternalIP address.", priority: 1),
            TableColumn(name: "External-IP", description: "The node's first ExternalIP address.", priority: 1),
            TableColumn(name: "OS-Image", description: "OS image reported by the node.", priority: 1),
            TableColumn(name: "Kernel-Version", description: "Kernel version reported by the node.", priority: 1),
            TableColumn(
                name: "Container-Runtime", description: "Container runtime version reported by the node.", priority: 1),
        ],
        cells: { node, now in
            let status = node["status"]
            var states: [String] = []
            // Upstream only summarises the Ready condition.
            if let ready = TableCells.conditionStatus(status["conditions"], type: "Ready") {
                states.append(ready == "True" ? "Ready" : "NotReady")
            } else {
                states.append("Unknown")
            }
            if node["spec"]["unschedulable"].boolValue == true {
                states.append("SchedulingDisabled")
            }
            let info = status["nodeInfo"]
            return [
                TableCells.name(node),
                .string(states.joined(separator: ",")),
                .string(nodeRoles(node["metadata"]["labels"])),
                TableCells.age(node, now: now),
                .string(TableCells.string(info["kubeletVersion"])),
                .string(isAutonomous(node) ? "true" : "false"),
                .string(
                    node["metadata"]["annotations"]["node.skiff.io/last-heard"].isNull
                        ? "<none>"
                        : HumanDuration.since(node["metadata"]["annotations"]["node.skiff.io/last-heard"], now: now)),
                .string(nodeAddress(status, type: "InternalIP")),
                .string(nodeAddress(status, type: "ExternalIP")),
                .string(TableCells.string(info["osImage"], or: "<unknown>")),
                .string(TableCells.string(info["kernelVersion"], or: "<unknown>")),
                .string(TableCells.string(info["containerRuntimeVersion"], or: "<unknown>")),
            ]
        })

    /// skiff's `node.skiff.io/autonomy` or OpenYurt's `node.beta.openyurt.io/autonomy`, "true".
    static func isAutonomous(_ node: JSON) -> Bool {
        let annotations = node["metadata"]["annotations"]
        return annotations["node.skiff.io/autonomy"] == "true"
            || annotations["node.beta.openyurt.io/autonomy"] == "true"
    }

    /// Roles from `node-role.kubernetes.io/<role>` label keys and the legacy `kubernetes.io/role` value, sorted.
    static func nodeRoles(_ labels: JSON) -> String {
        var roles = Set<String>()
        for (key, value) in labels.objectValue ?? JSONObject() {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", let role = value.stringValue, !role.isEmpty {
                roles.insert(role)
            }
        }
        return roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")
    }

    private static func nodeAddress(_ status: JSON, type: String) -> String {
        let address = (status["addresses"].arrayValue ?? []).first { $0["type"].stringValue == type }
        return address?["address"].stringValue ?? "<none>"
    }

    /// Services: `Name, Type, Cluster-IP, External-IP, Port(s), Age`; wide `Selector`.
    static let service = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Type", description: "How the service is exposed."),
            TableColumn(name: "Cluster-IP", description: "The service's cluster IP address."),
            TableColumn(name: "External-IP", description: "External addresses of the service."),
            TableColumn(name: "Port(s)", description: "The ports exposed by the service."),
            .age,
            TableColumn(name: "Selector", description: "Labels of the pods the service routes to.", priority: 1),
        ],
        cells: { service, now in
            let spec = service["spec"]
            // Type and protocol are defaulted on write; the fallbacks match those defaults.
            let type = TableCells.string(spec["type"], or: "ClusterIP")
            let clusterIP = spec["clusterIPs"][0].stringValue ?? spec["clusterIP"].stringValue ?? "<none>"
            let ports = (spec["ports"].arrayValue ?? []).map { port -> String in
                let number = TableCells.int(port["port"])
                let proto = TableCells.string(port["protocol"], or: "TCP")
                let nodePort = TableCells.int(port["nodePort"])
                return nodePort > 0 ? "\(number):\(nodePort)/\(proto)" : "\(number)/\(proto)"
            }.joined(separator: ",")
            return [
                TableCells.name(service),
                .string(type),
                .string(clusterIP.isEmpty ? "<none>" : clusterIP),
                .string(serviceExternalIP(service, type: type)),
                .string(ports.isEmpty ? "<none>" : ports),
                TableCells.age(service, now: now),
                .string(TableCells.labels(spec["selector"])),
            ]
        })

    private static func serviceExternalIP(_ service: JSON, type: String) -> String {
        let externalIPs = (service["spec"]["externalIPs"].arrayValue ?? []).compactMap(\.stringValue)
        switch type {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let balancer = loadBalancerAddresses(service["status"]["loadBalancer"])
            let all = balancer + externalIPs
            if !all.isEmpty { return all.joined(separator: ",") }
            return "<pending>"
        case "ExternalName":
            return TableCells.string(service["spec"]["externalName"])
        default:
            return "<unknown>"
        }
    }

    /// Load-balancer ingress IPs (or hostnames), de-duplicated and sorted; never clipped, as the server prints wide.
    static func loadBalancerAddresses(_ status: JSON) -> [String] {
        var seen = Set<String>()
        for entry in status["ingress"].arrayValue ?? [] {
            if let ip = entry["ip"].stringValue, !ip.isEmpty {
                seen.insert(ip)
            } else if let hostname = entry["hostname"].stringValue, !hostname.isEmpty {
                seen.insert(hostname)
            }
        }
        return seen.sorted()
    }

    /// Endpoints: `Name, Endpoints, Age`, the first three `ip:port` pairs.
    static let endpoints = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Endpoints", description: "Ready addresses and ports of the endpoints."),
            .age,
        ],
        cells: { endpoints, now in
            [TableCells.name(endpoints), .string(endpointsSummary(endpoints)), TableCells.age(endpoints, now: now)]
        })

    private static func endpointsSummary(_ endpoints: JSON) -> String {
        guard let subsets = endpoints["subsets"].arrayValue, !subsets.isEmpty else { return "<none>" }
        var shown: [String] = []
        var total = 0
        for subset in subsets {
            let addresses = (subset["addresses"].arrayValue ?? []).map { $0["ip"].stringValue ?? "" }
            let ports = subset["ports"].arrayValue ?? []
            if ports.isEmpty {
                // Headless services may have no ports.
                total += addresses.count
                shown += addresses.prefix(max(0, 3 - shown.count))
                continue
            }
            for port in ports {
                total += addresses.count
                for address in addresses where shown.count < 3 {
                    shown.append(TableCells.hostPort(address, TableCells.int(port["port"])))
                }
            }
        }
        return TableCells.truncatedList(shown, total: total, empty: "")
    }

    /// Namespaces: `Name, Status, Age`.
    static let namespace = RowPrinter(
        columns: [.name, TableColumn(name: "Status", description: "The status of the namespace"), .age],
        cells: { namespace, now in
            [
                TableCells.name(namespace), .string(TableCells.string(namespace["status"]["phase"])),
                TableCells.age(namespace, now: now),
            ]
        })

    /// ConfigMaps: `Name, Data, Age`, counting `data` and `binaryData` keys.
    static let configMap = RowPrinter(
        columns: [.name, TableColumn(name: "Data", description: "Number of data keys."), .age],
        cells: { configMap, now in
            [
                TableCells.name(configMap),
                .int(TableCells.count(configMap["data"]) + TableCells.count(configMap["binaryData"])),
                TableCells.age(configMap, now: now),
            ]
        })

    /// Secrets: `Name, Type, Data, Age`.
    static let secret = RowPrinter(
        columns: [
            .name, TableColumn(name: "Type", description: "Used to facilitate programmatic handling of secret data."),
            TableColumn(name: "Data", description: "Number of data keys."), .age,
        ],
        cells: { secret, now in
            [
                TableCells.name(secret),
                // Defaulted to Opaque on write.
                .string(TableCells.string(secret["type"], or: "Opaque")),
                .int(TableCells.count(secret["data"])),
                TableCells.age(secret, now: now),
            ]
        })

    /// ServiceAccounts: `Name, Secrets, Age`.
    static let serviceAccount = RowPrinter(
        columns: [.name, TableColumn(name: "Secrets", description: "Number of secrets listed."), .age],
        cells: { account, now in
            [TableCells.name(account), .int(TableCells.count(account["secrets"])), TableCells.age(account, now: now)]
        })

    /// PersistentVolumes, with upstream's status, claim and class columns.
    static let persistentVolume = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Capacity", description: "The storage capacity of the volume."),
            TableColumn(name: "Access Modes", description: "Ways the volume can be mounted."),
            TableColumn(name: "Reclaim Policy", description: "What happens to the volume when released."),
            TableColumn(name: "Status", description: "The phase of the volume."),
            TableColumn(name: "Claim", description: "The claim bound to the volume."),
            TableColumn(name: "StorageClass", description: "StorageClass of the pv"),
            TableColumn(name: "VolumeAttributesClass", description: "VolumeAttributesClass of the pv"),
            TableColumn(name: "Reason", description: "Why the volume is in its phase."),
            .age,
            TableColumn(name: "VolumeMode", description: "Filesystem or Block.", priority: 1),
        ],
        cells: { volume, now in
            let spec = volume["spec"]
            var claim = ""
            if spec["claimRef"].objectValue != nil {
                claim =
                    "\(TableCells.string(spec["claimRef"]["namespace"]))/\(TableCells.string(spec["claimRef"]["name"]))"
            }
            var phase = TableCells.string(volume["status"]["phase"])
            if !volume["metadata"]["deletionTimestamp"].isNull { phase = "Terminating" }
            return [
                TableCells.name(volume),
                .string(quantity(spec["capacity"]["storage"])),
                .string(TableCells.accessModes(spec["accessModes"])),
                .string(TableCells.string(spec["persistentVolumeReclaimPolicy"])),
                .string(phase),
                .string(claim),
                .string(storageClass(volume)),
                .string(TableCells.string(spec["volumeAttributesClassName"], or: "<unset>")),
                .string(TableCells.string(volume["status"]["reason"])),
                TableCells.age(volume, now: now),
                .string(TableCells.string(spec["volumeMode"], or: "<unset>")),
            ]
        })

    /// PersistentVolumeClaims, showing capacity and modes only once bound.
    static let persistentVolumeClaim = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Status", description: "The phase of the claim."),
            TableColumn(name: "Volume", description: "The volume bound to the claim."),
            TableColumn(name: "Capacity", description: "The actual capacity of the bound volume."),
            TableColumn(name: "Access Modes", description: "Access modes of the bound volume."),
            TableColumn(name: "StorageClass", description: "StorageClass of the pvc"),
            TableColumn(name: "VolumeAttributesClass", description: "VolumeAttributesClass of the pvc"),
            .age,
            TableColumn(name: "VolumeMode", description: "Filesystem or Block.", priority: 1),
        ],
        cells: { claim, now in
            let spec = claim["spec"]
            var phase = TableCells.string(claim["status"]["phase"])
            if !claim["metadata"]["deletionTimestamp"].isNull { phase = "Terminating" }
            let volumeName = TableCells.string(spec["volumeName"])
            var capacity = ""
            var modes = ""
            if !volumeName.isEmpty {
                capacity = quantity(claim["status"]["capacity"]["storage"])
                modes = TableCells.accessModes(claim["status"]["accessModes"])
            }
            return [
                TableCells.name(claim),
                .string(phase),
                .string(volumeName),
                .string(capacity),
                .string(modes),
                .string(storageClass(claim)),
                .string(TableCells.string(spec["volumeAttributesClassName"], or: "<unset>")),
                TableCells.age(claim, now: now),
                .string(TableCells.string(spec["volumeMode"], or: "<unset>")),
            ]
        })

    /// The storage class of a volume or claim; the beta annotation wins over the field, as upstream reads it.
    private static func storageClass(_ object: JSON) -> String {
        if let annotated = object["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"].stringValue {
            return annotated
        }
        return TableCells.string(object["spec"]["storageClassName"])
    }

    /// A quantity as stored; an absent one prints like Go's zero `Quantity`.
    static func quantity(_ value: JSON) -> String {
        if let text = value.stringValue { return text }
        if let integer = value.int64Value { return String(integer) }
        return "0"
    }

    /// ReplicationControllers: `Name, Desired, Current, Ready, Age`; wide containers, images, selector.
    static let replicationController = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Desired", type: "integer", description: "Number of desired replicas."),
            TableColumn(name: "Current", type: "integer", description: "Number of replicas observed."),
            TableColumn(name: "Ready", type: "integer", description: "Number of ready replicas."),
            .age, .containers, .images, .selector,
        ],
        cells: { controller, now in
            let spec = controller["spec"]
            let status = controller["status"]
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            return [
                TableCells.name(controller),
                .int(TableCells.int(spec["replicas"], default: 1)),
                .int(TableCells.int(status["replicas"])),
                .int(TableCells.int(status["readyReplicas"])),
                TableCells.age(controller, now: now),
                .string(names), .string(images),
                .string(TableCells.labels(spec["selector"])),
            ]
        })

    /// ResourceQuotas: `Name, Request, Limit, Age` with `resource: used/hard` pairs.
    static let resourceQuota = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Request", description: "Used and hard request quotas."),
            TableColumn(name: "Limit", description: "Used and hard limit quotas."),
            .age,
        ],
        cells: { quota, now in
            let hard = quota["status"]["hard"].objectValue ?? JSONObject()
            let used = quota["status"]["used"]
            var requests: [String] = []
            var limits: [String] = []
            for resource in hard.keys.sorted() {
                let entry = "\(resource): \(quantity(used[resource]))/\(quantity(hard[resource] ?? .null))"
                if resource.hasPrefix("limits.") {
                    limits.append(entry)
                } else {
                    requests.append(entry)
                }
            }
            return [
                TableCells.name(quota),
                .string(requests.joined(separator: ", ")),
                .string(limits.joined(separator: ", ")),
                TableCells.age(quota, now: now),
            ]
        })
}
