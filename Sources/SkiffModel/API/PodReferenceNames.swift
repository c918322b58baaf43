/// The objects a pod names in its own namespace: what its node needs to read to run it (upstream's node graph edges
/// and kubelet's `podutil.VisitPodSecretNames`/`VisitPodConfigmapNames`).
public struct PodReferenceNames: Sendable, Equatable {
    public var configMaps: Set<String> = []
    public var secrets: Set<String> = []
    public var persistentVolumeClaims: Set<String> = []
    /// `spec.serviceAccountName`, `default` when unset.
    public var serviceAccount = "default"

    public init() {}

    /// Every name `pod` refers to: env, envFrom, volumes (projected too), image pull secrets, CSI and other volume
    /// secret references, persistent volume claims, and its service account.
    public init(pod: JSON) {
        let spec = pod["spec"]
        if let account = spec["serviceAccountName"].stringValue, !account.isEmpty { serviceAccount = account }
        for secret in spec["imagePullSecrets"].arrayValue ?? [] {
            if let name = secret["name"].stringValue { secrets.insert(name) }
        }
        let containers =
            (spec["containers"].arrayValue ?? []) + (spec["initContainers"].arrayValue ?? [])
            + (spec["ephemeralContainers"].arrayValue ?? [])
        for container in containers {
            for env in container["env"].arrayValue ?? [] {
                if let name = env["valueFrom"]["configMapKeyRef"]["name"].stringValue { configMaps.insert(name) }
                if let name = env["valueFrom"]["secretKeyRef"]["name"].stringValue { secrets.insert(name) }
            }
            for source in container["envFrom"].arrayValue ?? [] {
                if let name = source["configMapRef"]["name"].stringValue { configMaps.insert(name) }
                if let name = source["secretRef"]["name"].stringValue { secrets.insert(name) }
            }
        }
        for volume in spec["volumes"].arrayValue ?? [] {
            if let name = volume["configMap"]["name"].stringValue { configMaps.insert(name) }
            if let name = volume["secret"]["secretName"].stringValue { secrets.insert(name) }
            if let name = volume["persistentVolumeClaim"]["claimName"].stringValue {
                persistentVolumeClaims.insert(name)
            }
            for source in volume["projected"]["sources"].arrayValue ?? [] {
                if let name = source["configMap"]["name"].stringValue { configMaps.insert(name) }
                if let name = source["secret"]["name"].stringValue { secrets.insert(name) }
            }
            // Volume plugins that name a secret in the pod's namespace.
            for plugin in ["csi", "flexVolume", "iscsi", "rbd", "cephfs", "scaleIO", "storageos", "azureFile"] {
                for field in ["nodePublishSecretRef", "secretRef"] {
                    if let name = volume[plugin][field]["name"].stringValue { secrets.insert(name) }
                }
            }
            if let name = volume["azureFile"]["secretName"].stringValue { secrets.insert(name) }
        }
    }
}
