import SkiffModel
import Testing

@Suite("Field selectors")
struct SelectorFieldTests {
    static let pod = PatchFixtures.parse(
        """
        {"metadata":{"name":"web-1","namespace":"default"},
         "spec":{"nodeName":"n1","restartPolicy":"Always","schedulerName":"default-scheduler","serviceAccountName":"default"},
         "status":{"phase":"Running","podIP":"10.42.0.5","podIPs":[{"ip":"10.42.0.5"}]}}
        """)

    @Test func parsesAndPrints() throws {
        let selector = try FieldSelector(parsing: "status.phase==Running,metadata.name=x,spec.nodeName!=y")
        #expect(selector.description == "metadata.name=x,spec.nodeName!=y,status.phase=Running")
        #expect(selector.requirements.map(\.operator) == [.equals, .notEquals, .equals])
        #expect(selector.exactValue(for: "metadata.name") == "x")
        #expect(selector.exactValue(for: "spec.nodeName") == nil)
        #expect(try FieldSelector(parsing: "").isEmpty)
        #expect(try FieldSelector(parsing: "a=b,,c=d").requirements.count == 2)
    }

    @Test func escapes() throws {
        let selector = try FieldSelector(parsing: #"metadata.name=a\,b\=c\\d,metadata.namespace=ns"#)
        #expect(selector.requirements[0].value == #"a,b=c\d"#)
        #expect(selector.description == #"metadata.name=a\,b\=c\\d,metadata.namespace=ns"#)
        #expect(FieldSelector.escape("x=y") == #"x\=y"#)
    }

    static let errors: [(String, String)] = [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'"),
        (#"a=b\x"#, #"invalid field selector: invalid escape sequence: \x"#),
        (#"a=b\"#, #"invalid field selector: invalid escape sequence: \"#),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
    ]

    @Test(arguments: errors)
    func rejectsWithUpstreamMessages(input: String, message: String) {
        #expect(throws: SelectorError(message)) { try FieldSelector(parsing: input) }
    }

    @Test func unsupportedLabels() throws {
        try FieldSelector(parsing: "spec.nodeName=n1,metadata.namespace=x").validate(resource: "pods")
        #expect(throws: SelectorError("field label not supported: spec.nodeName")) {
            try FieldSelector(parsing: "spec.nodeName=n1").validate(resource: "services")
        }
        #expect(throws: SelectorError("field label not supported: spec.foo")) {
            try FieldSelector(parsing: "metadata.name=a,spec.foo=b").validate(resource: "pods")
        }
        let error = SelectorError("field label not supported: x")
        #expect(error.apiError.code == 400)
    }

    static let podCases: [(String, Bool)] = [
        ("metadata.name=web-1", true),
        ("metadata.name!=web-1", false),
        ("metadata.namespace=default", true),
        ("spec.nodeName=n1,status.phase!=Failed", true),
        ("spec.nodeName=", false),
        ("spec.restartPolicy=Always", true),
        ("spec.schedulerName=default-scheduler", true),
        ("spec.serviceAccountName=default", true),
        ("spec.hostNetwork=false", true),
        ("status.podIP=10.42.0.5", true),
        ("status.nominatedNodeName=", true),
        ("status.phase==Pending", false),
    ]

    @Test(arguments: podCases)
    func pods(selector: String, expected: Bool) throws {
        #expect(try FieldSelector(parsing: selector).matches(Self.pod, resource: "pods") == expected)
    }

    @Test func unscheduledPodMatchesEmptyNodeName() throws {
        let pending = PatchFixtures.parse(
            #"{"metadata":{"name":"p"},"spec":{"hostNetwork":true},"status":{"phase":"Pending"}}"#)
        #expect(try FieldSelector(parsing: "spec.nodeName=").matches(pending, resource: "pods"))
        #expect(try FieldSelector(parsing: "spec.hostNetwork=true").matches(pending, resource: "pods"))
        #expect(try FieldSelector(parsing: "status.podIP=").matches(pending, resource: "pods"))
    }

    static let otherResources: [(String, String, String, Bool)] = [
        (
            "events",
            #"{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","namespace":"default","name":"web-1","uid":"u1","apiVersion":"v1","resourceVersion":"7","fieldPath":"spec.containers{app}"},"reason":"Started","type":"Normal","source":{"component":"kubelet"},"reportingComponent":"kubelet"}"#,
            "involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u1,involvedObject.apiVersion=v1,involvedObject.resourceVersion=7,involvedObject.fieldPath=spec.containers{app},reason=Started,type=Normal,source=kubelet,reportingComponent=kubelet",
            true
        ),
        ("events", #"{"involvedObject":{"name":"a"},"reportingComponent":"sched"}"#, "source=sched", true),
        (
            "events", #"{"regarding":{"name":"a","kind":"Node"},"reportingController":"c"}"#,
            "involvedObject.kind=Node,reportingComponent=c", true
        ),
        ("secrets", #"{"metadata":{"name":"s"},"type":"kubernetes.io/tls"}"#, "type=kubernetes.io/tls", true),
        ("nodes", #"{"metadata":{"name":"n1"},"spec":{"unschedulable":true}}"#, "spec.unschedulable=true", true),
        ("nodes", #"{"metadata":{"name":"n1"},"spec":{}}"#, "spec.unschedulable=false,metadata.name=n1", true),
        ("namespaces", #"{"metadata":{"name":"x"},"status":{"phase":"Terminating"}}"#, "status.phase=Active", false),
        ("replicasets", #"{"metadata":{"name":"r"},"status":{"replicas":3}}"#, "status.replicas=3", true),
        ("replicationcontrollers", #"{"metadata":{"name":"r"},"status":{}}"#, "status.replicas=0", true),
        ("jobs", #"{"metadata":{"name":"j"},"status":{"succeeded":1}}"#, "status.successful=1", true),
        ("configmaps", #"{"metadata":{"name":"c","namespace":"kube-system"}}"#, "metadata.namespace!=default", true),
    ]

    @Test(arguments: otherResources)
    func resources(resource: String, object: String, selector: String, expected: Bool) throws {
        let parsed = try FieldSelector(parsing: selector)
        try parsed.validate(resource: resource)
        #expect(parsed.matches(PatchFixtures.parse(object), resource: resource) == expected)
    }
}
