import Testing

@testable import SkiffAPIServer

@Suite struct RequestBodyTests {
    @Test func contentTypesMapToMediaTypesIgnoringCaseBlanksAndParameters() {
        let cases: [(String?, RequestBody.MediaType?)] = [
            (nil, .json),
            ("", .json),
            ("application/json", .json),
            ("Application/JSON; charset=utf-8", .json),
            ("  application/yaml ;charset=utf-8", .yaml),
            ("application/vnd.kubernetes.protobuf", .protobuf),
            ("application/merge-patch+json", .mergePatch),
            ("application/json-patch+json", .jsonPatch),
            ("application/strategic-merge-patch+json\t", .strategicMergePatch),
            ("application/apply-patch+yaml", .applyPatch),
            ("text/plain", nil),
            ("application/jsonx", nil),
        ]
        for (header, expected) in cases {
            #expect(RequestBody.mediaType(header) == expected, "\(header ?? "nil")")
        }
    }
}
