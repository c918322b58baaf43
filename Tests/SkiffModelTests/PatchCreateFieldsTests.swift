import Foundation
import SkiffModel
import Testing

/// A create's managed fields come from a one-walk fast path; they must be exactly what the general diff (the new
/// object against an empty one) records.
@Suite struct PatchCreateFieldsTests {
    let ssa = ServerSideApply(registry: BuiltinSchemas.registry)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let objects: [(GroupVersionKind, String)] = [
        (
            GroupVersionKind(group: "", version: "v1", kind: "Pod"),
            #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default","uid":"u","generateName":"web-",
             "labels":{"app":"web","pod-template-hash":"abc"},"annotations":{"a":"b"},
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-1","controller":true,"blockOwnerDeletion":true}],
             "finalizers":["x/y","x/z"],"creationTimestamp":"2026-01-01T00:00:00Z"},
             "spec":{"containers":[{"name":"app","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}],
               "env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
               "resources":{"requests":{"cpu":"10m"}},"args":["-v","-v"],"volumeMounts":[{"name":"data","mountPath":"/data"}]},
               {"name":"side","image":"busybox","command":[]}],
              "volumes":[{"name":"data","emptyDir":{}}],"nodeSelector":{"disk":"ssd"},"tolerations":[{"key":"k","operator":"Exists"}],
              "restartPolicy":"Always","dnsPolicy":"ClusterFirst","securityContext":{},"priority":0,"nodeName":null},
             "status":{"phase":"Pending"}}
            """#
        ),
        (
            GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"),
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}}}
            """#
        ),
        (
            GroupVersionKind(group: "", version: "v1", kind: "Service"),
            #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},
             "ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},{"port":443,"protocol":"TCP"}],"clusterIP":"10.43.1.1"}}
            """#
        ),
        (
            GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"),
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":""},"binaryData":{}}"#
        ),
        (
            GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"),
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bare"}}"#
        ),
        (
            GroupVersionKind(group: "example.com", version: "v1", kind: "Widget"),
            #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"list":[1,2],"nested":{"x":{"y":true}}}}"#
        ),
    ]

    @Test(arguments: 0..<objects.count)
    func createMatchesTheGeneralDiff(index: Int) throws {
        let (kind, text) = Self.objects[index]
        let object = try JSON(parsing: Array(text.utf8))
        for ignored in [Set<String>(), ["status"]] {
            for subresource in [nil, "status"] as [String?] {
                let fast = ssa.recordUpdate(
                    from: nil, to: object, kind: kind, manager: "m", now: now, subresource: subresource,
                    ignoredFields: ignored)
                let general = ssa.recordUpdate(
                    from: .emptyObject, to: object, kind: kind, manager: "m", now: now, subresource: subresource,
                    ignoredFields: ignored)
                #expect(fast == general, "\(kind) ignoring \(ignored) via \(subresource ?? "main")")
                #expect(
                    fast["metadata"]["managedFields"].serializedString()
                        == general["metadata"]["managedFields"].serializedString())
                // Only the bare ConfigMap (its name is never owned) records nothing.
                #expect(fast["metadata"]["managedFields"].isNull == (index == 4))
            }
        }
    }
}
