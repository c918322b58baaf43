import SkiffModel

/// `autoscaling/v1` Scale views of workload objects.
enum Scale {
    static func from(_ object: JSON, strategy: any ResourceStrategy) throws(APIError) -> JSON {
        var metadata = JSON.emptyObject
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"]
        where !object["metadata"][key].isNull {
            metadata[key] = object["metadata"][key]
        }
        let selector = strategy.scaleSelector(object)
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": metadata,
            "spec": ["replicas": .int(object["spec"]["replicas"].int64Value ?? 0)],
            "status": ["replicas": .int(object["status"]["replicas"].int64Value ?? 0), "selector": .string(selector)],
        ]
    }

    static func replicas(_ scale: JSON) throws(APIError) -> Int64 {
        guard let replicas = scale["spec"]["replicas"].int64Value, replicas >= 0 else {
            throw APIError(
                code: 422, reason: "Invalid",
                message:
                    "Scale.autoscaling \"\(scale.name ?? "")\" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0",
                name: scale.name, group: "autoscaling", kind: "Scale",
                causes: [
                    .init(
                        type: "FieldValueInvalid", message: "Invalid value: must be greater than or equal to 0",
                        field: "spec.replicas")
                ])
        }
        return replicas
    }
}
