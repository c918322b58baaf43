// Request bodies captured from the real kubectl v1.32.4 by tools/capture-kubectl-bodies.py, with the JSON
// that `kubectl ... --dry-run=client -o json` printed for the same object (zero creationTimestamps dropped).

struct KubectlProtobufFixture: Sendable, CustomStringConvertible {
    var name: String
    var command: String
    var path: String
    var hex: String
    var expectedJSON: String?
    var description: String { name }
}

enum KubectlProtobufFixtures {
    static let all: [KubectlProtobufFixture] = [
        KubectlProtobufFixture(
            name: "namespace",
            command: "kubectl create namespace foo",
            path: "/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0f0a02763112094e616d657370616365121b0a130a03666f6f12001a0022002a0032003800420012001a02
                0a001a002200
                """,
            expectedJSON: #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"foo"},"spec":{},"status":{}}"#
        ),
        KubectlProtobufFixture(
            name: "configmap",
            command: "kubectl create configmap x --from-literal=a=b",
            path: "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a017812001a0022002a0032003800420012060a016112
                01621a002200
                """,
            expectedJSON: #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"a":"b"}}"#
        ),
        KubectlProtobufFixture(
            name: "secret",
            command: "kubectl create secret generic s --from-literal=k=v",
            path: "/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a016b1201761a
                001a002200
                """,
            expectedJSON: #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"k":"dg=="}}"#
        ),
        KubectlProtobufFixture(
            name: "deployment",
            command: "kubectl create deployment web --image=busybox --replicas=2",
            path: "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412af010a1f0a0377656212001a0022002a00320038
                0042005a0a0a036170701203776562127e0802120c0a0a0a0361707012037765621a640a1c0a0012001a0022002a0032
                00380042005a0a0a036170701203776562124412260a0762757379626f78120762757379626f782a0042006a00720080
                0100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a
                0c0800100018002000280038001a002200
                """,
            expectedJSON:
                #"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"busybox","image":"busybox","resources":{}}]}},"strategy":{}},"status":{}}"#
        ),
        KubectlProtobufFixture(
            name: "service",
            command: "kubectl create service clusterip svc --tcp=80:8080",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a02763112075365727669636512690a1f0a0373766312001a0022002a003200380042005a0a0a036170
                70120373766312420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037376
                631a002209436c757374657249503a00420052005a00600068001a020a001a002200
                """,
            expectedJSON:
                #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","labels":{"app":"svc"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#
        ),
        KubectlProtobufFixture(
            name: "job",
            command: "kubectl create job j --image=busybox",
            path: "/apis/batch/v1/namespaces/default/jobs?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0f0a0862617463682f763112034a6f6212780a110a016a12001a0022002a00320038004200125932570a10
                0a0012001a0022002a00320038004200124312200a016a120762757379626f782a0042006a0072008001008801009001
                00a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a
                002200
                """,
            expectedJSON:
                #"{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"j","image":"busybox","resources":{}}],"restartPolicy":"Never"}}},"status":{}}"#
        ),
        KubectlProtobufFixture(
            name: "serviceaccount",
            command: "kubectl create serviceaccount sa",
            path: "/api/v1/namespaces/default/serviceaccounts?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a140a027631120e536572766963654163636f756e7412140a120a02736112001a0022002a00320038004200
                1a002200
                """,
            expectedJSON: #"{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa"}}"#
        ),
        KubectlProtobufFixture(
            name: "role",
            command: "kubectl create role r --verb=get --resource=pods",
            path:
                "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c6512220a110a01
                7212001a0022002a00320038004200120d0a0367657412001a04706f64731a002200
                """,
            expectedJSON:
                #"{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}"#
        ),
        KubectlProtobufFixture(
            name: "token",
            command: "kubectl create token sa --duration=1h --audience=api",
            path: "/api/v1/namespaces/default/serviceaccounts/sa/token",
            hex: """
                6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e526571756573741222
                0a100a0012001a0022002a0032003800420012080a0361706920901c1a040a0012001a002200
                """,
            expectedJSON: nil
        ),
        KubectlProtobufFixture(
            name: "cronjob",
            command: "kubectl create cronjob cj --image=busybox --schedule=*/5 * * * * -- sh -c date",
            path: "/apis/batch/v1/namespaces/default/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a130a0862617463682f7631120743726f6e4a6f6212ad010a120a02636a12001a0022002a00320038004200
                1294010a0b2a2f35202a202a202a202a1a002a82010a120a02636a12001a0022002a00320038004200126c326a0a100a
                0012001a0022002a003200380042001256122f0a02636a120762757379626f781a0273681a022d631a04646174652a00
                42006a007200800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01
                009a0100c201001a001a002200
                """,
            expectedJSON:
                #"{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"cj"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"cj","image":"busybox","command":["sh","-c","date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}"#
        ),
        KubectlProtobufFixture(
            name: "pdb",
            command: "kubectl create poddisruptionbudget pdb --selector=app=web --min-available=50%",
            path:
                "/apis/policy/v1/namespaces/default/poddisruptionbudgets?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123c0a130a0370646212
                001a0022002a0032003800420012190a09080110001a03353025120c0a0a0a0361707012037765621a0a080018002000
                280030001a002200
                """,
            expectedJSON:
                #"{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb"},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"web"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}"#
        ),
        KubectlProtobufFixture(
            name: "ingress",
            command: "kubectl create ingress ing --rule=example.com/path*=svc:8080",
            path:
                "/apis/networking.k8s.io/v1/namespaces/default/ingresses?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e6772657373124f0a130a03696e671200
                1a0022002a0032003800420012341a320a0b6578616d706c652e636f6d12230a210a1f0a052f70617468120e220c0a03
                73766312050a0010903f1a065072656669781a020a001a002200
                """,
            expectedJSON:
                #"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing"},"spec":{"rules":[{"host":"example.com","http":{"paths":[{"path":"/path","pathType":"Prefix","backend":{"service":{"name":"svc","port":{"number":8080}}}}]}}]},"status":{"loadBalancer":{}}}"#
        ),
        KubectlProtobufFixture(
            name: "priorityclass",
            command: "kubectl create priorityclass high --value=-1000 --description=low",
            path: "/apis/scheduling.k8s.io/v1/priorityclasses?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373123e0a140a
                046869676812001a0022002a003200380042001098f8ffffffffffffff01180022036c6f772a14507265656d70744c6f
                7765725072696f726974791a002200
                """,
            expectedJSON:
                #"{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"high"},"value":-1000,"description":"low","preemptionPolicy":"PreemptLowerPriority"}"#
        ),
        KubectlProtobufFixture(
            name: "secret-tls-like",
            command: "kubectl create secret generic bin --from-literal=empty= --type=Opaque",
            path: "/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0c0a027631120653656372657412280a130a0362696e12001a0022002a0032003800420012090a05656d70
                747912001a064f70617175651a002200
                """,
            expectedJSON:
                #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"bin"},"data":{"empty":""},"type":"Opaque"}"#
        ),
        KubectlProtobufFixture(
            name: "service-nodeport",
            command: "kubectl create service nodeport np --tcp=5678:8080 --node-port=30080",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a027631120753657276696365126a0a1d0a026e7012001a0022002a003200380042005a090a03617070
                12026e7012450a200a09353637382d38303830120354435018ae2c2207080010903f1a002880eb0112090a0361707012
                026e701a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200
                """,
            expectedJSON:
                #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"np","labels":{"app":"np"}},"spec":{"ports":[{"name":"5678-8080","protocol":"TCP","port":5678,"targetPort":8080,"nodePort":30080}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}"#
        ),
        KubectlProtobufFixture(
            name: "clusterrole",
            command: "kubectl create clusterrole cr --verb=get,list --resource=pods,deployments.apps",
            path: "/apis/rbac.authorization.k8s.io/v1/clusterroles?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c
                6512490a120a02637212001a0022002a0032003800420012130a036765740a046c69737412001a04706f6473121e0a03
                6765740a046c6973741204617070731a0b6465706c6f796d656e74731a002200
                """,
            expectedJSON:
                #"{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments"]}]}"#
        ),
        KubectlProtobufFixture(
            name: "rolebinding",
            command: "kubectl create rolebinding rb --role=r --user=alice --serviceaccount=default:sa",
            path:
                "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e
                671287010a120a02726212001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a61
                74696f6e2e6b38732e696f1a05616c6963652200121f0a0e536572766963654163636f756e7412001a02736122076465
                6661756c741a240a19726261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a01721a002200
                """,
            expectedJSON:
                #"{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"rb"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},{"kind":"ServiceAccount","name":"sa","namespace":"default"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"}}"#
        ),
        KubectlProtobufFixture(
            name: "can-i",
            command: "kubectl auth can-i get pods --subresource=log",
            path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            hex: """
                6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365
                7373526576696577123f0a100a0012001a0022002a0032003800420012210a1f0a0764656661756c7412036765741a00
                22002a04706f647332036c6f673a001a08080012001a0020001a002200
                """,
            expectedJSON: nil
        ),
        KubectlProtobufFixture(
            name: "whoami",
            command: "kubectl auth whoami",
            path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            hex: """
                6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576
                696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200
                """,
            expectedJSON: nil
        ),
        KubectlProtobufFixture(
            name: "autoscale",
            command: "kubectl autoscale deployment web --min=2 --max=5 --cpu-percent=80",
            path: "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?fieldManager=kubectl-autoscale",
            hex: """
                6b3873000a290a0e6175746f7363616c696e672f76311217486f72697a6f6e74616c506f644175746f7363616c657212
                3f0a130a0377656212001a0022002a0032003800420012220a1a0a0a4465706c6f796d656e7412037765621a07617070
                732f76311002180520501a04180020001a002200
                """,
            expectedJSON:
                #"{"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v1","metadata":{"name":"web"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":80},"status":{"currentReplicas":0,"desiredReplicas":0}}"#
        ),
    ]
}
