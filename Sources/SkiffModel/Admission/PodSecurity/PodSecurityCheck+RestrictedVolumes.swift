extension PodSecurityCheck {
    /// The volume sources restricted pods may use.
    static let allowedVolumeSources = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    ]

    /// The other sources upstream names, in the order it looks for them; anything else is `unknown`.
    static let namedVolumeSources = [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
        "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
    ]

    /// Restricted: volumes only of the allowed sources (which rules out `hostPath`, so it replaces
    /// ``hostPathVolumes``). A volume with no source at all is an `emptyDir`, as upstream's defaulting makes it.
    static let restrictedVolumes = PodSecurityCheck(
        id: "restrictedVolumes", level: .restricted, since: 0, overrides: ["hostPathVolumes"]
    ) { pod, _ in
        var badVolumes: [String] = []
        var types: [String] = []
        for volume in pod.spec["volumes"].arrayValue ?? [] {
            let sources = (volume.objectValue ?? [:]).filter { $0.key != "name" && !$0.value.isNull }.map(\.key)
            if sources.isEmpty || allowedVolumeSources.contains(where: { !volume[$0].isNull }) { continue }
            badVolumes.append(volume.entryName)
            types.append(namedVolumeSources.first { !volume[$0].isNull } ?? "unknown")
        }
        guard !badVolumes.isEmpty else { return nil }
        let distinct = PodSecurityText.sortedSet(types)
        return PodSecurityViolation(
            reason: "restricted volume types",
            detail: [
                PodSecurityText.pluralize("volume", "volumes", badVolumes.count), PodSecurityText.joinQuote(badVolumes),
                PodSecurityText.pluralize("uses", "use", badVolumes.count),
                PodSecurityText.pluralize("restricted volume type", "restricted volume types", distinct.count),
                PodSecurityText.joinQuote(distinct),
            ].joined(separator: " "))
    }
}
