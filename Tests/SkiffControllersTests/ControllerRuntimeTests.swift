import Logging
import ServiceLifecycleTestKit
import SkiffClient
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffControllers

/// The controller runtime itself, on a manual clock and a source the test drives: no sleeps, no timing.
@Suite(.timeLimit(.minutes(1)))
struct ControllerRuntimeTests {
    let clock = ManualClock()
    let source = TestSource()
    let journal = Journal()

    func controller(
        workers: Int = 1, retry: RetryPolicy = RetryPolicy(initial: .seconds(1), maximum: .seconds(60), jitter: 0),
        cancelInFlight: Bool = false, writeStatus: Controller.StatusWriter? = nil,
        reconcile: @escaping Controller.Reconcile
    ) -> Controller {
        let journal = journal
        return Controller(
            Controller.Configuration(
                name: "test", workers: workers, retry: retry, clock: ServiceClock(clock), random: { 0 },
                cancelInFlightAtShutdown: cancelInFlight),
            watches: [
                Controller.Watch(source) { event, queue in
                    let name = event.object.name ?? ""
                    journal.update { $0.handled.append(name) }
                    queue.add(name)
                }
            ],
            writeStatus: writeStatus, logger: .runtimeTests
        ) { key, queue in
            journal.begin(key)
            defer { journal.end(key) }
            return try await reconcile(key, queue)
        }
    }

    /// Sends `probe` through the delayed keys, due at once, and waits for its reconcile: the delayed keys hand over
    /// everything due in one pass, so a key still waiting afterwards was not due.
    func settle(_ controller: Controller, probe: String = "probe") async {
        let before = journal.snapshot.finished[probe] ?? 0
        controller.queue.add(probe, after: .zero)
        await journal.wait { ($0.finished[probe] ?? 0) > before }
    }

    @Test func aKeyIsNeverReconciledTwiceAtOnce() async throws {
        let gate = Latch()
        let controller = controller(workers: 4) { key, _ in
            if key == "a" { await gate.wait() }
            return Controller.Result.done
        }
        source.synced.open()
        try await withRunning(controller) {
            controller.queue.add("a")
            await journal.wait { $0.started["a"] == 1 }
            controller.queue.add("a")  // while "a" is being reconciled
            await settle(controller)  // other workers are free meanwhile
            #expect(journal.snapshot.started["a"] == 1)
            gate.open()
            await journal.wait { $0.finished["a"] == 2 }
            #expect(journal.snapshot.maxActive["a"] == 1)
        }
    }

    @Test func backOffGrowsWithFailuresAndResetsOnSuccess() async throws {
        // a: fails, fails, succeeds, fails, succeeds.
        let outcomes = [false, false, true, false, true]
        let journal = journal
        let controller = controller { key, _ in
            guard key == "a" else { return .done }
            let call = journal.snapshot.started["a"]! - 1
            if !outcomes[call] { throw APIError(code: 500, reason: "InternalError", message: "try again") }
            return Controller.Result.done
        }
        source.synced.open()
        try await withRunning(controller) {
            controller.queue.add("a")
            await journal.wait { $0.finished["a"] == 1 }
            // First failure: 1 s.
            try await expectRetry(of: "a", after: .seconds(1), controller, finished: 2)
            // Second in a row: 2 s.
            try await expectRetry(of: "a", after: .seconds(2), controller, finished: 3)
            // The third call succeeded: the next failure starts from 1 s again.
            controller.queue.add("a")
            await journal.wait { $0.finished["a"] == 4 }
            try await expectRetry(of: "a", after: .seconds(1), controller, finished: 5)
        }
    }

    /// The key's retry is armed for `delay`: not reconciled just before it, reconciled once the clock reaches it.
    func expectRetry(of key: String, after delay: Duration, _ controller: Controller, finished: Int) async throws {
        await clock.waitForSleepers(1)
        clock.advance(by: delay - .milliseconds(1))
        await settle(controller)
        #expect(controller.queue.delayed.isWaiting(key), "due before its back-off of \(delay) was over")
        #expect(journal.snapshot.started[key] == finished - 1)
        clock.advance(by: .milliseconds(1))
        await journal.wait { $0.finished[key] == finished }
    }

    @Test func requeueAfterFiresOnlyWhenTheClockPassesIt() async throws {
        let journal = journal
        let controller = controller { key, _ in
            key == "a" && journal.snapshot.started["a"] == 1
                ? Controller.Result(requeueAfter: .seconds(10)) : Controller.Result.done
        }
        source.synced.open()
        try await withRunning(controller) {
            controller.queue.add("a")
            await journal.wait { $0.finished["a"] == 1 }
            await clock.waitForSleepers(1)
            clock.advance(by: .milliseconds(9_999))
            await settle(controller)
            #expect(controller.queue.delayed.isWaiting("a"))
            #expect(journal.snapshot.started["a"] == 1)
            clock.advance(by: .milliseconds(1))
            await journal.wait { $0.finished["a"] == 2 }
        }
    }

