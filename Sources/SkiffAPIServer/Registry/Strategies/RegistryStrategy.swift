import SkiffModel

/// Everything the registry and its handler do differently for one resource, resolved once per request: the pure
/// strategy, the registry's storage hooks, and for create-only resources that store nothing, their answer.
struct RegistryStrategy: Sendable {
    var rest: any ResourceStrategy
    var hooks: (any StorageHooks)?
    /// The response to a create of a resource that stores nothing (reviews), from the caller and the body.
    var answerCreate: Answer?

    typealias Answer = @Sendable (ReviewRequest) async throws(APIError) -> JSON
}

/// The registry's strategy table, keyed by group-resource: `ResourceStrategies` joined with the hooks and answers
/// of this server; every other resource (custom resources included) gets the fallback.
struct RegistryStrategies: Sendable {
    private let byResource: [GroupResource: RegistryStrategy]
    private let fallback: RegistryStrategy

    init(
        _ strategies: ResourceStrategies, hooks: [GroupResource: any StorageHooks] = [:],
        answers: [GroupResource: RegistryStrategy.Answer] = [:]
    ) {
        var table: [GroupResource: RegistryStrategy] = [:]
        for resource in Set(strategies.resources).union(hooks.keys).union(answers.keys) {
            table[resource] = RegistryStrategy(
                rest: strategies.strategy(for: resource), hooks: hooks[resource], answerCreate: answers[resource])
        }
        byResource = table
        fallback = RegistryStrategy(rest: strategies.fallback)
    }

    /// One dictionary hit.
    subscript(_ type: ResourceType) -> RegistryStrategy { byResource[type.groupResource] ?? fallback }

    /// The built-in table with this registry's Service allocator and namespace lifecycle.
    static func builtin(services: ServiceAllocations, namespaces: NamespaceLifecycle) -> RegistryStrategies {
        RegistryStrategies(
            .builtin,
            hooks: [
                ObjectRegistry.serviceType.groupResource: services,
                ObjectRegistry.namespaceType.groupResource: namespaces,
            ],
            answers: [
                GroupResource(group: "authentication.k8s.io", resource: "selfsubjectreviews"): {
                    SelfSubjectReviews.response(for: $0.user)
                },
                GroupResource(group: AccessReviews.group, resource: "selfsubjectaccessreviews"):
                    AccessReviews.selfSubjectAccess,
                GroupResource(group: AccessReviews.group, resource: "selfsubjectrulesreviews"):
                    AccessReviews.selfSubjectRules,
                GroupResource(group: AccessReviews.group, resource: "subjectaccessreviews"): AccessReviews
                    .subjectAccess,
                GroupResource(group: AccessReviews.group, resource: "localsubjectaccessreviews"):
                    AccessReviews.subjectAccess,
            ])
    }
}
