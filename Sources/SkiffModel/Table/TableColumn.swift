/// One column of a `meta.k8s.io` Table (`TableColumnDefinition`).
public struct TableColumn: Sendable, Hashable {
    /// The header kubectl prints, upper-cased by kubectl (`Name`, `Ready`, `Age`).
    public var name: String
    /// The OpenAPI type of the cells: `string`, `integer`, `number`, `boolean` or `date`.
    public var type: String
    /// A type hint; `name` marks the column kubectl prefixes with the kind (`pod/web`).
    public var format: String
    /// A human description of the column.
    public var description: String
    /// 0 for default output, 1 (or more) for columns shown only with `-o wide`.
    public var priority: Int

    /// A column definition.
    public init(name: String, type: String = "string", format: String = "", description: String, priority: Int = 0) {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
    }

    /// The definition as it appears in `columnDefinitions`; Go writes every field, even empty ones.
    public var json: JSON {
        [
            "name": .string(name),
            "type": .string(type),
            "format": .string(format),
            "description": .string(description),
            "priority": .int(priority),
        ]
    }
}

extension TableColumn {
    /// The `Name` column every printer starts with.
    public static let name = TableColumn(
        name: "Name", format: "name",
        description: "Name must be unique within a namespace; it identifies the object in URLs and references.")

    /// The `Age` column of built-in printers: a string such as `5m`, computed when the table is built.
    public static let age = TableColumn(
        name: "Age",
        description: "Time since creationTimestamp, the server time when this object was created (RFC 3339, UTC).")

    /// A wide-only column of container names joined by commas.
    static let containers = TableColumn(
        name: "Containers", description: "Names of each container in the template.", priority: 1)

    /// A wide-only column of container images joined by commas.
    static let images = TableColumn(
        name: "Images", description: "Images referenced by each container in the template.", priority: 1)

    /// A wide-only label selector column.
    static let selector = TableColumn(
        name: "Selector", description: "Label query over the objects this one manages.", priority: 1)
}
