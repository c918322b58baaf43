import SkiffModel
import Testing

/// Builds protobuf wire bytes for tests.
struct ProtobufTestWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ number: Int, _ wireType: UInt8) { varint(UInt64(number) << 3 | UInt64(wireType)) }

    mutating func int(_ number: Int, _ value: Int64) {
        tag(number, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ number: Int, _ value: [UInt8]) {
        tag(number, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ number: Int, _ value: String) { bytes(number, Array(value.utf8)) }

    mutating func message(_ number: Int, _ build: (inout ProtobufTestWriter) -> Void) {
        var inner = ProtobufTestWriter()
        build(&inner)
        bytes(number, inner.bytes)
    }

    /// A whole request body: magic, then runtime.Unknown around `object`.
    static func body(apiVersion: String, kind: String, _ object: (inout ProtobufTestWriter) -> Void) -> [UInt8] {
        var unknown = ProtobufTestWriter()
        unknown.message(1) { typeMeta in
            typeMeta.string(1, apiVersion)
            typeMeta.string(2, kind)
        }
        unknown.message(2, object)
        return KubernetesProtobuf.magic + unknown.bytes
    }
}

extension [UInt8] {
    init(hex: String) {
        let digits = hex.unicodeScalars.compactMap { UInt8(String($0), radix: 16) }
        self = stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}

@Suite("Protobuf request decoding")
struct ProtobufDecoderTests {
    let schemas = BuiltinSchemas.registry

    func decode(_ bytes: [UInt8]) throws -> JSON {
        try KubernetesProtobuf.decode(bytes, schemas: schemas)
    }

    func expectError(_ code: ProtobufDecodingError.Code, _ bytes: [UInt8]) {
        do {
            _ = try KubernetesProtobuf.decode(bytes, schemas: schemas)
            Issue.record("expected \(code), decoded successfully")
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    // MARK: Real kubectl bodies

    @Test(arguments: KubectlProtobufFixtures.all.filter { $0.expectedJSON != nil })
    func kubectlBodyDecodesToTheJSONKubectlWouldSend(_ fixture: KubectlProtobufFixture) throws {
        let decoded = try decode([UInt8](hex: fixture.hex))
        let expected = try JSON(parsing: fixture.expectedJSON ?? "")
        #expect(decoded == expected, "\(fixture.command)\n got: \(decoded)\nwant: \(expected)")
        #expect(Array(decoded.objectValue?.keys.prefix(2) ?? []) == ["apiVersion", "kind"])
    }

    @Test func kubectlCreateNamespaceIs54Bytes() throws {
        let fixture = try #require(KubectlProtobufFixtures.all.first { $0.name == "namespace" })
        let bytes = [UInt8](hex: fixture.hex)
        #expect(bytes.count == 54)
        let envelope = try KubernetesProtobuf.envelope(bytes)
        #expect(envelope.apiVersion == "v1")
        #expect(envelope.kind == "Namespace")
        #expect(envelope.contentEncoding.isEmpty)
        #expect(
            try decode(bytes).serializedString()
                == #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"},"spec":{},"status":{}}"#)
    }

    @Test func kubectlCreateTokenDecodesTokenRequest() throws {
        let fixture = try #require(KubectlProtobufFixtures.all.first { $0.name == "token" })
        let decoded = try decode([UInt8](hex: fixture.hex))
        let expected: JSON = [
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": .emptyObject,
            "spec": ["audiences": ["api"], "expirationSeconds": 3600], "status": ["token": ""],
        ]
        #expect(decoded == expected, "\(decoded)")
    }

    @Test func kubectlAuthCommandsDecode() throws {
        let canI = try #require(KubectlProtobufFixtures.all.first { $0.name == "can-i" })
        let review: JSON = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": .emptyObject,
            "spec": [
                "resourceAttributes": ["namespace": "default", "verb": "get", "resource": "pods", "subresource": "log"]
            ],
            "status": ["allowed": false],
        ]
        #expect(try decode([UInt8](hex: canI.hex)) == review)
        let whoami = try #require(KubectlProtobufFixtures.all.first { $0.name == "whoami" })
        let selfReview: JSON = [
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": .emptyObject,
            "status": ["userInfo": .emptyObject],
        ]
        #expect(try decode([UInt8](hex: whoami.hex)) == selfReview)
    }

    @Test func deploymentKeepsWireOrder() throws {
        let fixture = try #require(KubectlProtobufFixtures.all.first { $0.name == "deployment" })
        let decoded = try decode([UInt8](hex: fixture.hex))
        #expect(decoded.objectValue?.keys == ["apiVersion", "kind", "metadata", "spec", "status"])
        #expect(decoded["spec"].objectValue?.keys == ["replicas", "selector", "template", "strategy"])
        #expect(decoded["spec"]["replicas"] == 2)
    }

    // MARK: Value encodings

    @Test func timesAreRFC3339() throws {
        let body = ProtobufTestWriter.body(apiVersion: "v1", kind: "Event") { event in
            event.message(1) { meta in
                meta.string(1, "e")
                meta.message(8) { time in time.int(1, 1_704_164_645) }  // creationTimestamp
            }
            event.message(10) { time in  // eventTime (MicroTime)
                time.int(1, 1_704_164_645)
                time.int(2, 123_456_789)
            }
            event.message(6) { time in time.int(1, -1) }  // firstTimestamp before the epoch
        }
        let decoded = try decode(body)
        #expect(decoded["metadata"]["creationTimestamp"] == "2024-01-02T03:04:05Z")
        #expect(decoded["eventTime"] == "2024-01-02T03:04:05.123456Z")
        #expect(decoded["firstTimestamp"] == "1969-12-31T23:59:59Z")
    }

    @Test func rfc3339Edges() {
        #expect(RFC3339Time.format(seconds: 0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339Time.format(seconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(RFC3339Time.format(seconds: 253_402_300_799) == "9999-12-31T23:59:59Z")
        #expect(RFC3339Time.format(seconds: 253_402_300_800) == nil)
        #expect(RFC3339Time.format(seconds: -62_167_219_200) == "0000-01-01T00:00:00Z")
        #expect(RFC3339Time.format(seconds: -62_167_219_201) == nil)
        #expect(RFC3339Time.format(seconds: 10, nanos: -1, fractionDigits: 6) == "1970-01-01T00:00:09.999999Z")
        #expect(RFC3339Time.format(seconds: Int64.max) == nil)
        #expect(RFC3339Time.format(seconds: Int64.min, nanos: -1) == nil)
    }

    @Test func quantitiesIntOrStringsBytesAndMaps() throws {
        let body = ProtobufTestWriter.body(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(2) { spec in
                spec.message(2) { container in  // containers[0]
                    container.string(1, "c")
                    container.message(8) { resources in
                        resources.message(1) { entry in  // limits["cpu"] = 500m
                            entry.string(1, "cpu")
                            entry.message(2) { quantity in quantity.string(1, "500m") }
                        }
                        resources.message(2) { entry in  // requests["memory"] with an empty Quantity
                            entry.string(1, "memory")
                            entry.message(2) { _ in }
                        }
                    }
                    container.message(10) { probe in  // livenessProbe
                        probe.message(1) { handler in  // ProbeHandler, inlined into Probe's JSON
                            handler.message(2) { http in  // httpGet
                                http.string(1, "/healthz")
                                http.message(2) { port in  // IntOrString int
                                    port.int(1, 0)
                                    port.int(2, 8080)
                                }
                            }
                        }
                        probe.int(2, 0)  // initialDelaySeconds: non-pointer omitempty, zero left out
                        probe.int(4, 0)  // periodSeconds
                    }
                    container.message(11) { probe in  // readinessProbe
                        probe.message(1) { handler in
                            handler.message(3) { tcp in  // tcpSocket
                                tcp.message(1) { port in  // IntOrString string
                                    port.int(1, 1)
                                    port.string(3, "http")
                                }
                            }
                        }
                    }
                }
                spec.message(1) { volume in  // volumes[0], VolumeSource inlined
                    volume.string(1, "cfg")
                    volume.message(2) { source in
                        source.message(19) { configMap in
                            configMap.message(1) { reference in reference.string(1, "app-config") }
                            configMap.int(3, 420)  // defaultMode
                        }
                    }
                }
            }
        }
        let decoded = try decode(body)
        let container = decoded["spec"]["containers"][0]
        #expect(container["resources"] == ["limits": ["cpu": "500m"], "requests": ["memory": "0"]])
        #expect(container["livenessProbe"] == ["httpGet": ["path": "/healthz", "port": 8080]])
        #expect(container["readinessProbe"] == ["tcpSocket": ["port": "http"]])
        #expect(
            decoded["spec"]["volumes"][0] == ["name": "cfg", "configMap": ["name": "app-config", "defaultMode": 420]])
    }

    @Test func secretBytesAreBase64() throws {
        let body = ProtobufTestWriter.body(apiVersion: "v1", kind: "Secret") { secret in
            secret.message(2) { entry in
                entry.string(1, "bin")
                entry.bytes(2, [0x00, 0xff, 0x10])
            }
            secret.message(2) { entry in entry.string(1, "none") }  // no value: empty bytes
            secret.bytes(3, Array("Opaque".utf8))
        }
        let decoded = try decode(body)
        #expect(decoded["data"] == ["bin": "AP8Q", "none": ""])
        #expect(decoded["type"] == "Opaque")
    }

    @Test func negativeIntegersAndBooleans() throws {
        let body = ProtobufTestWriter.body(apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass") { priority in
            priority.int(2, -1000)  // value (int32, sign-extended to ten bytes)
            priority.int(3, 1)  // globalDefault
        }
        let decoded = try decode(body)
        #expect(decoded["value"] == -1000)
        #expect(decoded["globalDefault"] == true)
        let job = ProtobufTestWriter.body(apiVersion: "batch/v1", kind: "Job") { job in
            job.message(2) { spec in spec.int(3, Int64.min) }  // activeDeadlineSeconds (int64)
        }
        #expect(try decode(job)["spec"]["activeDeadlineSeconds"] == .int(Int64.min))
    }

    @Test func packedAndUnpackedRepeatedScalars() throws {
        // PodSecurityContext.supplementalGroups (repeated int64, field 4).
        var packed = ProtobufTestWriter()
        for value: Int64 in [1, 2, -3] { packed.varint(UInt64(bitPattern: value)) }
        let body = ProtobufTestWriter.body(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(2) { spec in
                spec.message(14) { context in
                    context.int(4, 7)
                    context.bytes(4, packed.bytes)
                    context.int(4, 8)
                }
            }
        }
        #expect(try decode(body)["spec"]["securityContext"]["supplementalGroups"] == [7, 1, 2, -3, 8])
    }

    @Test func rawExtensionHoldsJSON() throws {
        let body = ProtobufTestWriter.body(apiVersion: "apps/v1", kind: "ControllerRevision") { revision in
            revision.message(1) { meta in meta.string(1, "rev") }
            revision.message(2) { raw in raw.bytes(1, Array(#"{"spec":{"x":[1,2]}}"#.utf8)) }
            revision.int(3, 4)
        }
        let decoded = try decode(body)
        #expect(
            decoded == [
                "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": ["name": "rev"],
                "data": ["spec": ["x": [1, 2]]], "revision": 4,
            ])
        let bad = ProtobufTestWriter.body(apiVersion: "apps/v1", kind: "ControllerRevision") { revision in
            revision.message(2) { raw in raw.bytes(1, Array("{nope".utf8)) }
        }
        expectError(.invalidEmbeddedJSON, bad)
    }

    @Test func unknownFieldsAreSkipped() throws {
        let body = ProtobufTestWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.int(99, 5)
            configMap.tag(98, 5)
            configMap.bytes += [1, 2, 3, 4]
            configMap.tag(97, 1)
            configMap.bytes += [1, 2, 3, 4, 5, 6, 7, 8]
            configMap.message(1) { meta in meta.string(1, "cm") }
        }
        #expect(try decode(body) == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"]])
    }

    // MARK: Hostile input

    @Test func malformedInputIsRejected() {
        expectError(.invalidEnvelope, [])
        expectError(.invalidEnvelope, Array("{\"kind\":\"Pod\"}".utf8))
        expectError(.invalidEnvelope, KubernetesProtobuf.magic)  // no TypeMeta
        expectError(.truncated, KubernetesProtobuf.magic + [0x0a, 0x05, 0x0a])  // length runs past the end
        expectError(.truncated, KubernetesProtobuf.magic + [0x0a])  // tag without value
        expectError(.malformedVarint, KubernetesProtobuf.magic + [0x08] + [UInt8](repeating: 0xff, count: 11))
        expectError(.malformedVarint, KubernetesProtobuf.magic + [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x02])
        expectError(.invalidWireType, KubernetesProtobuf.magic + [0x0b])  // start group
        expectError(.invalidWireType, KubernetesProtobuf.magic + [0x00, 0x00])  // field number 0
        expectError(.unknownKind, ProtobufTestWriter.body(apiVersion: "v1", kind: "Nope") { _ in })
        var gzip = ProtobufTestWriter()
        gzip.message(1) { typeMeta in
            typeMeta.string(1, "v1")
            typeMeta.string(2, "ConfigMap")
        }
        gzip.string(3, "gzip")
        expectError(.unsupportedEncoding, KubernetesProtobuf.magic + gzip.bytes)
        // A string field sent as a varint.
        expectError(
            .invalidWireType,
            ProtobufTestWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
                configMap.message(1) { meta in meta.int(1, 3) }
            })
        // An IntOrString with an unknown type.
        expectError(
            .invalidValue,
            ProtobufTestWriter.body(apiVersion: "policy/v1", kind: "PodDisruptionBudget") { pdb in
                pdb.message(2) { spec in spec.message(1) { port in port.int(1, 7) } }
            })
    }

    @Test func nestingIsBounded() {
        // JSONSchemaProps.properties nests without end: {29: {1: key, 2: JSONSchemaProps{29: ...}}}.
        var inner: [UInt8] = []
        for _ in 0..<200 {
            var entry = ProtobufTestWriter()
            entry.string(1, "p")
            entry.bytes(2, inner)
            var props = ProtobufTestWriter()
            props.bytes(29, entry.bytes)
            inner = props.bytes
        }
        let body = ProtobufTestWriter.body(apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition") {
            crd in
            crd.message(2) { spec in
                spec.message(7) { version in  // versions[0]
                    version.string(1, "v1")
                    version.message(4) { validation in validation.bytes(1, inner) }
                }
            }
        }
        expectError(.exceededMaxDepth, body)
    }

    /// Many repeated entries (a message sent again and again is merged; map entries and list elements appended).
    /// That they decode in linear time is measured by `JSONBenchmark` (bench/json); a per-element copy would make
    /// this 100 000-entry body take hours, not a figure to assert.
    @Test func manyRepeatedEntriesDecode() throws {
        let count = 100_000
        let decoded = try decode(Self.repeatedEntries(count))
        #expect(decoded["metadata"]["finalizers"].arrayValue?.count == count)
        #expect(decoded["data"].objectValue?.count == count)
        #expect(decoded["data"]["k99999"] == "v")
    }

    /// A ConfigMap body with `count` metadata messages (each one finalizer, merged) and `count` data entries.
    static func repeatedEntries(_ count: Int) -> [UInt8] {
        ProtobufTestWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            for i in 0..<count {
                configMap.message(1) { meta in meta.string(14, "f") }  // metadata sent again and again: merged
                configMap.message(2) { entry in  // data["k<i>"]
                    entry.string(1, "k\(i)")
                    entry.string(2, "v")
                }
            }
        }
    }

    @Test func mutatedBodiesNeverCrash() {
        var generator = ProtobufFuzzRandom(seed: 0x5eed)
        let seeds = KubectlProtobufFixtures.all.map { [UInt8](hex: $0.hex) }
        var decodedCount = 0
        for round in 0..<3000 {
            var bytes = seeds[round % seeds.count]
            let edits = 1 + Int(generator.next() % 4)
            for _ in 0..<edits {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.removeSubrange(position...)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
                if bytes.isEmpty { break }
            }
            if (try? KubernetesProtobuf.decode(bytes, schemas: schemas)) != nil { decodedCount += 1 }
        }
        #expect(decodedCount < 3000)
    }
}

/// A small deterministic generator so fuzz rounds are reproducible.
struct ProtobufFuzzRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