    @Test func keysAlignedToAWindowAreDueTogetherAtItsEnd() async throws {
        let controller = controller { _, _ in .done }
        source.synced.open()
        try await withRunning(controller) {
            let time = controller.queue.delayed.clock
            let start = time.now
            clock.advance(by: .milliseconds(30))
            controller.queue.add("a", alignedTo: .milliseconds(100))
            clock.advance(by: .milliseconds(50))
            controller.queue.add("b", alignedTo: .milliseconds(100))
            // Both are due at the same grid instant, at least a window after each was added.
            let due = ControllerQueue.aligned(start + .milliseconds(180), to: .milliseconds(100))
            #expect(due == ControllerQueue.aligned(start + .milliseconds(130), to: .milliseconds(100)))
            clock.advance(by: due - time.now - .milliseconds(1))
            await settle(controller)
            #expect(journal.snapshot.started["a"] == nil)
            #expect(journal.snapshot.started["b"] == nil)
            clock.advance(by: .milliseconds(1))
            await journal.wait { $0.finished["a"] == 1 && $0.finished["b"] == 1 }
        }
    }

    @Test func keysWaitForTheSourcesFirstList() async throws {
        let source = source
        let journal = journal
        let controller = controller { key, _ in
            journal.update { $0.notes.append(source.synced.isOpen ? "synced" : "not synced") }
            return Controller.Result.done
        }
        try await withRunning(controller) {
            source.emit("a")
            await journal.wait { $0.handled == ["a"] }
            // Queued, not skipped, not taken.
            #expect(controller.queue.count == 1)
            source.synced.open()
            await journal.wait { $0.finished["a"] == 1 }
            #expect(journal.snapshot.notes == ["synced"])
        }
    }

    @Test func statusReportsCoalesceIntoOneWritePerReconcile() async throws {
        let gate = Latch()
        let journal = journal
        let controller = controller(writeStatus: { _, status in journal.update { $0.writes.append(status) } }) {
            key, _ in
            if journal.snapshot.started[key] == 1 { await gate.wait() }
            return Controller.Result.done
        }
        source.synced.open()
        try await withRunning(controller) {
            controller.queue.add("p")
            await journal.wait { $0.started["p"] == 1 }
            for phase in ["Pending", "ContainerCreating", "Running"] {
                controller.queue.report(status: ["phase": .string(phase)], for: "p")
            }
            gate.open()
            // The reports queued "p" again while it was active: one more reconcile, and no second write.
            await journal.wait { $0.finished["p"] == 2 }
            #expect(journal.snapshot.writes == [["phase": "Running"]])
            // What was written already is not written again; a change is.
            controller.queue.report(status: ["phase": "Running"], for: "p")
            await journal.wait { $0.finished["p"] == 3 }
            controller.queue.report(status: ["phase": "Succeeded"], for: "p")
            await journal.wait { $0.writes.count == 2 }
            #expect(journal.snapshot.writes == [["phase": "Running"], ["phase": "Succeeded"]])
        }
    }

    @Test func gracefulShutdownLetsTheReconcileInFlightFinish() async throws {
        let gate = Latch()
        let journal = journal
        let source = source
        let controller = controller { key, _ in
            if key == "a" {
                await gate.wait()
                journal.update { $0.notes.append(Task.isCancelled ? "cancelled" : "finished") }
            }
            return Controller.Result.done
        }
        source.synced.open()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                controller.queue.add("a")
                await journal.wait { $0.started["a"] == 1 }
                trigger.triggerGracefulShutdown()
                await source.stopped.wait()  // the sources stop once the queue is closed
                controller.queue.add("b")  // too late: never taken
                gate.open()
                try await group.waitForAll()  // run() returns by itself
            }
        }
        #expect(journal.snapshot.notes == ["finished"])
        #expect(journal.snapshot.started["b"] == nil)
    }

    /// The kubelet's pod workers may be waiting out a container's 30 s stop: at shutdown they are cancelled, so the
    /// agent stops at once and the containers keep running.
    @Test func gracefulShutdownCanCancelTheReconcileInFlight() async throws {
        let journal = journal
        let source = source
        let clock = clock
        let controller = controller(cancelInFlight: true) { key, _ in
            do {
                try await clock.sleep(for: .seconds(3600))  // the manual clock never gets there
                journal.update { $0.notes.append("finished") }
            } catch {
                journal.update { $0.notes.append("cancelled") }
                throw error
            }
            return Controller.Result.done
        }
        source.synced.open()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                controller.queue.add("a")
                await journal.wait { $0.started["a"] == 1 }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()  // run() returns with the reconcile still asleep
            }
        }
        #expect(journal.snapshot.notes == ["cancelled"])
    }

    @Test func retryDelaysDoubleUpToTheCapWithBoundedJitter() {
        let policy = RetryPolicy(initial: .seconds(1), maximum: .seconds(8), jitter: 0.5)
        #expect(
            (1...6).map { policy.delay(failures: $0, random: 0) } == [1, 2, 4, 8, 8, 8].map { Duration.seconds($0) })
        #expect(policy.delay(failures: 1, random: 0.999) < .milliseconds(1_500))
        #expect(policy.delay(failures: 1, random: 0.5) == .milliseconds(1_250))
        #expect(policy.delay(failures: 1000, random: 0) == .seconds(8))
    }

    @Test func repeatingTimerRunsOncePerIntervalOnTheClock() async throws {
        let journal = journal
        let clock = clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await ServiceClock(clock).repeating(every: .seconds(5)) { journal.update { $0.notes.append("tick") } }
            }
            await clock.waitForSleepers(1)
            #expect(journal.snapshot.notes.isEmpty)
            clock.advance(by: .seconds(5))
            await journal.wait { $0.notes.count == 1 }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(5))
            await journal.wait { $0.notes.count == 2 }
            group.cancelAll()
        }
    }
}
