import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct NodeHealthTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func stamp(_ date: Date) -> String { KubeTimestamp.string(date) }

    func node(ready: String = "True", since: Date? = nil, autonomous: Bool = false, tainted: Bool = false) -> JSON {
        var node: JSON = [
            "metadata": ["name": "edge-1"],
            "status": [
                "conditions": [
                    ["type": "Ready", "status": .string(ready), "lastTransitionTime": .string(stamp(since ?? start))]
                ]
            ],
        ]
        if autonomous { node["metadata"]["annotations"] = ["node.skiff.io/autonomy": "true"] }
        if tainted { node["spec"]["taints"] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute"]] }
        return node
    }

    func lease(renewed: Date) -> JSON { ["spec": ["renewTime": .string(stamp(renewed))]] }

    func pod(_ name: String, tolerations: JSON? = nil) -> JSON {
        var pod: JSON = [
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)")],
            "spec": ["nodeName": "edge-1"],
        ]
        if let tolerations { pod["spec"]["tolerations"] = tolerations }
        return pod
    }

    @Test func freshLeaseDoesNothing() {
        #expect(
            NodeHealth.evaluate(
                node: node(), lease: lease(renewed: start), pods: [pod("a")], now: start + 10, gracePeriod: 40
            ).isEmpty)
    }

    @Test func staleLeaseMarksUnreachableAndTaints() {
        let actions = NodeHealth.evaluate(
            node: node(), lease: lease(renewed: start), pods: [pod("a")], now: start + 41, gracePeriod: 40)
        #expect(
            actions == [.markUnreachable(node: "edge-1", evicting: true), .recordLastHeard(node: "edge-1", at: start)])
    }

    @Test func podsAreEvictedAfterTheirTolerations() {
        var unknownNode = node(ready: "Unknown", since: start + 41, tainted: true)
        unknownNode["metadata"]["annotations"] = ["node.skiff.io/last-heard": .string(stamp(start))]
        let pods = [
            pod("default-300"),
            pod(
                "short",
                tolerations: [
                    [
                        "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 60,
                    ]
                ]),
            pod("forever", tolerations: [["operator": "Exists"]]),
        ]
        let early = NodeHealth.evaluate(
            node: unknownNode, lease: lease(renewed: start), pods: pods, now: start + 41 + 30, gracePeriod: 40)
        #expect(early.isEmpty)
        let middle = NodeHealth.evaluate(
            node: unknownNode, lease: lease(renewed: start), pods: pods, now: start + 41 + 61, gracePeriod: 40)
        #expect(middle == [.evict(namespace: "default", name: "short", uid: "uid-short")])
        let late = NodeHealth.evaluate(
            node: unknownNode, lease: lease(renewed: start), pods: pods, now: start + 41 + 301, gracePeriod: 40)
        #expect(
            late == [
                .evict(namespace: "default", name: "default-300", uid: "uid-default-300"),
                .evict(namespace: "default", name: "short", uid: "uid-short"),
            ])
    }

    @Test(arguments: ["node.skiff.io/autonomy", "node.beta.openyurt.io/autonomy"])
    func autonomousNodesKeepTheirPods(annotation: String) {
        var edge = node()
        edge["metadata"]["annotations"] = [annotation: "true"]
        let first = NodeHealth.evaluate(
            node: edge, lease: lease(renewed: start), pods: [pod("a")], now: start + 41, gracePeriod: 40)
        #expect(
            first == [.markUnreachable(node: "edge-1", evicting: false), .recordLastHeard(node: "edge-1", at: start)])
        var unknown = node(ready: "Unknown", since: start + 41, tainted: true)
        unknown["metadata"]["annotations"] = [annotation: "true", "node.skiff.io/last-heard": .string(stamp(start))]
        let hourLater = NodeHealth.evaluate(
            node: unknown, lease: lease(renewed: start), pods: [pod("a")], now: start + 3600, gracePeriod: 40)
        #expect(hourLater.isEmpty, "no eviction and no repeated marking on an autonomous node")
    }

    @Test func recoveredNodeLosesTheTaint() {
        let actions = NodeHealth.evaluate(
            node: node(ready: "True", tainted: true), lease: lease(renewed: start + 100), pods: [], now: start + 105,
            gracePeriod: 40)
        #expect(actions == [.clearUnreachableTaints(node: "edge-1")])
    }

    @Test func theLastHeardNoteGoesOnceTheNodeIsHeardAgain() {
        var edge = node(ready: "Unknown", since: start + 41, autonomous: true, tainted: true)
        edge["metadata"]["annotations"]["node.skiff.io/last-heard"] = .string(stamp(start))
        let still = NodeHealth.evaluate(
            node: edge, lease: lease(renewed: start), pods: [], now: start + 100, gracePeriod: 40)
        #expect(still.isEmpty, "noted once, not again while nothing changes")
        let back = NodeHealth.evaluate(
            node: edge, lease: lease(renewed: start + 99), pods: [], now: start + 100, gracePeriod: 40)
        #expect(back == [.clearUnreachableTaints(node: "edge-1"), .forgetLastHeard(node: "edge-1")])
    }
}

@Suite struct WorkQueueTests {
    @Test func deduplicatesAndRequeuesKeysChangedWhileActive() async {
        let queue = WorkQueue()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        let first = await queue.next()
        #expect(first == "a")
        queue.add("a")  // changed while being reconciled: comes back after done
        #expect(await queue.next() == "b")
        queue.done("b")
        #expect(queue.count == 0)
        queue.done("a")
        #expect(await queue.next() == "a")
        queue.done("a")
        queue.close()
        #expect(await queue.next() == nil)
    }

    @Test func manyWorkersEachGetDistinctKeys() async {
        let queue = WorkQueue()
        let taken = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { await queue.next() } }
            try? await Task.sleep(for: .milliseconds(50))
            for index in 0..<8 { queue.add("k\(index)") }
            var keys: [String] = []
            for await key in group { if let key { keys.append(key) } }
            return keys
        }
        #expect(Set(taken) == Set((0..<8).map { "k\($0)" }))
    }
}
