import SkiffModel

/// The parts of a pod's spec the kubelet side reads, taken out of the pod's `JSON` once.
struct PodSpecView: Sendable {
    struct Container: Sendable {
        var name: String
        var image: String
        var isInit: Bool
        var json: JSON
    }

    enum RestartPolicy: String, Sendable {
        case always = "Always", onFailure = "OnFailure", never = "Never"
    }

    var name: String
    var namespace: String
    var uid: String
    var restartPolicy: RestartPolicy
    var hostNetwork: Bool
    var initContainers: [Container]
    var containers: [Container]
    var terminationGracePeriodSeconds: Int64
    var json: JSON

    init(_ pod: JSON) {
        json = pod
        name = pod.name ?? ""
        namespace = pod.namespace ?? "default"
        uid = pod.uid ?? ""
        let spec = pod["spec"]
        restartPolicy = RestartPolicy(rawValue: spec["restartPolicy"].stringValue ?? "Always") ?? .always
        hostNetwork = spec["hostNetwork"].boolValue ?? false
        initContainers = (spec["initContainers"].arrayValue ?? []).map {
            Container(name: $0["name"].stringValue ?? "", image: $0["image"].stringValue ?? "", isInit: true, json: $0)
        }
        containers = (spec["containers"].arrayValue ?? []).map {
            Container(name: $0["name"].stringValue ?? "", image: $0["image"].stringValue ?? "", isInit: false, json: $0)
        }
        terminationGracePeriodSeconds = spec["terminationGracePeriodSeconds"].int64Value ?? 30
    }

    func container(named name: String) -> Container? {
        containers.first { $0.name == name } ?? initContainers.first { $0.name == name }
    }
}
