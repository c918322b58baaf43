import Foundation
import SkiffModel

@testable import SkiffAgent

enum PodFixture {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)
    static let epochNanos: Int64 = 1_700_000_000 * 1_000_000_000

    static func nanos(_ seconds: Int64) -> Int64 { epochNanos + seconds * 1_000_000_000 }

    static func pod(
        _ name: String = "web", uid: String? = nil, restartPolicy: String = "Always", containers: [JSON]? = nil,
        initContainers: [JSON] = [], extra: (inout JSON) -> Void = { _ in }
    ) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid ?? "uid-\(name)")],
            "spec": [
                "nodeName": "node-a", "restartPolicy": .string(restartPolicy),
                "containers": .array(containers ?? [["name": "app", "image": "busybox:1.36"]]),
            ],
            "status": ["phase": "Pending"],
        ]
        if !initContainers.isEmpty { pod["spec"]["initContainers"] = .array(initContainers) }
        extra(&pod)
        return pod
    }

    static func container(_ name: String, image: String = "busybox:1.36") -> JSON {
        ["name": .string(name), "image": .string(image)]
    }

    static func observed(_ containers: [ObservedContainer], ready: Bool = true) -> ObservedPod {
        ObservedPod(
            sandboxes: [
                .init(
                    id: "s1", metadata: .init(name: "web", uid: "uid-web", namespace: "default"),
                    state: ready ? .ready : .notReady, createdAt: 1)
            ], podIP: "10.42.0.5", containers: containers)
    }

    static func exited(_ name: String, code: Int32, restart: Int = 0, finishedAt: Int64 = 0, reason: String = "")
        -> ObservedContainer
    {
        ObservedContainer(
            id: "\(name)-\(restart)", name: name, restartCount: restart, state: .exited, createdAt: Int64(restart + 1),
            startedAt: nanos(0), finishedAt: finishedAt == 0 ? nanos(1) : finishedAt, exitCode: code,
            reason: reason.isEmpty ? (code == 0 ? "Completed" : "Error") : reason)
    }

    static func running(_ name: String, restart: Int = 0) -> ObservedContainer {
        ObservedContainer(
            id: "\(name)-\(restart)", name: name, restartCount: restart, state: .running, createdAt: Int64(restart + 1),
            startedAt: nanos(0), image: "busybox:1.36", imageID: "docker.io/library/busybox@sha256:abc")
    }
}
