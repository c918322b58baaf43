/// Services: DNS-1123 label names and upstream's defaults. Cluster IPs and node ports are claimed by the API
/// server's allocator, a storage hook of the registry, not here.
public struct ServiceStrategy: ResourceStrategy {
    public init() {}

    public func validateName(_ name: String, type: ResourceType) throws(APIError) {
        try NameRules.check(name, NameValidation.labelErrors, type: type)
    }

    public func applyDefaults(_ object: inout JSON) { ServiceDefaults.apply(to: &object) }
}
