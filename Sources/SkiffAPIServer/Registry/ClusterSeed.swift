import SkiffModel

extension ObjectRegistry {
    /// The namespaces every cluster has from its first start.
    static let seededNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Creates the seeded namespaces that are missing; safe on every start.
    public func seed() async throws(APIError) {
        for name in Self.seededNamespaces {
            do {
                _ = try await create(Self.namespaceType, namespace: nil, object: ["metadata": ["name": .string(name)]])
            } catch let error where error.reason == "AlreadyExists" {
                continue
            }
        }
    }
}
