/// The strategy of resources without rules of their own (most built-ins, every custom resource).
public struct DefaultStrategy: ResourceStrategy {
    public init() {}
}
