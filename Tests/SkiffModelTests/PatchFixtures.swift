import SkiffModel

/// Hand-built schemas with the strategic-merge metadata of the upstream fields they imitate.
enum PatchFixtures {
    static let podKind = GroupVersionKind(group: "", version: "v1", kind: "Pod")
    static let deploymentKind = GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")
    static let serviceKind = GroupVersionKind(group: "", version: "v1", kind: "Service")
    static let nodeKind = GroupVersionKind(group: "", version: "v1", kind: "Node")
    static let unknownKind = GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")

    static let registry = SchemaRegistry([
        TypeSchema(
            name: "ObjectMeta",
            fields: [
                FieldSchema("name", .string), FieldSchema("namespace", .string), FieldSchema("uid", .string),
                FieldSchema("resourceVersion", .string), FieldSchema("generation", .int64),
                FieldSchema("creationTimestamp", .time),
                FieldSchema("labels", .map(.string)), FieldSchema("annotations", .map(.string)),
                FieldSchema("finalizers", .array(.string), patchStrategy: "merge", listType: "set"),
                FieldSchema(
                    "ownerReferences", .array(.object("OwnerReference")), patchMergeKey: "uid", patchStrategy: "merge",
                    listType: "map", listMapKeys: ["uid"]),
                FieldSchema("managedFields", .array(.any)),
            ]),
        TypeSchema(name: "OwnerReference", fields: [FieldSchema("uid", .string), FieldSchema("name", .string)]),
        TypeSchema(
            name: "Pod",
            fields: [
                FieldSchema("apiVersion", .string), FieldSchema("kind", .string),
                FieldSchema("metadata", .object("ObjectMeta")), FieldSchema("spec", .object("PodSpec")),
                FieldSchema("status", .any),
            ], groupVersionKind: podKind),
        TypeSchema(
            name: "PodSpec",
            fields: [
                FieldSchema(
                    "containers", .array(.object("Container")), patchMergeKey: "name", patchStrategy: "merge",
                    listType: "map", listMapKeys: ["name"]),
                FieldSchema(
                    "volumes", .array(.object("Volume")), patchMergeKey: "name", patchStrategy: "merge,retainKeys",
                    listType: "map", listMapKeys: ["name"]),
                FieldSchema("tolerations", .array(.object("Toleration")), listType: "atomic"),
                FieldSchema("nodeName", .string), FieldSchema("restartPolicy", .string),
                FieldSchema("nodeSelector", .map(.string)),
            ]),
        TypeSchema(
            name: "Container",
            fields: [
                FieldSchema("name", .string), FieldSchema("image", .string),
                FieldSchema("args", .array(.string), listType: "atomic"),
                FieldSchema(
                    "env", .array(.object("EnvVar")), patchMergeKey: "name", patchStrategy: "merge", listType: "map",
                    listMapKeys: ["name"]),
                FieldSchema(
                    "ports", .array(.object("ContainerPort")), patchMergeKey: "containerPort", patchStrategy: "merge",
                    listType: "map", listMapKeys: ["containerPort", "protocol"]),
                FieldSchema("resources", .object("Resources")),
            ]),
        TypeSchema(name: "EnvVar", fields: [FieldSchema("name", .string), FieldSchema("value", .string)]),
        TypeSchema(
            name: "ContainerPort",
            fields: [
                FieldSchema("containerPort", .int32), FieldSchema("protocol", .string), FieldSchema("name", .string),
            ]),
        TypeSchema(
            name: "Resources",
            fields: [FieldSchema("limits", .map(.quantity)), FieldSchema("requests", .map(.quantity))]),
        TypeSchema(
            name: "Volume",
            fields: [FieldSchema("name", .string), FieldSchema("emptyDir", .any), FieldSchema("configMap", .any)]),
        TypeSchema(
            name: "Toleration", fields: [FieldSchema("key", .string), FieldSchema("operator", .string)]),
        TypeSchema(
            name: "Deployment",
            fields: [
                FieldSchema("apiVersion", .string), FieldSchema("kind", .string),
                FieldSchema("metadata", .object("ObjectMeta")), FieldSchema("spec", .object("DeploymentSpec")),
                FieldSchema("status", .any),
            ], groupVersionKind: deploymentKind),
        TypeSchema(
            name: "DeploymentSpec",
            fields: [
                FieldSchema("replicas", .int32), FieldSchema("selector", .object("LabelSelector")),
                FieldSchema("template", .object("PodTemplateSpec")),
                FieldSchema("strategy", .object("DeploymentStrategy"), patchStrategy: "retainKeys"),
            ]),
        TypeSchema(
            name: "LabelSelector",
            fields: [FieldSchema("matchLabels", .map(.string)), FieldSchema("matchExpressions", .array(.any))]),
        TypeSchema(
            name: "PodTemplateSpec",
            fields: [FieldSchema("metadata", .object("ObjectMeta")), FieldSchema("spec", .object("PodSpec"))]),
        TypeSchema(
            name: "DeploymentStrategy",
            fields: [FieldSchema("type", .string), FieldSchema("rollingUpdate", .object("RollingUpdate"))]),
        TypeSchema(
            name: "RollingUpdate",
            fields: [FieldSchema("maxSurge", .intOrString), FieldSchema("maxUnavailable", .intOrString)]),
        TypeSchema(
            name: "Service",
            fields: [
                FieldSchema("apiVersion", .string), FieldSchema("kind", .string),
                FieldSchema("metadata", .object("ObjectMeta")), FieldSchema("spec", .object("ServiceSpec")),
                FieldSchema("status", .any),
            ], groupVersionKind: serviceKind),
        TypeSchema(
            name: "ServiceSpec",
            fields: [
                FieldSchema(
                    "ports", .array(.object("ServicePort")), patchMergeKey: "port", patchStrategy: "merge",
                    listType: "map", listMapKeys: ["port", "protocol"]),
                FieldSchema("selector", .map(.string)), FieldSchema("type", .string), FieldSchema("clusterIP", .string),
            ]),
        TypeSchema(
            name: "ServicePort",
            fields: [
                FieldSchema("name", .string), FieldSchema("port", .int32), FieldSchema("targetPort", .intOrString),
                FieldSchema("protocol", .string),
            ]),
        TypeSchema(
            name: "Node",
            fields: [
                FieldSchema("apiVersion", .string), FieldSchema("kind", .string),
                FieldSchema("metadata", .object("ObjectMeta")), FieldSchema("spec", .object("NodeSpec")),
            ], groupVersionKind: nodeKind),
        TypeSchema(
            name: "NodeSpec",
            fields: [
                FieldSchema("unschedulable", .boolean), FieldSchema("taints", .array(.any)),
                FieldSchema("podCIDR", .string),
            ]),
    ])

    static func parse(_ text: String) -> JSON {
        do {
            return try JSON(parsing: text)
        } catch {
            fatalError("bad fixture JSON: \(error): \(text)")
        }
    }

    static let deployment = parse(
        """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
          "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
          "template":{"metadata":{"labels":{"app":"web"}},
           "spec":{"containers":[
             {"name":"app","image":"nginx:1","ports":[{"containerPort":80,"protocol":"TCP"}],
              "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"args":["--a","--b"]},
             {"name":"sidecar","image":"busybox"}],
            "restartPolicy":"Always"}}}}
        """)

    static let service = parse(
        """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
         "spec":{"type":"ClusterIP","clusterIP":"10.43.0.20","selector":{"app":"web"},
          "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080},
                   {"name":"https","port":443,"protocol":"TCP","targetPort":8443}]}}
        """)

    static let node = parse(
        """
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}},
         "spec":{"podCIDR":"10.42.0.0/24"}}
        """)
}
