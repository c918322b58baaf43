import SkiffModel
import Testing

@testable import SkiffControllers

@Suite("Scheduler scoring")
struct SchedulerScoringTests {
    typealias F = SchedulerFixtures

    @Test func leastAllocatedPrefersTheEmptierNode() throws {
        var scheduler = F.scheduler([F.node("busy"), F.node("idle"), F.node("half")])
        scheduler.cache.upsert(pod: F.pod("a", cpu: "3", memory: "6Gi", nodeName: "busy"))
        scheduler.cache.upsert(pod: F.pod("b", cpu: "2", memory: "4Gi", nodeName: "half"))
        for index in 0..<5 {
            #expect(try scheduler.schedule(F.pod("p\(index)", uid: "u\(index)")).nodeName == "idle")
        }
    }

    @Test func leastAllocatedScoreMatchesUpstreamFormula() throws {
        // cpu: (4000 − 1000 − 500) × 100 / 4000 = 62; memory: (8Gi − 2Gi − 1Gi) × 100 / 8Gi = 62 → 62; balanced:
        // fractions 0.375 and 0.375 → 100; taint 100 × 3; no spreading, no affinity.
        var scheduler = F.scheduler([F.node("a"), F.node("b", cpu: "1", memory: "1Gi")])
        scheduler.cache.upsert(pod: F.pod("x", cpu: "1", memory: "2Gi", nodeName: "a"))
        let result = try scheduler.schedule(F.pod("p", cpu: "500m", memory: "1Gi"))
        #expect(result.nodeName == "a")
        #expect(result.score == 62 + 100 + 300)
        #expect(result.feasibleNodes == 2)
        #expect(result.evaluatedNodes == 2)
    }

    @Test func balancedAllocationBreaksEvenLeastAllocated() throws {
        // Both nodes end up 50% allocated on average, but only "even" keeps cpu and memory in step.
        var scheduler = F.scheduler([
            F.node("even", cpu: "4", memory: "4Gi"), F.node("skewed", cpu: "4", memory: "4Gi"),
        ])
        scheduler.cache.upsert(pod: F.pod("x", cpu: "1", memory: "1Gi", nodeName: "even"))
        scheduler.cache.upsert(pod: F.pod("y", cpu: "2", memory: "0", nodeName: "skewed"))
        #expect(try scheduler.schedule(F.pod("p", cpu: "1", memory: "1Gi")).nodeName == "even")
    }

    @Test func replicasOfAReplicaSetSpreadAcrossNodes() throws {
        var scheduler = F.scheduler((1...3).map { F.node("n\($0)") })
        for index in 0..<6 {
            _ = try scheduler.scheduleAndAssume(F.pod("web-\(index)", cpu: nil, memory: nil, owner: "web"))
        }
        for node in ["n1", "n2", "n3"] {
            #expect(scheduler.cache.podCount(ofController: "rs-web", onNode: node) == 2)
        }
    }

    @Test func spreadingOutweighsAnEmptierNodeForSiblings() throws {
        // n1 already runs a replica but is otherwise emptier; the next replica still goes to n2.
        var scheduler = F.scheduler([F.node("n1"), F.node("n2")])
        scheduler.cache.upsert(pod: F.pod("web-0", cpu: "100m", memory: "128Mi", nodeName: "n1", owner: "web"))
        scheduler.cache.upsert(pod: F.pod("other", cpu: "200m", memory: "256Mi", nodeName: "n2"))
        #expect(try scheduler.schedule(F.pod("web-1", cpu: "100m", memory: "128Mi", owner: "web")).nodeName == "n2")
    }

    @Test func replicasSpreadAcrossZones() throws {
        // a1 runs a replica; a2 and b1 are equally empty and equally free of siblings, but a2 shares a zone with
        // it, so zone spreading sends the next replica to b1 whatever the tie-break hash says.
        let nodes = [
            F.node("a1", labels: [NodeView.zoneLabel: "a"]), F.node("a2", labels: [NodeView.zoneLabel: "a"]),
            F.node("b1", labels: [NodeView.zoneLabel: "b"]),
        ]
        for index in 0..<10 {
            var scheduler = F.scheduler(nodes)
            scheduler.cache.upsert(pod: F.pod("web-0", cpu: nil, memory: nil, nodeName: "a1", owner: "web"))
            let pod = F.pod("web-\(index + 1)", cpu: nil, memory: nil, owner: "web")
            #expect(try scheduler.schedule(pod).nodeName == "b1")
        }
    }

