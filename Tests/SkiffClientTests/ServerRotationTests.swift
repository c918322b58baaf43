import SkiffClient
import Testing

/// Which server an agent talks to: the configured ones in order, learned ones after them, one failure moves on.
@Suite struct ServerRotationTests {
    let a = "https://10.0.0.1:6443"
    let b = "https://10.0.0.2:6443"
    let c = "https://10.0.0.3:6443"

    @Test func startsOnTheFirstConfiguredServerAndMovesOnOnlyWhenTheCurrentOneFails() {
        var rotation = ServerRotation(configured: [a, b])
        #expect(rotation.current == a)
        let other = rotation.failed(b)
        #expect(!other, "a failure of another server than the current one changes nothing")
        #expect(rotation.current == a)
        let first = rotation.failed(a)
        #expect(first)
        #expect(rotation.current == b)
        let second = rotation.failed(b)
        #expect(second)
        #expect(rotation.current == a, "after the last server, the first again")
    }

    @Test func aSingleServerStaysCurrentWhateverFails() {
        var rotation = ServerRotation(configured: [a])
        let moved = rotation.failed(a)
        #expect(!moved)
        #expect(rotation.current == a)
    }

    @Test func learnedServersComeAfterTheConfiguredOnesAndReplaceTheEarlierLearned() {
        var rotation = ServerRotation(configured: [b])
        rotation.learn([c, a, b])
        #expect(rotation.all == [b, a, c], "configured first, then the learned ones sorted, each once")
        rotation.failed(b)
        #expect(rotation.current == a)
        rotation.learn([c])
        #expect(rotation.all == [b, c], "a server gone from the Endpoints is forgotten, a configured one never")
        #expect(rotation.current == b, "the current server was forgotten: back to the first")
        rotation.failed(b)
        #expect(rotation.current == c)
        rotation.learn([c, a])
        #expect(rotation.current == c, "a current server still listed stays current")
    }

    @Test(arguments: [
        ("https://10.0.0.1:6443/", "https://10.0.0.1:6443"),
        ("https://Server.Example", "https://server.example:443"),
        ("https://[fd00::1]:6443", "https://[fd00::1]:6443"),
    ])
    func serversAreComparedInOneSpelling(_ given: String, _ normalized: String) {
        #expect(ServerRotation.normalize(given) == normalized)
        var rotation = ServerRotation(configured: [given])
        rotation.learn([normalized])
        #expect(rotation.all == [normalized], "the same server written two ways is one server")
    }

    @Test func endpointsAddressesBecomeURLs() {
        #expect(
            ServerRotation.servers(endpoints: ["10.0.0.2": [6443], "fd00::1": [6443], "10.0.0.1": [6443, 7443]])
                == [
                    "https://10.0.0.1:6443", "https://10.0.0.1:7443", "https://10.0.0.2:6443", "https://[fd00::1]:6443",
                ])
    }

    @Test func thePoolCountsItsChanges() {
        let pool = ServerPool([a, b])
        let before = pool.version
        #expect(pool.failed(a) == b)
        #expect(pool.failed(a) == nil, "a second report of the same failure does not move on again")
        #expect(pool.learn([c]))
        #expect(!pool.learn([c]))
        #expect(pool.version == before + 2)
        #expect(pool.contains("https://10.0.0.3:6443/"))
    }
}
