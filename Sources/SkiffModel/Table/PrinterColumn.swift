import Foundation

/// A custom resource's printer column (`spec.versions[].additionalPrinterColumns[]` of its CRD).
public struct PrinterColumn: Sendable, Hashable {
    /// The column definition shown in the Table.
    public var column: TableColumn
    /// Where the cell's value comes from, e.g. `.status.replicas`.
    public var jsonPath: String

    private let path: PrinterJSONPath?

    /// A printer column; a `jsonPath` outside the supported subset yields empty (null) cells.
    public init(column: TableColumn, jsonPath: String) {
        self.column = column
        self.jsonPath = jsonPath
        self.path = PrinterJSONPath(jsonPath)
    }

    /// Reads one entry of `additionalPrinterColumns`; nil without a name or jsonPath.
    public init?(json: JSON) {
        guard let name = json["name"].stringValue, let jsonPath = json["jsonPath"].stringValue else { return nil }
        self.init(
            column: TableColumn(
                name: name, type: json["type"].stringValue ?? "string", format: json["format"].stringValue ?? "",
                description: json["description"].stringValue ?? "Custom resource definition column (in JSONPath "
                    + "format): \(jsonPath)",
                priority: json["priority"].intValue ?? 0),
            jsonPath: jsonPath)
    }

    /// The printer columns a CRD declares for `version`, or nil when it declares none (the default `Age` applies).
    public static func columns(ofCRD crd: JSON, version: String) -> [PrinterColumn]? {
        let versions = crd["spec"]["versions"].arrayValue ?? []
        guard let served = versions.first(where: { $0["name"].stringValue == version }),
            let declared = served["additionalPrinterColumns"].arrayValue, !declared.isEmpty
        else { return nil }
        return declared.compactMap(PrinterColumn.init(json:))
    }

    /// The cell for `object`, typed as the column says (`integer`, `number`, `boolean`, `date` as an age, else text).
    func cell(_ object: JSON, now: Date) -> JSON {
        guard let value = path?.firstValue(in: object), !value.isNull else { return .null }
        switch column.type {
        case "integer":
            if let integer = value.int64Value { return .int(integer) }
            if let double = value.doubleValue, double.isFinite, abs(double) < 9.0e18 { return .int(Int64(double)) }
            return .null
        case "number":
            return value.doubleValue.map(JSON.double) ?? .null
        case "boolean":
            return value.boolValue.map(JSON.bool) ?? .null
        case "date":
            guard let text = value.stringValue else { return .null }
            guard let date = KubeTimestamp.date(text) else { return "<invalid>" }
            return .string(HumanDuration.format(now.timeIntervalSince(date)))
        default:
            // kubectl's JSONPath printer writes strings bare and objects and arrays as compact JSON.
            switch value {
            case .string(let text): return .string(text)
            case .object, .array: return .string(value.serializedString())
            case .bool(let flag): return .string(flag ? "true" : "false")
            default: return .string(value.serializedString())
            }
        }
    }
}

extension RowPrinter {
    /// A custom resource with declared printer columns: `Name` then exactly those columns, as upstream serves them.
    static func customResource(_ printerColumns: [PrinterColumn]) -> RowPrinter {
        RowPrinter(
            columns: [.name] + printerColumns.map(\.column),
            cells: { object, now in [TableCells.name(object)] + printerColumns.map { $0.cell(object, now: now) } })
    }
}
