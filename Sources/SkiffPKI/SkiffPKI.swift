/// Cluster certificate authorities, leaf certificates, node tokens and kubeconfigs.
public enum SkiffPKI {}
