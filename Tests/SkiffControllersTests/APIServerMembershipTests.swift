import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

/// Which servers the `kubernetes` Endpoints list: those whose lease is live, grouped by port.
@Suite struct APIServerMembershipTests {
    typealias Member = APIServerMembership.Member
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let own = Member(address: "10.0.0.1", port: 6443)

    func lease(_ member: Member, renewed: Date, seconds: Int = 15) -> JSON {
        APIServerMembership.lease(member, current: nil, now: renewed, duration: .seconds(Int64(seconds)))
    }

    @Test func theLeaseNamesItsServer() {
        let lease = lease(Member(address: "10.0.0.2", port: 7443), renewed: now)
        #expect(lease.name == "skiff-apiserver-10-0-0-2-7443")
        #expect(lease["metadata"]["namespace"] == "kube-system")
        #expect(lease["metadata"]["labels"]["skiff.io/apiserver-endpoint"] == "true")
        #expect(lease["spec"]["holderIdentity"] == "10.0.0.2:7443")
        #expect(lease["spec"]["leaseDurationSeconds"] == 15)
        #expect(lease["spec"]["renewTime"].stringValue.flatMap(KubeTimestamp.date) == now)
        #expect(APIServerMembership.leaseName(Member(address: "fd00::1", port: 6443)) == "skiff-apiserver-fd00--1-6443")
    }

    @Test func liveLeasesAreMembersAndExpiredOnesAreNot() {
        let b = Member(address: "10.0.0.2", port: 6443)
        let c = Member(address: "10.0.0.3", port: 6443)
        let members = APIServerMembership.members(
            leases: [lease(b, renewed: now - 14.9), lease(c, renewed: now - 15)], own: own, now: now)
        #expect(members == [own, b], "b renewed 14.9 s ago is live, c's 15 s lease has run out")
    }

    @Test func theServerItselfIsAlwaysAMemberAndForeignLeasesDoNotCount() {
        var unlabelled = lease(Member(address: "10.0.0.9", port: 6443), renewed: now)
        unlabelled["metadata"]["labels"] = [:]
        var garbled = lease(Member(address: "10.0.0.8", port: 6443), renewed: now)
        garbled["spec"]["holderIdentity"] = "not-an-address"
        #expect(APIServerMembership.members(leases: [unlabelled, garbled], own: own, now: now) == [own])
    }

    @Test func aLeaseIsRenewedAfterAThirdOfItsDuration() {
        let current = lease(own, renewed: now - 4.9)
        #expect(!APIServerMembership.needsRenewal(current, member: own, now: now, duration: .seconds(15)))
        #expect(APIServerMembership.needsRenewal(current, member: own, now: now + 0.1, duration: .seconds(15)))
        #expect(APIServerMembership.needsRenewal(nil, member: own, now: now, duration: .seconds(15)))
        let renewed = APIServerMembership.lease(own, current: current, now: now, duration: .seconds(15))
        #expect(renewed["spec"]["acquireTime"] == current["spec"]["acquireTime"], "acquireTime is kept")
    }

    @Test func endpointsGroupServersByPortAndTheSliceTakesTheCommonPort() {
        let members = [
            Member(address: "10.0.0.2", port: 6443), Member(address: "10.0.0.1", port: 6443),
            Member(address: "10.0.0.3", port: 7443),
        ]
        let subsets = APIServerMembership.subsets(members)
        #expect(subsets.arrayValue?.count == 2)
        #expect(subsets[0]["addresses"] == [["ip": "10.0.0.1"], ["ip": "10.0.0.2"]])
        #expect(subsets[0]["ports"][0]["port"] == 6443)
        #expect(subsets[1]["addresses"] == [["ip": "10.0.0.3"]])
        let slice = APIServerMembership.slice(members)
        #expect(slice?.addresses == ["10.0.0.1", "10.0.0.2"])
        #expect(slice?.port == 6443)
        #expect(
            APIServerMembership.slice([Member(address: "a", port: 7443), Member(address: "b", port: 6443)])?.port
                == 6443, "a tie goes to the lower port")
    }

    @Test func oneServerGetsTheUsualEndpoints() {
        let actions = KubernetesServiceReconciler.actions(
            members: [own], targetPort: 6443, clusterIP: "10.43.0.1", service: nil, endpoints: nil, slice: nil)
        #expect(actions.count == 3)
        guard case .create(.endpoints, let endpoints) = actions[1] else {
            Issue.record("no Endpoints created: \(actions)")
            return
        }
        #expect(
            endpoints["subsets"]
                == [
                    ["addresses": [["ip": "10.0.0.1"]], "ports": [["name": "https", "port": 6443, "protocol": "TCP"]]]
                ])
    }
}
