import SkiffModel
import Testing

@testable import SkiffControllers

@Suite("Scheduler cache")
struct SchedulerCacheTests {
    typealias F = SchedulerFixtures

    @Test func boundPodsAddUpOnTheirNode() throws {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        cache.upsert(
            pod: F.pod("a", cpu: "500m", memory: "1Gi", nodeName: "n1", ports: [["containerPort": 1, "hostPort": 80]]))
        cache.upsert(pod: F.pod("b", cpu: nil, memory: nil, nodeName: "n1"))
        cache.upsert(pod: F.pod("pending"))
        let info = try #require(cache.nodeInfo(named: "n1"))
        #expect(info.podCount == 2)
        #expect(info.requested == ResourceAmounts(milliCPU: 500, memory: 1 << 30))
        #expect(
            info.nonZeroRequested == ResourceAmounts(milliCPU: 600, memory: (1 << 30) + PodView.defaultMemoryRequest))
        #expect(info.usedPorts == [HostPort(port: 80)])
        #expect(cache.podCount == 2)
        #expect(cache.nodeCount == 1)
        #expect(cache.nodeInfo(named: "n2") == nil)
    }

    @Test func removingPodsRestoresTheNode() throws {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        let gpu = PodView(
            F.podJSON(
                "g", nodeName: "n1",
                containers: [
                    [
                        "name": "a", "resources": ["requests": ["cpu": "1", "example.com/gpu": "2"]],
                        "ports": [["containerPort": 1, "hostPort": 99]],
                    ]
                ]))
        cache.upsert(pod: gpu)
        #expect(cache.nodeInfo(named: "n1")?.requested.scalars == ["example.com/gpu": 2])
        let removed = cache.removePod(gpu)
        let removedAgain = cache.removePod(gpu)
        #expect(removed && !removedAgain)
        let info = try #require(cache.nodeInfo(named: "n1"))
        #expect(info.requested == .zero)
        #expect(info.nonZeroRequested == .zero)
        #expect(info.podCount == 0)
        #expect(info.usedPorts.isEmpty)
    }

    @Test func assumeThenConfirmCountsOnce() throws {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        let pending = F.pod("p", cpu: "1")
        cache.assume(pod: pending, on: "n1")
        #expect(cache.isAssumed(podKey: pending.key))
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 1000)
        // A status update written before the binding must not drop the assumption.
        cache.upsert(pod: pending)
        #expect(cache.isAssumed(podKey: pending.key))
        // The watch confirms the binding.
        cache.upsert(pod: F.pod("p", cpu: "1", nodeName: "n1"))
        #expect(!cache.isAssumed(podKey: pending.key))
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 1000)
        #expect(cache.nodeInfo(named: "n1")?.podCount == 1)
        // Forgetting a confirmed pod does nothing; assuming it again does not move it.
        let forgotten = cache.forget(pod: pending)
        #expect(!forgotten)
        cache.assume(pod: pending, on: "elsewhere")
        #expect(cache.nodeName(ofPod: pending.key) == "n1")
    }

    @Test func forgetUndoesAFailedBinding() throws {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        let pod = F.pod("p", cpu: "1", owner: "web", ports: [["containerPort": 1, "hostPort": 80]])
        cache.assume(pod: pod, on: "n1")
        #expect(cache.podCount(ofController: "rs-web", onNode: "n1") == 1)
        let forgotten = cache.forget(pod: pod)
        #expect(forgotten)
        #expect(!cache.isAssumed(podKey: pod.key))
        let info = try #require(cache.nodeInfo(named: "n1"))
        #expect(info.requested == .zero)
        #expect(info.usedPorts.isEmpty)
        #expect(cache.podCount(ofController: "rs-web", onNode: "n1") == 0)
        #expect(cache.ownerIDs.isEmpty)
    }

    @Test func confirmationOnAnotherNodeMovesThePod() {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        cache.upsert(node: F.node("n2"))
        cache.assume(pod: F.pod("p", cpu: "1"), on: "n1")
        cache.upsert(pod: F.pod("p", cpu: "1", nodeName: "n2"))
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 0)
        #expect(cache.nodeInfo(named: "n2")?.requested.milliCPU == 1000)
    }

    @Test func finishedPodsReleaseTheirNode() {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        cache.upsert(pod: F.pod("p", cpu: "1", nodeName: "n1"))
        var done = F.podJSON("p", cpu: "1", nodeName: "n1")
        done["status"]["phase"] = "Succeeded"
        cache.upsert(pod: PodView(done))
        #expect(cache.podCount == 0)
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 0)
    }

    @Test func terminatingPodsHoldResourcesButStopCountingAsReplicas() {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        cache.upsert(pod: F.pod("p", cpu: "1", nodeName: "n1", owner: "web"))
        #expect(cache.podCount(ofController: "rs-web", onNode: "n1") == 1)
        var deleting = F.podJSON("p", cpu: "1", nodeName: "n1", owner: "web")
        deleting["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
        cache.upsert(pod: PodView(deleting))
        #expect(cache.podCount(ofController: "rs-web", onNode: "n1") == 0)
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 1000)
    }

    @Test func podsMayArriveBeforeTheirNodeAndOutliveIt() throws {
        var cache = SchedulerCache()
        cache.upsert(pod: F.pod("early", cpu: "1", nodeName: "n1"))
        #expect(cache.nodeCount == 0)
        #expect(cache.nodeInfo(named: "n1") == nil)
        cache.upsert(node: F.node("n1"))
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 1000)
        let removed = cache.removeNode(named: "n1")
        let removedAgain = cache.removeNode(named: "n1")
        #expect(removed && !removedAgain)
        #expect(cache.nodeCount == 0)
        cache.upsert(node: F.node("n1"))
        #expect(cache.nodeInfo(named: "n1")?.requested.milliCPU == 1000)
        cache.removeNode(named: "n1")
        cache.removePod(key: "uid-early")
        #expect(cache.slotByName.isEmpty)
        #expect(cache.freeSlots.count == 1)
        // The freed slot is reused.
        cache.upsert(node: F.node("n9"))
        #expect(cache.entries.count == 1)
        #expect(cache.nodeNames == ["n9"])
    }

    @Test func nodeRemovalKeepsSchedulingOrderConsistent() throws {
        var cache = SchedulerCache()
        for name in ["a", "b", "c", "d"] { cache.upsert(node: F.node(name)) }
        cache.removeNode(named: "b")
        #expect(cache.nodeNames == ["a", "d", "c"])
        for slot in cache.active {
            #expect(cache.entries[cache.active[cache.entries[slot].activeIndex]].name == cache.entries[slot].name)
        }
        var scheduler = PodScheduler(cache: cache)
        #expect(try scheduler.schedule(F.pod("p", nodeName: "c")).nodeName == "c")
        #expect(throws: FitError.self) { try scheduler.schedule(F.pod("p", nodeName: "b")) }
    }

    @Test func nodeUpdatesKeepPodsAndRefreshFilters() throws {
        var scheduler = SchedulerFixtures.scheduler([F.node("n1")])
        scheduler.cache.upsert(pod: F.pod("a", cpu: "3", nodeName: "n1"))
        #expect(throws: FitError.self) { try scheduler.schedule(F.pod("p", cpu: "2")) }
        scheduler.cache.upsert(node: F.node("n1", cpu: "8"))
        #expect(try scheduler.schedule(F.pod("p", cpu: "2")).nodeName == "n1")
        scheduler.cache.upsert(node: F.node("n1", cpu: "8", unschedulable: true))
        #expect(scheduler.filterReasons(for: F.pod("p"), onNode: "n1") == ["node(s) were unschedulable"])
        #expect(scheduler.cache.nodeInfo(named: "n1")?.podCount == 1)
    }

    @Test func controllerIdsAreRecycled() {
        var cache = SchedulerCache()
        cache.upsert(node: F.node("n1"))
        cache.upsert(pod: F.pod("a", nodeName: "n1", owner: "one"))
        cache.upsert(pod: F.pod("b", nodeName: "n1", owner: "one"))
        cache.upsert(pod: F.pod("c", nodeName: "n1", owner: "two"))
        #expect(cache.ownerIDs.count == 2)
        cache.removePod(key: "uid-a")
        #expect(cache.podCount(ofController: "rs-one", onNode: "n1") == 1)
        cache.removePod(key: "uid-b")
        #expect(cache.ownerIDs["rs-one"] == nil)
        cache.upsert(pod: F.pod("d", nodeName: "n1", owner: "three"))
        #expect(cache.ownerReferences.count == 2)
        #expect(cache.podCount(ofController: "rs-three", onNode: "n1") == 1)
        #expect(cache.podCount(ofController: "rs-two", onNode: "n1") == 1)
    }

    @Test func schedulingAndAssumingFillsNodesUntilNoneFits() throws {
        var scheduler = SchedulerFixtures.scheduler([F.node("a", cpu: "1"), F.node("b", cpu: "1")])
        var placed: [String: Int] = [:]
        for index in 0..<4 {
            placed[try scheduler.scheduleAndAssume(F.pod("p\(index)", cpu: "500m")).nodeName, default: 0] += 1
        }
        #expect(placed == ["a": 2, "b": 2])
        #expect(throws: FitError.self) { try scheduler.scheduleAndAssume(F.pod("p4", cpu: "500m")) }
        // A binding fails: its resources come back.
        let forgotten = scheduler.cache.forget(pod: F.pod("p0", cpu: "500m"))
        #expect(forgotten)
        #expect(try scheduler.scheduleAndAssume(F.pod("p5", cpu: "500m")).feasibleNodes == 1)
    }
}
