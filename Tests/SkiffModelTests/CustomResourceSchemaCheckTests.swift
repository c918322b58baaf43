import SkiffModel
import Testing

/// Custom objects against their CRD's structural schema: errors worded as upstream's, unknown fields pruned and named.
@Suite struct CustomResourceSchemaCheckTests {
    static let schema: JSON = [
        "type": "object",
        "properties": [
            "spec": [
                "type": "object",
                "required": ["size"],
                "properties": [
                    "size": ["type": "integer", "minimum": 1, "maximum": 10],
                    "mode": ["type": "string", "enum": ["fast", "slow"]],
                    "name": ["type": "string", "pattern": "^[a-z]+$", "maxLength": 8],
                    "port": ["x-kubernetes-int-or-string": true],
                    "labels": ["type": "object", "additionalProperties": ["type": "string"]],
                    "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    "tags": ["type": "array", "items": ["type": "string"]],
                    "note": ["type": "string", "nullable": true],
                ],
            ],
            "status": ["type": "object", "properties": ["ready": ["type": "boolean"]]],
        ],
    ]

    static func check(_ spec: JSON, extra: JSONObject = [:]) -> CustomResourceSchemaCheck {
        var object: JSONObject = [
            "apiVersion": "skiff.test/v1", "kind": "Widget", "metadata": ["name": "w", "anything": "kept"],
            "spec": spec,
        ]
        for (key, value) in extra { object[key] = value }
        return CustomResourceSchemaCheck(.object(object), schema: schema)
    }

    @Test func aValidObjectPassesUnchanged() {
        let spec: JSON = [
            "size": 3, "mode": "fast", "name": "abc", "port": "http", "labels": ["a": "b"],
            "free": ["x": ["y": 1]], "tags": ["t"], "note": .null,
        ]
        let result = Self.check(spec)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.unknownFields.isEmpty)
        #expect(result.pruned["spec"] == spec)
        #expect(result.pruned["metadata"]["anything"] == "kept", "metadata is the generic code's")
    }

    @Test func wrongTypesAreRefusedInUpstreamsWords() throws {
        let result = Self.check(["size": "one", "tags": "t", "port": 1.5])
        let error = try #require(result.invalid(kind: "Widget", group: "skiff.test", name: "bad"))
        #expect(error.code == 422 && error.reason == "Invalid")
        #expect(
            result.errors.map(\.field) == ["spec.size", "spec.port", "spec.tags"]
                || Set(result.errors.map(\.field)) == ["spec.size", "spec.port", "spec.tags"])
        let size = try #require(result.errors.first { $0.field == "spec.size" })
        #expect(size.message == #"Invalid value: "string": spec.size in body must be of type integer: "string""#)
        #expect(error.message.hasPrefix(#"Widget.skiff.test "bad" is invalid: ["#))
    }

    @Test func boundsEnumsPatternsAndRequiredFields() {
        let result = Self.check(["size": 11, "mode": "warp", "name": "ABCDEFGHIJ"])
        let messages = Dictionary(grouping: result.errors, by: \.field).mapValues { $0.map(\.message) }
        #expect(messages["spec.size"] == ["Invalid value: 11: spec.size in body should be less than or equal to 10"])
        #expect(messages["spec.mode"] == [#"Unsupported value: "warp": supported values: "fast", "slow""#])
        #expect(messages["spec.name"]?.count == 2, "pattern and length: \(messages)")
        let missing = Self.check(["mode": "fast"])
        #expect(
            missing.errors == [
                APIError.Cause(type: "FieldValueRequired", message: "Required value", field: "spec.size")
            ])
    }

    @Test func unknownFieldsArePrunedAndNamed() {
        let result = Self.check(
            ["size": 1, "colour": "red", "labels": ["k": "v"], "free": ["anything": true]],
            extra: ["extra": 1, "status": ["ready": true, "stale": 1]])
        #expect(result.errors.isEmpty)
        #expect(result.unknownFields == ["spec.colour", "extra", "status.stale"])
        #expect(result.pruned["spec"] == ["size": 1, "labels": ["k": "v"], "free": ["anything": true]])
        #expect(result.pruned["extra"].isNull && result.pruned["status"] == ["ready": true])
    }

    @Test func nullsWhereTheSchemaIsNotNullableAreDropped() {
        let result = Self.check(["size": 1, "mode": .null, "note": .null])
        #expect(result.errors.isEmpty)
        #expect(result.pruned["spec"] == ["size": 1, "note": .null])
    }
}
