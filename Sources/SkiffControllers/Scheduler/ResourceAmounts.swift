import SkiffModel

/// Amounts of the resources the scheduler accounts for, in upstream's units: millicores, bytes and whole units.
public struct ResourceAmounts: Sendable, Hashable {
    /// CPU in thousandths of a core.
    public var milliCPU: Int64
    /// Memory in bytes.
    public var memory: Int64
    /// Local ephemeral storage in bytes.
    public var ephemeralStorage: Int64
    /// Extended resources, hugepages and other scalar resources (`example.com/gpu`, `hugepages-2Mi`), by name.
    public var scalars: [String: Int64]

    /// Amounts given field by field; all zero by default.
    public init(milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0, scalars: [String: Int64] = [:]) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.scalars = scalars
    }

    /// Nothing at all.
    public static let zero = ResourceAmounts()

    /// Whether every amount is zero.
    public var isZero: Bool {
        milliCPU == 0 && memory == 0 && ephemeralStorage == 0 && scalars.values.allSatisfy { $0 == 0 }
    }

    /// Adds `other` amount by amount.
    public mutating func add(_ other: ResourceAmounts) {
        milliCPU = milliCPU &+ other.milliCPU
        memory = memory &+ other.memory
        ephemeralStorage = ephemeralStorage &+ other.ephemeralStorage
        for (name, amount) in other.scalars { scalars[name, default: 0] &+= amount }
    }

    /// Subtracts `other` amount by amount, dropping scalars that reach zero so removed pods leave no residue.
    public mutating func subtract(_ other: ResourceAmounts) {
        milliCPU = milliCPU &- other.milliCPU
        memory = memory &- other.memory
        ephemeralStorage = ephemeralStorage &- other.ephemeralStorage
        for (name, amount) in other.scalars {
            let left = scalars[name, default: 0] &- amount
            scalars[name] = left == 0 ? nil : left
        }
    }

    /// Raises each amount to at least the one in `other` (the init-container rule).
    public mutating func formMaximum(_ other: ResourceAmounts) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        for (name, amount) in other.scalars { scalars[name] = max(scalars[name, default: 0], amount) }
    }
}

extension ResourceAmounts {
    /// Reads a `ResourceList` object (`{"cpu": "500m", "memory": "1Gi", …}`); unparsable quantities count as zero
    /// and names the scheduler does not account for are ignored, as upstream's `Resource.Add` does.
    public init(resourceList: JSON) {
        self.init()
        guard let object = resourceList.objectValue else { return }
        for (name, value) in object {
            guard let quantity = try? Quantity(json: value) else { continue }
            switch name {
            case "cpu": milliCPU = quantity.milliValue
            case "memory": memory = quantity.value
            case "ephemeral-storage": ephemeralStorage = quantity.value
            default:
                if Self.isScalarResourceName(name) { scalars[name] = quantity.value }
            }
        }
    }

    /// Whether upstream accounts for `name` as a scalar resource: extended (`vendor/x`), `kubernetes.io/`-prefixed,
    /// `hugepages-*` or `attachable-volumes-*`.
    public static func isScalarResourceName(_ name: String) -> Bool {
        if name.hasPrefix("hugepages-") || name.hasPrefix("attachable-volumes-") { return true }
        // Quota names such as `requests.example.com/gpu` are not resources a container can request.
        return name.contains("/") && !name.hasPrefix("requests.")
    }
}
