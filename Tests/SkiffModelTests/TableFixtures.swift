import Foundation
import SkiffModel

/// Realistic objects as the API server stores them, with timestamps relative to ``TableFixtures/now``.
enum TableFixtures {
    /// 2024-05-01T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_714_564_800)

    static let registry = ResourceRegistry()

    static func type(_ group: String, _ resource: String) -> ResourceType? {
        registry.lookup(group: group, version: "v1", resource: resource)
    }

    static func parse(_ text: String) throws -> JSON {
        try JSON(parsing: text)
    }

    static let runningPod = #"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"web-1","namespace":"default","uid":"8d0c","resourceVersion":"412",
                     "creationTimestamp":"2024-05-01T11:55:00Z","labels":{"app":"web"}},
         "spec":{"nodeName":"edge-1","containers":[{"name":"web","image":"nginx:1.27"}],
                 "readinessGates":[{"conditionType":"example.com/lb-ready"}]},
         "status":{"phase":"Running","podIP":"10.42.0.7","podIPs":[{"ip":"10.42.0.7"}],
                   "conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"},
                                 {"type":"example.com/lb-ready","status":"True"}],
                   "containerStatuses":[{"name":"web","ready":true,"restartCount":0,"started":true,
                                         "state":{"running":{"startedAt":"2024-05-01T11:55:03Z"}}}]}}
        """#

    static let crashLoopPod = #"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"api-7c9","namespace":"default","creationTimestamp":"2024-04-30T09:00:00Z"},
         "spec":{"nodeName":"edge-2","containers":[{"name":"api","image":"api:2"},{"name":"proxy","image":"envoy:1"}]},
         "status":{"phase":"Running","podIPs":[{"ip":"10.42.1.9"}],
                   "conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"False"}],
                   "containerStatuses":[
                     {"name":"api","ready":false,"restartCount":5,
                      "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 2m40s"}},
                      "lastState":{"terminated":{"exitCode":1,"reason":"Error",
                                                  "finishedAt":"2024-05-01T11:58:00Z"}}},
                     {"name":"proxy","ready":true,"restartCount":0,
                      "state":{"running":{"startedAt":"2024-04-30T09:00:05Z"}}}]}}
        """#

    static let terminatingPod = #"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"old-1","namespace":"default","creationTimestamp":"2024-04-28T12:00:00Z",
                     "deletionTimestamp":"2024-05-01T11:59:30Z","deletionGracePeriodSeconds":30},
         "spec":{"nodeName":"edge-1","containers":[{"name":"app","image":"app:1"}]},
         "status":{"phase":"Running","podIPs":[{"ip":"10.42.0.9"}],
                   "containerStatuses":[{"name":"app","ready":true,"restartCount":0,
                                         "state":{"running":{"startedAt":"2024-04-28T12:00:02Z"}}}]}}
        """#

    static let initializingPod = #"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"db-0","namespace":"default","creationTimestamp":"2024-05-01T11:59:00Z"},
         "spec":{"initContainers":[{"name":"migrate","image":"db:1"},{"name":"seed","image":"db:1"}],
                 "containers":[{"name":"db","image":"db:1"}]},
         "status":{"phase":"Pending",
                   "initContainerStatuses":[
                     {"name":"migrate","ready":false,"restartCount":0,
                      "state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
                     {"name":"seed","ready":false,"restartCount":0,"state":{"running":{}}}],
                   "containerStatuses":[{"name":"db","ready":false,"restartCount":0,
                                         "state":{"waiting":{"reason":"PodInitializing"}}}]}}
        """#

    static let completedPod = #"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"job-x","namespace":"default","creationTimestamp":"2024-05-01T10:00:00Z"},
         "spec":{"containers":[{"name":"main","image":"busybox"}]},
         "status":{"phase":"Succeeded",
                   "containerStatuses":[{"name":"main","ready":false,"restartCount":0,
                                         "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}
        """#

    static let cordonedControlPlane = #"""
        {"apiVersion":"v1","kind":"Node",
         "metadata":{"name":"edge-1","creationTimestamp":"2024-04-20T12:00:00Z",
                     "labels":{"kubernetes.io/hostname":"edge-1","node-role.kubernetes.io/control-plane":"true",
                               "node-role.kubernetes.io/master":"true"}},
         "spec":{"podCIDR":"10.42.0.0/24","unschedulable":true,
                 "taints":[{"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule"}]},
         "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
                   "addresses":[{"type":"InternalIP","address":"192.168.1.10"},{"type":"Hostname","address":"edge-1"}],
                   "nodeInfo":{"kubeletVersion":"v1.32.4+skiff","osImage":"Debian GNU/Linux 12 (bookworm)",
                               "kernelVersion":"6.1.0-18-amd64","containerRuntimeVersion":"containerd://1.7.24",
                               "architecture":"amd64","operatingSystem":"linux"}}}
        """#

    static let deployment = #"""
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"default","creationTimestamp":"2024-04-29T12:00:00Z","generation":3},
         "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
                 "template":{"metadata":{"labels":{"app":"web"}},
                             "spec":{"containers":[{"name":"web","image":"nginx:1.27"},
                                                   {"name":"log","image":"fluent-bit:3"}]}}},
         "status":{"replicas":3,"updatedReplicas":3,"readyReplicas":2,"availableReplicas":2}}
        """#

    static let clusterIPService = #"""
        {"apiVersion":"v1","kind":"Service",
         "metadata":{"name":"kube-dns","namespace":"kube-system","creationTimestamp":"2024-04-01T12:00:00Z"},
         "spec":{"type":"ClusterIP","clusterIP":"10.43.0.10","clusterIPs":["10.43.0.10"],
                 "selector":{"k8s-app":"kube-dns"},
                 "ports":[{"name":"dns","port":53,"protocol":"UDP","targetPort":53},
                          {"name":"dns-tcp","port":53,"protocol":"TCP","targetPort":53}]},
         "status":{"loadBalancer":{}}}
        """#

    static let loadBalancerService = #"""
        {"apiVersion":"v1","kind":"Service",
         "metadata":{"name":"ingress","namespace":"default","creationTimestamp":"2024-05-01T11:00:00Z"},
         "spec":{"type":"LoadBalancer","clusterIPs":["10.43.12.1"],
                 "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},
                          {"port":443,"nodePort":30443,"protocol":"TCP"}]},
         "status":{"loadBalancer":{}}}
        """#

    static let backOffEvent = #"""
        {"apiVersion":"v1","kind":"Event",
         "metadata":{"name":"api-7c9.17c9f0","namespace":"default","creationTimestamp":"2024-05-01T11:50:00Z"},
         "involvedObject":{"kind":"Pod","namespace":"default","name":"api-7c9","fieldPath":"spec.containers{api}"},
         "reason":"BackOff","message":"Back-off restarting failed container api\n","type":"Warning",
         "source":{"component":"kubelet","host":"edge-2"},
         "firstTimestamp":"2024-05-01T11:50:00Z","lastTimestamp":"2024-05-01T11:59:30Z","count":12}
        """#
}
