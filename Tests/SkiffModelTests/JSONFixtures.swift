/// Test data shared by the JSON tests and the JSON benchmark.
enum JSONFixtures {
    /// A typical Pod as the API server returns it (compact, Go field order), about 1.1 KiB.
    static let pod =
        #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7d4b9c6f5-x2k8p","namespace":"default","uid":"5f0c2a7e-3b1d-4c8e-9a6f-2d7e1b4c9f03","resourceVersion":"48213","creationTimestamp":"2025-11-21T10:15:42Z","labels":{"app":"web","pod-template-hash":"7d4b9c6f5"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27-alpine","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"edge-01","securityContext":{},"schedulerName":"default-scheduler","priority":0,"enableServiceLinks":true},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2025-11-21T10:15:45Z"}],"hostIP":"10.0.0.11","podIP":"10.42.0.17","startTime":"2025-11-21T10:15:42Z","containerStatuses":[{"name":"nginx","ready":true,"restartCount":0,"started":true}],"qosClass":"Burstable"}}"#

    /// The same Pod as bytes.
    static let podBytes = Array(pod.utf8)
}

/// A small deterministic generator (SplitMix64), so fuzz failures reproduce.
struct JSONTestRandom: RandomNumberGenerator {
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
