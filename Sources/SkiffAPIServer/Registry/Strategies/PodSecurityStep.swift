import SkiffModel

/// Pod Security admission as a step of the chain: the namespace's `pod-security.kubernetes.io/*` labels (over the
/// server's default policy, `--pod-security-default-level`) refuse pods that break the enforce level, warn about
/// pods and workload templates that break the warn level, and refuse unparsable labels on namespaces, warning about
/// existing pods when the enforce level tightens. The decisions are `PodSecurityAdmission`'s; this step reads the
/// namespace and its pods.
struct PodSecurityStep: AdmissionStep {
    let defaults: PodSecurityPolicy
    /// Namespaces the lifecycle step (which runs first) just saw active, with their labels: no store read per pod.
    let namespaces: ActiveNamespaces

    func admit(_ request: AdmissionRequest, registry: ObjectRegistry) async throws(APIError) {
        guard request.operation != .delete, let object = request.object else { return }
        let type = request.type
        if type.group.isEmpty, type.resource == "namespaces" {
            try await admitNamespace(request, object, registry: registry)
            return
        }
        let isPod = type.group.isEmpty && type.resource == "pods"
        let workload = PodSecurityWorkload(type.groupResource)
        guard isPod || workload != nil, let namespace = request.namespace else { return }
        if let subresource = request.subresource {
            // Pods' ephemeral containers and resizes are checked; status, binding and the like, and workloads'
            // scale and status, are not.
            guard isPod, !PodSecurityAdmission.ignoredPodSubresources.contains(subresource) else { return }
        }
        if isPod, let old = request.old, !PodSecurityAdmission.isSignificantUpdate(object, old: old) { return }
        let (policy, errors) = try await policy(of: namespace, registry: registry)
        let decision: PodSecurityDecision
        if isPod {
            decision = PodSecurityAdmission.evaluatePod(
                PodSecurityPod(pod: object), policy: policy, policyErrors: errors)
        } else {
            guard let template = workload?.podTemplate(in: object) else { return }
            decision = PodSecurityAdmission.evaluateWorkload(template, policy: policy, policyErrors: errors)
        }
        let name = request.name.isEmpty ? object["metadata"]["generateName"].stringValue ?? "" : request.name
        if let refusal = decision.forbidden(podName: name) { throw refusal }
        for warning in decision.warnings { request.warnings?.add(warning) }
        for (key, value) in decision.auditAnnotations { request.warnings?.annotate(key, value) }
    }

    private func policy(of namespace: String, registry: ObjectRegistry) async throws(APIError) -> (
        PodSecurityPolicy, [PodSecurityLabelError]
    ) {
        let labels: [String: String]
        if let cached = namespaces.labels(namespace) {
            labels = cached
        } else {
            do {
                labels = Self.labels(
                    try await registry.getObject(ObjectRegistry.namespaceType, namespace: nil, name: namespace))
            } catch  where error.code == 404 {
                labels = [:]  // the namespace lifecycle step answers for a missing namespace
            }
        }
        let evaluated = PodSecurityPolicy.evaluate(labels: labels, defaults: defaults)
        return (evaluated.policy, evaluated.errors)
    }

    private func admitNamespace(_ request: AdmissionRequest, _ object: JSON, registry: ObjectRegistry)
        async throws(APIError)
    {
        guard request.subresource == nil else { return }
        let outcome = PodSecurityAdmission.validateNamespace(
            labels: Self.labels(object), oldLabels: request.old.map(Self.labels), defaults: defaults)
        switch outcome {
        case .allowed:
            return
        case .invalid(let errors):
            throw APIError.invalid(request.type, request.name, errors.map(\.cause))
        case .checkExistingPods(let enforce):
            guard let pods = registry.resources.lookup(group: "", version: "v1", resource: "pods") else { return }
            var existing: [PodSecurityPod] = []
            do {
                let page = try await registry.list(pods, namespace: request.name)
                for item in page.items { existing.append(PodSecurityPod(pod: try registry.decode(item))) }
            } catch {
                request.warnings?.add(PodSecurityAdmission.podListFailedWarning)
                return
            }
            for warning in PodSecurityAdmission.existingPodWarnings(
                namespace: request.name, enforce: enforce, pods: existing)
            {
                request.warnings?.add(warning)
            }
        }
    }

    static func labels(_ object: JSON) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in object["metadata"]["labels"].objectValue ?? JSONObject() {
            if let text = value.stringValue { labels[key] = text }
        }
        return labels
    }
}
