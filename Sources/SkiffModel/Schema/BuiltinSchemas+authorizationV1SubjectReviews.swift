// Written by hand in the generator's output shape, from the Kubernetes v1.32 OpenAPI definitions and
// authorization/v1/generated.proto: `SubjectAccessReview` and `LocalSubjectAccessReview` were added to the served
// kinds when the generator's inputs were not at hand. The next run of tools/gen-schemas.py emits them into
// BuiltinSchemas+authorizationV1.swift (they are rows of BuiltinResources): delete this file then.

extension BuiltinSchemas {
    @_optimize(none)
    static func authorizationV1SubjectReviewTypes() -> [TypeSchema] {
        var types: [TypeSchema] = []
        for kind in ["SubjectAccessReview", "LocalSubjectAccessReview"] {
            types.append(
                TypeSchema(
                    name: "io.k8s.api.authorization.v1.\(kind)",
                    fields: [
                        FieldSchema("apiVersion", .string),
                        FieldSchema("kind", .string),
                        FieldSchema(
                            "metadata", .object("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), protobuf: 1),
                        FieldSchema(
                            "spec", .object("io.k8s.api.authorization.v1.SubjectAccessReviewSpec"), protobuf: 2),
                        FieldSchema(
                            "status", .object("io.k8s.api.authorization.v1.SubjectAccessReviewStatus"), protobuf: 3),
                    ],
                    required: ["spec"],
                    groupVersionKind: GroupVersionKind(group: "authorization.k8s.io", version: "v1", kind: kind)
                ))
        }
        types.append(
            TypeSchema(
                name: "io.k8s.api.authorization.v1.SubjectAccessReviewSpec",
                fields: [
                    FieldSchema("extra", .map(.array(.string)), protobuf: 5),
                    FieldSchema("groups", .array(.string), protobuf: 4, listType: "atomic"),
                    FieldSchema(
                        "nonResourceAttributes", .object("io.k8s.api.authorization.v1.NonResourceAttributes"),
                        protobuf: 2),
                    FieldSchema(
                        "resourceAttributes", .object("io.k8s.api.authorization.v1.ResourceAttributes"), protobuf: 1),
                    FieldSchema("uid", .string, protobuf: 6, omitsZeroValue: true),
                    FieldSchema("user", .string, protobuf: 3, omitsZeroValue: true),
                ]
            ))
        return types
    }
}