    @Test func zoneCountsFollowNodeRelabelling() throws {
        var scheduler = F.scheduler([F.node("a1", labels: [NodeView.zoneLabel: "a"]), F.node("b1")])
        scheduler.cache.upsert(pod: F.pod("web-0", cpu: nil, memory: nil, nodeName: "a1", owner: "web"))
        let owner = try #require(scheduler.cache.ownerIDs["rs-web"])
        let zoneA = try #require(scheduler.cache.zoneIDs["a"])
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneA) == 1)
        scheduler.cache.upsert(node: F.node("a1", labels: [NodeView.zoneLabel: "c"]))
        let zoneC = try #require(scheduler.cache.zoneIDs["c"])
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneA) == 0)
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneC) == 1)
        scheduler.cache.removeNode(named: "a1")
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneC) == 0)
        // The node comes back in zone a with its pod.
        scheduler.cache.upsert(node: F.node("a1", labels: [NodeView.zoneLabel: "a"]))
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneA) == 1)
        scheduler.cache.removePod(key: "uid-web-0")
        #expect(scheduler.cache.zoneCount(owner: owner, zone: zoneA) == 0)
    }

    @Test func preferredAffinityWeightsPickTheBestMatch() throws {
        let nodes = [
            F.node("plain"), F.node("ssd", labels: ["disk": "ssd"]),
            F.node("ssd-fast", labels: ["disk": "ssd", "net": "fast"]), F.node("fast", labels: ["net": "fast"]),
        ]
        let affinity: JSON = [
            "nodeAffinity": [
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    ["weight": 10, "preference": ["matchExpressions": [F.expression("disk", "In", ["ssd"])]]],
                    ["weight": 50, "preference": ["matchExpressions": [F.expression("net", "Exists")]]],
                ]
            ]
        ]
        var scheduler = F.scheduler(nodes)
        let result = try scheduler.schedule(F.pod("p", affinity: affinity))
        #expect(result.nodeName == "ssd-fast")
        // Affinity normalized to 100 × weight 2 on top of resources and taints.
        let plain = try F.scheduler([nodes[0], nodes[1]]).scheduleOnly(F.pod("q", affinity: affinity))
        #expect(plain == "ssd")
    }

    @Test func preferNoScheduleTaintIsAvoidedUnlessTolerated() throws {
        let nodes = [F.node("spot", taints: [F.taint("spot", "true", "PreferNoSchedule")]), F.node("regular")]
        var scheduler = F.scheduler(nodes)
        // Make the tainted node the emptier one so only the taint keeps pods away.
        scheduler.cache.upsert(pod: F.pod("x", cpu: "1", memory: "1Gi", nodeName: "regular"))
        #expect(try scheduler.schedule(F.pod("p")).nodeName == "regular")
        let tolerant = F.pod("q", tolerations: [["key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"]])
        #expect(try scheduler.schedule(tolerant).nodeName == "spot")
    }

    @Test func onlyFeasibleNodeIsTakenWithoutScoring() throws {
        var scheduler = F.scheduler([F.node("a", cpu: "1"), F.node("b")])
        let result = try scheduler.schedule(F.pod("p", cpu: "2"))
        #expect(result == ScheduleResult(nodeName: "b", score: 0, evaluatedNodes: 2, feasibleNodes: 1))
    }

    @Test func tieBreakIsDeterministicAndDependsOnThePod() throws {
        let nodes = (0..<20).map { F.node("node-\($0)") }
        var first = F.scheduler(nodes)
        var second = F.scheduler(nodes)
        var chosen = Set<String>()
        for index in 0..<20 {
            let pod = F.pod("p\(index)", uid: "uid-\(index)")
            let a = try first.schedule(pod).nodeName
            let b = try second.schedule(pod).nodeName
            #expect(a == b)
            chosen.insert(a)
        }
        // Identical empty nodes: pods with different uids land on different nodes.
        #expect(chosen.count > 10)
    }

    @Test func sameEventsGiveSamePlacements() throws {
        func run() throws -> [String] {
            var scheduler = F.scheduler((0..<50).map { F.node("n\($0)", cpu: "2", memory: "4Gi") })
            var placements: [String] = []
            for index in 0..<120 {
                let owner = index % 3 == 0 ? "a" : "b"
                placements.append(
                    try scheduler.scheduleAndAssume(F.pod("p\(index)", cpu: "300m", memory: "256Mi", owner: owner))
                        .nodeName)
            }
            return placements
        }
        #expect(try run() == run())
    }

    @Test(arguments: [(50, 50), (100, 100), (1000, 420), (5000, 500), (6000, 300)])
    func feasibleNodesToFindFollowsUpstream(nodes: Int, expected: Int) {
        #expect(SchedulerProfile.default.feasibleNodesToFind(among: nodes) == expected)
    }

    @Test func explicitPercentage() {
        #expect(SchedulerProfile(percentageOfNodesToScore: 100).feasibleNodesToFind(among: 5000) == 5000)
        #expect(SchedulerProfile(percentageOfNodesToScore: 1).feasibleNodesToFind(among: 5000) == 100)
    }

    @Test func samplingStopsEarlyAndRotatesTheStart() throws {
        var scheduler = F.scheduler((0..<1000).map { F.node("n\($0)") })
        let first = try scheduler.schedule(F.pod("p"))
        #expect(first.feasibleNodes == 420)
        #expect(first.evaluatedNodes == 420)
        #expect(scheduler.nextStartNodeIndex == 420)
        _ = try scheduler.schedule(F.pod("q"))
        _ = try scheduler.schedule(F.pod("r"))
        #expect(scheduler.nextStartNodeIndex == 260)
    }

    @Test func failuresDoNotStopTheSearchAndCountAsEvaluated() throws {
        var nodes = (0..<200).map { F.node("small-\($0)", cpu: "100m") }
        nodes += (0..<200).map { F.node("big-\($0)") }
        var scheduler = F.scheduler(nodes)
        let result = try scheduler.schedule(F.pod("p", cpu: "1"))
        // 400 nodes: 50 − 3 = 47% = 188 feasible wanted; the 200 small nodes come first and fail.
        #expect(result.feasibleNodes == 188)
        #expect(result.evaluatedNodes == 388)
        #expect(result.nodeName.hasPrefix("big-"))
    }
}

extension PodScheduler {
    /// Schedules without keeping the scheduler around (for one-off checks).
    fileprivate consuming func scheduleOnly(_ pod: PodView) throws -> String {
        try schedule(pod).nodeName
    }
}
