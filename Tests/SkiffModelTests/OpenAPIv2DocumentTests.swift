import SkiffModel
import Testing

/// `/openapi/v2` as kubectl reads it: gnostic's `openapi.v2.Document` in protobuf.
@Suite struct OpenAPIv2DocumentTests {
    /// The fields of one message: number → bytes of each length-delimited value.
    func fields(_ bytes: [UInt8]) throws -> [Int: [[UInt8]]] {
        var reader = ProtobufReader(bytes)
        var fields: [Int: [[UInt8]]] = [:]
        while let field = try reader.nextField() {
            guard case .lengthDelimited(let range) = field.value else {
                Issue.record("field \(field.number) is not length-delimited")
                continue
            }
            fields[field.number, default: []].append(Array(bytes[range]))
        }
        return fields
    }

    @Test func theProtobufDocumentIsSwagger2WithNoPathsOrDefinitions() throws {
        let document = try fields(OpenAPIv2Document.protobuf(kubernetesVersion: "v1.32.4+skiff"))
        #expect(document[1] == [Array("2.0".utf8)], "swagger")
        let info = try fields(try #require(document[2]?.first))
        #expect(info[1] == [Array("Kubernetes".utf8)], "info.title")
        #expect(info[2] == [Array("v1.32.4+skiff".utf8)], "info.version")
        #expect(document[8] == [[]], "paths: present and empty")
        #expect(document[9] == [[]], "definitions: present and empty")
        #expect(Set(document.keys) == [1, 2, 8, 9])
    }

    @Test func aLongVersionKeepsItsLengthPrefixRight() throws {
        let version = String(repeating: "v", count: 300)  // a two-byte length
        let info = try fields(
            try #require(try fields(OpenAPIv2Document.protobuf(kubernetesVersion: version))[2]?.first))
        #expect(info[2] == [Array(version.utf8)])
    }

    @Test func theJSONDocumentSaysTheSame() {
        let json = OpenAPIv2Document.json(kubernetesVersion: "v1")
        #expect(json["swagger"] == "2.0")
        #expect(json["paths"] == [:])
        #expect(json["definitions"] == [:])
    }
}
