import SkiffModel
import Testing

@Suite("JSON merge patch (RFC 7386)")
struct PatchJSONMergeTests {
    /// The examples of RFC 7386 appendix A: (original, patch, result).
    static let rfcExamples: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: rfcExamples)
    func rfcAppendix(original: String, patch: String, expected: String) {
        let result = JSONMergePatch.merge(PatchFixtures.parse(patch), into: PatchFixtures.parse(original))
        #expect(result == PatchFixtures.parse(expected))
    }

    @Test func kubectlScaleAndLabel() throws {
        let scaled = try JSONMergePatch.apply(
            PatchFixtures.parse(#"{"spec":{"replicas":5}}"#), to: PatchFixtures.deployment)
        #expect(scaled["spec"]["replicas"] == 5)
        #expect(scaled["spec"]["template"] == PatchFixtures.deployment["spec"]["template"])

        let labelled = try JSONMergePatch.apply(
            PatchFixtures.parse(#"{"metadata":{"labels":{"tier":"front","app":null}}}"#), to: PatchFixtures.deployment)
        #expect(labelled["metadata"]["labels"] == ["tier": "front"])
    }

    @Test(arguments: ["null", "3", #""x""#, "[1]"])
    func nonObjectPatchIsBadRequest(patch: String) {
        #expect(throws: PatchError(.invalidPatch, "Invalid JSON Patch")) {
            try JSONMergePatch.apply(PatchFixtures.parse(patch), to: PatchFixtures.deployment)
        }
        let error = PatchError(.invalidPatch, "Invalid JSON Patch")
        #expect(error.apiError.code == 400)
        #expect(error.apiError.reason == "BadRequest")
    }
}

@Suite("JSON patch (RFC 6902)")
struct PatchJSONPatchTests {
    static func apply(_ patch: String, to document: String) throws(PatchError) -> JSON {
        let decoded = try JSONPatch(parsing: PatchFixtures.parse(patch))
        return try decoded.apply(to: PatchFixtures.parse(document))
    }

    /// RFC 6902 appendix A and pointer escapes: (document, patch, result).
    static let successes: [(String, String, String)] = [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"foo":"bar","baz":"qux"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (
            #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#,
            #"{"baz":"boo","foo":"bar"}"#
        ),
        (
            #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        (
            #"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
            #"{"foo":["all","cows","eat","grass"]}"#
        ),
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
            #"{"foo":"bar","child":{"grandchild":{}}}"#
        ),
        (
            #"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#,
            #"{"foo":["bar",["abc","def"]]}"#
        ),
        (#"{"foo":null}"#, #"[{"op":"test","path":"/foo","value":null}]"#, #"{"foo":null}"#),
        (#"{"foo":1}"#, #"[{"op":"test","path":"/foo","value":1.0}]"#, #"{"foo":1}"#),
        (
            #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10},{"op":"replace","path":"/~1","value":0}]"#,
            #"{"/":0,"~1":10}"#
        ),
        (
            #"{"a":{"b":1}}"#, #"[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]"#,
            #"{"a":{"b":1},"c":{"b":2}}"#
        ),
        (#"{"a":1}"#, #"[{"op":"add","path":"/n","value":null}]"#, #"{"a":1,"n":null}"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":{"b":2}}]"#, #"{"b":2}"#),
        (
            #"{"metadata":{"labels":{"app.kubernetes.io/name":"x"}}}"#,
            #"[{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1name"}]"#, #"{"metadata":{"labels":{}}}"#
        ),
        (
            #"{"spec":{"containers":[{"name":"a","image":"x"}]}}"#,
            #"[{"op":"test","path":"/spec/containers/0/name","value":"a"},{"op":"replace","path":"/spec/containers/0/image","value":"y"}]"#,
            #"{"spec":{"containers":[{"name":"a","image":"y"}]}}"#
        ),
    ]

    @Test(arguments: successes)
    func appliesOperations(document: String, patch: String, expected: String) throws {
        #expect(try Self.apply(patch, to: document) == PatchFixtures.parse(expected))
    }

    /// (document, patch, expected 422 message), worded like evanphx/json-patch v4.
    static let failures: [(String, String, String)] = [
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
            #"add operation does not apply: doc is missing path: "/baz/bat": missing value"#
        ),
        (#"{"foo":"bar"}"#, #"[{"op":"test","path":"/foo","value":"baz"}]"#, "testing value /foo failed: test failed"),
        (
            #"{"foo":"bar"}"#, #"[{"op":"remove","path":"/nope"}]"#,
            "error in remove for path: '/nope': Unable to remove nonexistent key: nope: missing value"
        ),
        (
            #"{"foo":[1]}"#, #"[{"op":"remove","path":"/foo/5"}]"#,
            "error in remove for path: '/foo/5': Unable to access invalid index: 5: invalid index referenced"
        ),
        (
            #"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/3","value":2}]"#,
            "error in add for path: '/foo/3': Unable to access invalid index: 3: invalid index referenced"
        ),
        (
            #"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/x","value":2}]"#,
            "error in add for path: '/foo/x': value was not a proper array index: 'x'"
        ),
        (
            #"{"foo":"bar"}"#, #"[{"op":"replace","path":"/nope","value":1}]"#,
            "replace operation does not apply: doc is missing key: /nope: missing value"
        ),
        (
            #"{"foo":"bar"}"#, #"[{"op":"move","from":"/a/b","path":"/c"}]"#,
            "move operation does not apply: doc is missing from path: /a/b: missing value"
        ),
        (
            #"{"foo":"bar"}"#, #"[{"op":"copy","from":"/nope","path":"/c"}]"#,
            "copy operation does not apply: doc is missing from path: /nope: missing value"
        ),
        (
            #"{"foo":"bar"}"#, #"[{"op":"test","path":"/a/b","value":1}]"#,
            "test operation does not apply: is missing path: /a/b: missing value"
        ),
        (#"{"foo":"bar"}"#, #"[{"op":"frob","path":"/foo"}]"#, "Unexpected kind: frob"),
        (#"{"foo":"bar"}"#, #"[{"path":"/foo"}]"#, "Unexpected kind: unknown"),
        (#"{"foo":"bar"}"#, #"[{"op":"add","value":1}]"#, "add operation failed to decode path: missing value"),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/x"}]"#, "add operation, missing value field: missing value"),
        (
            #"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#,
            "move operation does not apply: cannot move /a into its own child /a/b/c"
        ),
    ]

    @Test(arguments: failures)
    func rejectsWithUpstreamMessages(document: String, patch: String, message: String) {
        #expect(throws: PatchError(.notApplicable, message)) {
            try Self.apply(patch, to: document)
        }
    }

    @Test func failureLeavesNothingApplied() throws {
        let patch = try JSONPatch(
            parsing: PatchFixtures.parse(#"[{"op":"add","path":"/x","value":1},{"op":"test","path":"/y","value":2}]"#))
        let document: JSON = ["y": 1]
        #expect(throws: PatchError.self) { try patch.apply(to: document) }
        #expect(document == ["y": 1])
    }

    @Test(arguments: [
        (#"{"op":"add"}"#, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (#"["add"]"#, "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
    ])
    func malformedDocumentIsBadRequest(patch: String, message: String) {
        #expect(throws: PatchError(.invalidPatch, message)) {
            try JSONPatch(parsing: PatchFixtures.parse(patch))
        }
    }

    @Test func errorsMapToStatus() {
        let invalid = PatchError(.notApplicable, "testing value /foo failed: test failed").apiError
        #expect(invalid.code == 422)
        #expect(invalid.reason == "Invalid")
        #expect(invalid.message == "testing value /foo failed: test failed")
    }

    @Test func pointerParsing() throws {
        #expect(try JSONPointer(parsing: "").tokens == [])
        #expect(try JSONPointer(parsing: "/a~1b/~0c/").tokens == ["a/b", "~c", ""])
        #expect(try JSONPointer(parsing: "/a~1b/~0c").description == "/a~1b/~0c")
        #expect(throws: PatchError.self) { try JSONPointer(parsing: "a") }
        #expect(throws: PatchError.self) { try JSONPointer(parsing: "/a~2") }
    }
}
