import Foundation
import NIOCore
import NIOPosix
import SkiffModel
import Testing

@testable import SkiffAPIServer

/// What real clients send and compare, on a live TLS server, byte by byte: client-go's protobuf DeleteOptions (helm
/// uninstall), delete-collection answering with the deleted objects, metadata-only responses (client-go's metadata
/// informers), and response bodies as upstream writes them.
@Suite(.serialized) struct ClientCompatibilityTests {
    /// A response: status line, header block, body.
    struct Answer {
        var status: String
        var head: String
        var body: String
        var json: JSON { (try? JSON(parsing: Array(body.utf8))) ?? .null }
    }

    static func connect(_ port: Int, _ store: APIConnectionTests.Store) async throws -> RawWatchClient {
        try await RawWatchClient.connect(port: port, caPEM: store.caPEM, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// Sends one request with the join secret as bearer token and waits for its whole (Content-Length) response.
    static func request(
        _ client: RawWatchClient, _ method: String, _ path: String, headers: [String] = [], body: [UInt8] = []
    ) async throws -> Answer {
        try await exchange(
            client, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\n",
            headers: headers,
            body: body)
    }

    /// Sends the request line and headers in `head` (each ending in CRLF), then `headers` and `body`, and waits for
    /// the whole (Content-Length) response.
    static func exchange(
        _ client: RawWatchClient, _ head: String, headers: [String] = [], body: [UInt8] = []
    ) async throws -> Answer {
        client.collector.reset()
        var head = head
        for header in headers { head += header + "\r\n" }
        if !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        try await client.channel.writeAndFlush(ByteBuffer(bytes: Array((head + "\r\n").utf8) + body)).get()
        for _ in 0..<1000 {
            let text = client.received
            if let split = text.range(of: "\r\n\r\n"),
                let length = text[..<split.lowerBound].split(separator: "\r\n")
                    .first(where: { $0.lowercased().hasPrefix("content-length:") })
                    .flatMap({ Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }),
                text.utf8.count - text[..<split.upperBound].utf8.count >= length
            {
                let statusEnd = text.range(of: "\r\n")?.lowerBound ?? split.lowerBound
                return Answer(
                    status: String(text[..<statusEnd]), head: String(text[..<split.lowerBound]),
                    body: String(text[split.upperBound...]))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }

    static func create(_ client: RawWatchClient, _ path: String, _ object: JSON) async throws -> Answer {
        try await request(
            client, "POST", path, headers: ["Content-Type: application/json"], body: object.serialized())
    }

    // MARK: protobuf DeleteOptions

    /// A client-go protobuf body: magic, then `runtime.Unknown{typeMeta{apiVersion, kind}, raw}`.
    static func protobufBody(apiVersion: String, kind: String, raw: [UInt8]) -> [UInt8] {
        let typeMeta = field(1, Array(apiVersion.utf8)) + field(2, Array(kind.utf8))
        return [0x6b, 0x38, 0x73, 0x00] + field(1, typeMeta) + field(2, raw)
    }

    /// A length-delimited protobuf field.
    static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8(number << 3 | 2)]
        var length = bytes.count
        while length >= 0x80 {
            out.append(UInt8(length & 0x7f | 0x80))
            length >>= 7
        }
        out.append(UInt8(length))
        return out + bytes
    }

    /// DeleteOptions{preconditions{uid}} (field 2, uid field 1) and/or dryRun (field 5).
    static func deleteOptions(apiVersion: String, preconditionUID: String? = nil, dryRun: Bool = false) -> [UInt8] {
        var raw: [UInt8] = []
        if let preconditionUID { raw += field(2, field(1, Array(preconditionUID.utf8))) }
        if dryRun { raw += field(5, Array("All".utf8)) }
        return protobufBody(apiVersion: apiVersion, kind: "DeleteOptions", raw: raw)
    }

    static let protobuf = "Content-Type: application/vnd.kubernetes.protobuf"

    @Test func protobufDeleteOptionsAreReadOnDelete() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let created = try await Self.create(
                client, "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "settings"]])
            let uid = try #require(created.json["metadata"]["uid"].stringValue)
            let path = "/api/v1/namespaces/default/configmaps/settings"
            // A precondition on another uid: refused, so the body was read (a JSON parse would have been a 400).
            let refused = try await Self.request(
                client, "DELETE", path, headers: [Self.protobuf],
                body: Self.deleteOptions(apiVersion: "v1", preconditionUID: "not-\(uid)"))
            #expect(refused.status == "HTTP/1.1 409 Conflict", "\(refused.body)")
            #expect(refused.json["message"].stringValue?.contains("Precondition failed: UID in precondition") == true)
            #expect(try await Self.request(client, "GET", path).status == "HTTP/1.1 200 OK")
            let deleted = try await Self.request(
                client, "DELETE", path, headers: [Self.protobuf],
                body: Self.deleteOptions(apiVersion: "v1", preconditionUID: uid))
            #expect(deleted.status == "HTTP/1.1 200 OK", "\(deleted.body)")
            #expect(try await Self.request(client, "GET", path).status == "HTTP/1.1 404 Not Found")

            // client-go encodes the options in the version of the resource it deletes.
            let deployment: JSON = [
                "metadata": ["name": "web"],
                "spec": [
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": [
                        "metadata": ["labels": ["app": "web"]],
                        "spec": ["containers": [["name": "c", "image": "busybox"]]],
                    ],
                ],
            ]
            #expect(
                try await Self.create(client, "/apis/apps/v1/namespaces/default/deployments", deployment).status
                    == "HTTP/1.1 201 Created")
            let dryRun = try await Self.request(
                client, "DELETE", "/apis/apps/v1/namespaces/default/deployments/web", headers: [Self.protobuf],
                body: Self.deleteOptions(apiVersion: "apps/v1", dryRun: true))
            #expect(dryRun.status == "HTTP/1.1 200 OK", "\(dryRun.body)")
            #expect(
                try await Self.request(client, "GET", "/apis/apps/v1/namespaces/default/deployments/web").status
                    == "HTTP/1.1 200 OK", "a dry run deletes nothing")
            try await client.close(.tls)
        }
    }

    @Test func deleteCollectionReadsProtobufOptionsAndAnswersWithTheDeletedObjects() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            for name in ["a", "b", "c"] {
                let object: JSON = [
                    "metadata": ["name": .string(name), "labels": ["tier": name == "c" ? "db" : "web"]]
                ]
                _ = try await Self.create(client, "/api/v1/namespaces/default/configmaps", object)
            }
            let collection = "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dweb"
            let dryRun = try await Self.request(
                client, "DELETE", collection, headers: [Self.protobuf],
                body: Self.deleteOptions(apiVersion: "v1", dryRun: true))
            #expect(dryRun.status == "HTTP/1.1 200 OK", "\(dryRun.body)")
            #expect(dryRun.json["kind"] == "ConfigMapList")
            #expect(dryRun.json["items"].arrayValue?.compactMap(\.name) == ["a", "b"])
            let listed = try await Self.request(client, "GET", "/api/v1/namespaces/default/configmaps")
            #expect(listed.json["items"].arrayValue?.compactMap(\.name).sorted() == ["a", "b", "c"])

            let deleted = try await Self.request(client, "DELETE", collection)
            #expect(deleted.status == "HTTP/1.1 200 OK", "\(deleted.body)")
            #expect(deleted.json["kind"] == "ConfigMapList")
            #expect(deleted.json["apiVersion"] == "v1")
            #expect(deleted.json["metadata"]["resourceVersion"].stringValue?.isEmpty == false)
            #expect(deleted.json["items"].arrayValue?.compactMap(\.name) == ["a", "b"])
            #expect(deleted.json["items"][0]["metadata"]["labels"]["tier"] == "web")
            let left = try await Self.request(client, "GET", "/api/v1/namespaces/default/configmaps")
            #expect(left.json["items"].arrayValue?.compactMap(\.name) == ["c"])
            try await client.close(.tls)
        }
    }

    // MARK: metadata-only responses

    static let metadataList =
        "Accept: application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    static let metadataOne =
        "Accept: application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

    @Test func metadataOnlyListsGetsAndWatchesAsClientGoAsks() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let object: JSON = [
                "metadata": ["name": "settings", "labels": ["team": "edge"]], "data": ["secret-ish": "value"],
            ]
            _ = try await Self.create(client, "/api/v1/namespaces/default/configmaps", object)

            let list = try await Self.request(
                client, "GET", "/api/v1/namespaces/default/configmaps", headers: [Self.metadataList])
            #expect(list.status == "HTTP/1.1 200 OK")
            #expect(list.json["kind"] == "PartialObjectMetadataList")
            #expect(list.json["apiVersion"] == "meta.k8s.io/v1")
            #expect(list.json["metadata"]["resourceVersion"].stringValue?.isEmpty == false)
            let item = list.json["items"][0]
            #expect(item["kind"] == "PartialObjectMetadata" && item["apiVersion"] == "meta.k8s.io/v1")
            #expect(item["metadata"]["name"] == "settings" && item["metadata"]["labels"]["team"] == "edge")
            #expect(item["metadata"]["resourceVersion"].stringValue?.isEmpty == false)
            #expect(item["data"].isNull, "only metadata: \(list.body)")

            let one = try await Self.request(
                client, "GET", "/api/v1/namespaces/default/configmaps/settings", headers: [Self.metadataOne])
            #expect(one.json["kind"] == "PartialObjectMetadata" && one.json["apiVersion"] == "meta.k8s.io/v1")
            #expect(one.json["metadata"]["uid"].stringValue?.isEmpty == false)
            #expect(one.json["data"].isNull)
            let nodes = try await Self.request(client, "GET", "/api/v1/nodes", headers: [Self.metadataList])
            #expect(nodes.json["kind"] == "PartialObjectMetadataList", "not a NodeList: \(nodes.body)")

            // A list asked for as one object (and the reverse) is 406, as upstream.
            let wrong = try await Self.request(
                client, "GET", "/api/v1/namespaces/default/configmaps", headers: [Self.metadataOne])
            #expect(wrong.status == "HTTP/1.1 406 Not Acceptable")
            #expect(wrong.json["reason"] == "NotAcceptable")

            // Watch events carry PartialObjectMetadata.
            let watcher = try await Self.connect(port, store)
            try await watcher.send(
                "GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(list.json["metadata"]["resourceVersion"].stringValue ?? "") HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nAuthorization: Bearer secret\r\n\(Self.metadataOne)\r\n\r\n")
            try await watcher.responseStarted()
            _ = try await Self.create(
                client, "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "later"], "data": ["k": "v"]])
            let arrived = await APIConnectionTests.poll(within: .seconds(20)) { watcher.received.contains("later") }
            #expect(arrived)
            let line = try #require(watcher.received.split(separator: "\n").first { $0.contains("\"later\"") })
            let event = try JSON(parsing: Array(line.drop { $0 != "{" }.utf8))
            #expect(event["type"] == "ADDED")
            #expect(event["object"]["kind"] == "PartialObjectMetadata", "\(line)")
            #expect(event["object"]["metadata"]["name"] == "later" && event["object"]["data"].isNull)
            try await watcher.close(.tls)
            try await client.close(.tls)
        }
    }

    // MARK: bodies byte for byte

    @Test func statusAndObjectBodiesAreUpstreamsByteForByte() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let missing = try await Self.request(client, "GET", "/api/v1/namespaces/default/configmaps/nope")
            #expect(
                missing.body
                    == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}"#
                    + "\n")
            let missingDeployment = try await Self.request(
                client, "GET", "/apis/apps/v1/namespaces/default/deployments/nope")
            #expect(
                missingDeployment.body
                    == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"apps","kind":"deployments"},"code":404}"#
                    + "\n")
            let created = try await Self.create(
                client, "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "x"]])
            #expect(created.body.hasSuffix("}\n") && !created.body.hasSuffix("\n\n"))
            let again = try await Self.create(
                client, "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "x"]])
            #expect(
                again.body
                    == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" already exists","reason":"AlreadyExists","details":{"name":"x","kind":"configmaps"},"code":409}"#
                    + "\n")
            let got = try await Self.request(client, "GET", "/api/v1/namespaces/default/configmaps/x")
            #expect(got.body.hasSuffix("}\n"))
            let list = try await Self.request(client, "GET", "/api/v1/namespaces/default/configmaps")
            #expect(list.body.hasSuffix("]}\n"))
            let uid = try #require(created.json["metadata"]["uid"].stringValue)
            let deleted = try await Self.request(client, "DELETE", "/api/v1/namespaces/default/configmaps/x")
            #expect(
                deleted.body
                    == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"x","kind":"configmaps","uid":""#
                    + uid + #""}}"# + "\n")
            let version = try await Self.request(client, "GET", "/version")
            #expect(
                version.body.hasPrefix("{\n  \"major\": \"1\",\n  \"minor\": \"32\",") && version.body.hasSuffix("\n}"))
            try await client.close(.tls)
        }
    }
}
