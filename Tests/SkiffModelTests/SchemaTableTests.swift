import SkiffModel
import Testing

@Suite("Built-in schema table")
struct SchemaTableTests {
    let schemas = BuiltinSchemas.registry

    @Test func everyServedKindAndSubresourceKindHasASchema() {
        for resource in BuiltinResources.all {
            #expect(schemas.schema(for: resource.groupVersionKind) != nil, "\(resource.groupVersionKind)")
            let list = GroupVersionKind(group: resource.group, version: resource.version, kind: resource.listKind)
            // Create-only reviews (SelfSubjectReview) have no list kind.
            #expect(!resource.supports("list") || schemas.schema(for: list) != nil, "\(list)")
            for subresource in resource.subresources {
                guard let kind = subresource.responseKind else { continue }
                #expect(schemas.schema(for: kind) != nil, "\(resource.resource)/\(subresource.name): \(kind)")
            }
        }
    }

    @Test func everyReferenceResolvesAndProtobufNumbersAreUnique() {
        #expect(schemas.types.count > 300)
        for (name, schema) in schemas.types {
            var numbers = Set<Int>()
            for field in schema.fields {
                if let target = Self.objectName(field.type) {
                    #expect(schemas[target] != nil, "\(name).\(field.name) -> \(target)")
                }
                if let number = field.protobufNumber {
                    #expect(numbers.insert(number).inserted, "\(name).\(field.name) repeats protobuf number \(number)")
                }
            }
            for embedding in schema.protobufEmbedded {
                #expect(schemas[embedding.type] != nil, "\(name) embeds \(embedding.type)")
                #expect(!numbers.contains(embedding.number), "\(name) embedding \(embedding.number) clashes")
            }
        }
    }

    static func objectName(_ type: FieldType) -> String? {
        switch type {
        case .array(let element), .map(let element): return objectName(element)
        case .object(let name): return name
        default: return nil
        }
    }

    @Test func upstreamFactsSurvive() throws {
        let deployment = try #require(
            schemas.schema(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")))
        #expect(deployment.name == "io.k8s.api.apps.v1.Deployment")
        #expect(deployment.field("spec")?.type == .object("io.k8s.api.apps.v1.DeploymentSpec"))
        #expect(deployment.field("metadata")?.protobufNumber == 1)
        let spec = try #require(schemas["io.k8s.api.apps.v1.DeploymentSpec"])
        #expect(spec.field("replicas")?.type == .int32)
        #expect(spec.field("replicas")?.protobufNumber == 1)
        #expect(spec.field("replicas")?.omitsZeroValue == false)  // *int32: an explicit 0 is kept
        #expect(spec.required == ["selector", "template"])

        let podSpec = try #require(schemas["io.k8s.api.core.v1.PodSpec"])
        let containers = try #require(podSpec.field("containers"))
        #expect(containers.patchMergeKey == "name")
        #expect(containers.patchStrategy == "merge")
        #expect(containers.listType == "map")
        #expect(containers.listMapKeys == ["name"])
        #expect(podSpec.field("volumes")?.patchStrategy == "merge,retainKeys")

        let servicePorts = try #require(schemas["io.k8s.api.core.v1.ServiceSpec"]?.field("ports"))
        #expect(servicePorts.patchMergeKey == "port")
        #expect(servicePorts.listMapKeys == ["port", "protocol"])
        #expect(schemas["io.k8s.api.core.v1.ServicePort"]?.field("targetPort")?.type == .intOrString)

        let secret = try #require(schemas.schema(for: GroupVersionKind(group: "", version: "v1", kind: "Secret")))
        #expect(secret.field("data")?.type == .map(.bytes))
        #expect(secret.field("stringData")?.type == .map(.string))
        #expect(schemas["io.k8s.api.core.v1.ConfigMap"]?.field("binaryData")?.type == .map(.bytes))
        #expect(schemas["io.k8s.api.core.v1.ResourceRequirements"]?.field("limits")?.type == .map(.quantity))
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]?.field("creationTimestamp")?.type == .time)
        #expect(schemas["io.k8s.api.events.v1.Event"]?.field("eventTime")?.type == .microTime)
        #expect(schemas["io.k8s.api.apps.v1.ControllerRevision"]?.field("data")?.type == .any)
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]?.mapType == "atomic")

        // go-to-protobuf renamed these fields; the numbers still come through.
        #expect(
            schemas["io.k8s.api.networking.v1.IngressClassParametersReference"]?.field("apiGroup")?.protobufNumber == 1)
        #expect(schemas["io.k8s.api.authentication.v1.BoundObjectReference"]?.field("uid")?.protobufNumber == 4)

        // Inlined Go structs: Volume's source fields live in a nested protobuf message.
        let volume = try #require(schemas["io.k8s.api.core.v1.Volume"])
        #expect(volume.field("configMap")?.protobufNumber == nil)
        #expect(volume.protobufEmbedded == [ProtobufEmbedding(number: 2, type: "io.k8s.api.core.v1.VolumeSource")])
        #expect(schemas["io.k8s.api.core.v1.VolumeSource"]?.isProtobufOnly == true)
        #expect(schemas["io.k8s.api.core.v1.VolumeSource"]?.field("configMap")?.protobufNumber == 19)
    }

    @Test func unknownFieldsAreReportedLikeUpstream() throws {
        let validator = UnknownFieldValidator()
        let deployment: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "labels": ["app": "web"], "nmae": "x"],
            "spec": [
                "replicas": 2, "foo": true,
                "template": [
                    "spec": [
                        "containers": [
                            ["name": "a", "image": "busybox", "resources": ["limits": ["cpu": "1"]]],
                            ["name": "b", "imagee": "busybox", "Image": "x"],
                        ]
                    ]
                ],
            ],
            "status": nil,
        ]
        let kind = GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")
        let unknown = try #require(validator.unknownFields(in: deployment, kind: kind))
        #expect(
            unknown == [
                "metadata.nmae", "spec.foo", "spec.template.spec.containers[1].imagee",
                "spec.template.spec.containers[1].Image",
            ])
        #expect(UnknownFieldValidator.messages(["spec.foo"]) == [#"unknown field "spec.foo""#])
    }

    @Test func unknownFieldsDescendMapsAndSkipFreeFormValues() throws {
        let validator = UnknownFieldValidator()
        let crd: JSON = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": "foos.example.com", "managedFields": [["fieldsV1": ["f:anything": [:]]]]],
            "spec": [
                "group": "example.com",
                "versions": [
                    [
                        "name": "v1",
                        "schema": [
                            "openAPIV3Schema": [
                                "type": "object",
                                "properties": ["spec": ["type": "object", "bogus": 1, "default": ["free": "form"]]],
                            ]
                        ],
                    ]
                ],
            ],
        ]
        let kind = GroupVersionKind(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition")
        #expect(
            validator.unknownFields(in: crd, kind: kind)
                == ["spec.versions[0].schema.openAPIV3Schema.properties.spec.bogus"])
        #expect(
            validator.unknownFields(
                in: ["kind": "Nope"], kind: GroupVersionKind(group: "x", version: "v1", kind: "Nope")) == nil)
    }
}
