import Foundation
import Testing

@testable import SkiffContainerd

/// `skiff crictl inspect`'s JSON: crictl's shape from a CRI status and its verbose info.
@Suite struct CRIInspectorTests {
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func containerdsInfoDocumentIsTheInfoAndZeroValuesArePrinted() throws {
        let status = Runtime_V1_ContainerStatus.with {
            $0.id = "ad24"
            $0.metadata = .with { $0.name = "sleeper" }
            $0.state = .containerRunning
            $0.createdAt = 1_700_000_000_000_000_001
            $0.logPath = "/var/log/pods/x/sleeper/0.log"
        }
        let text = try CRIInspector.document(
            status: status, info: ["info": #"{"pid": 4242, "sandboxID": "d32d"}"#],
            defaults: ["state": "CONTAINER_CREATED", "exitCode": 0])
        let document = try Self.object(text)
        let statusObject = try #require(document["status"] as? [String: Any])
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["pid"] as? Int == 4242)
        #expect(info["sandboxID"] as? String == "d32d")
        #expect(statusObject["state"] as? String == "CONTAINER_RUNNING")
        #expect(statusObject["exitCode"] as? Int == 0)
        #expect(statusObject["createdAt"] as? Int == 1_700_000_000_000_000_001)
        #expect((statusObject["metadata"] as? [String: Any])?["attempt"] as? Int == 0)
        #expect(text.contains("/var/log/pods/x/sleeper/0.log"))  // slashes unescaped
    }

    @Test func aReadySandboxHasItsStateAndOtherInfoKeysStayApart() throws {
        let status = Runtime_V1_PodSandboxStatus.with {
            $0.id = "d32d"
            $0.state = .sandboxReady
            $0.metadata = .with {
                $0.name = "web"
                $0.namespace = "default"
                $0.attempt = 1
            }
        }
        let document = try Self.object(
            try CRIInspector.document(
                status: status, info: ["a": #"{"x": 1}"#, "b": "plain text"], defaults: ["state": "SANDBOX_READY"]))
        let statusObject = try #require(document["status"] as? [String: Any])
        #expect(statusObject["state"] as? String == "SANDBOX_READY")
        #expect((statusObject["metadata"] as? [String: Any])?["attempt"] as? Int == 1)
        let info = try #require(document["info"] as? [String: Any])
        #expect((info["a"] as? [String: Any])?["x"] as? Int == 1)
        #expect(info["b"] as? String == "plain text")
    }
}
