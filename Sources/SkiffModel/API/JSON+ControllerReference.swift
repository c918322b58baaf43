extension JSON {
    /// The object's controlling owner: its first `ownerReferences` entry with `controller: true` (upstream's
    /// `metav1.GetControllerOf`). Inlinable: the informers' owner index and every workload reconcile call it per
    /// object, across the module boundary.
    @inlinable
    public var controllerReference: JSON? {
        guard let references = self["metadata"]["ownerReferences"].arrayValue else { return nil }
        return references.first { $0["controller"].boolValue == true }
    }
}
