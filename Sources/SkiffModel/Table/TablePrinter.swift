import Foundation

/// Server-side printing: builds the `meta.k8s.io` Table that `kubectl get` asks for, with upstream's columns.
///
/// Cells carry every column, wide ones included; kubectl shows `priority: 1` columns only with `-o wide`.
/// Everything time-dependent (Age, Restarts "(5m ago)", Last Seen) is computed against `now`, so tests pin a clock.
public enum TablePrinter {
    /// The column definitions for `type`; `printerColumns` are a custom resource's declared columns.
    public static func columns(for type: ResourceType, printerColumns: [PrinterColumn]? = nil) -> [TableColumn] {
        printer(type, printerColumns).columns
    }

    /// The cells of one object's row, one per column of ``columns(for:printerColumns:)``.
    public static func cells(
        for type: ResourceType, object: JSON, printerColumns: [PrinterColumn]? = nil, now: Date
    ) -> [JSON] {
        printer(type, printerColumns).cells(object, now)
    }

    private static func printer(_ type: ResourceType, _ printerColumns: [PrinterColumn]?) -> RowPrinter {
        // A CRD without printer columns gets the default Age column, exactly like an unknown kind.
        guard let printerColumns, !printerColumns.isEmpty else { return RowPrinter.printer(for: type) }
        return RowPrinter.customResource(printerColumns)
    }

    /// A Table for a list response.
    ///
    /// - Parameters:
    ///   - objects: the listed objects, in list order.
    ///   - include: what each row's `object` carries (`includeObject`).
    ///   - resourceVersion, continueToken, remainingItemCount: the list's metadata, copied to the Table's.
    ///   - columnDefinitions: false leaves `columnDefinitions` empty, as for every watch event after the first.
    ///   - version: the negotiated `meta.k8s.io` version, also used for rows' `PartialObjectMetadata`.
    ///   - printerColumns: a custom resource's declared columns (``PrinterColumn/columns(ofCRD:version:)``).
    public static func table(
        for type: ResourceType, objects: [JSON], include: IncludeObject = .metadata, resourceVersion: String? = nil,
        continueToken: String? = nil, remainingItemCount: Int64? = nil, columnDefinitions: Bool = true,
        version: TableVersion = .v1, printerColumns: [PrinterColumn]? = nil, now: Date
    ) -> JSON {
        let rowPrinter = printer(type, printerColumns)
        var metadata = JSONObject()
        if let resourceVersion, !resourceVersion.isEmpty { metadata["resourceVersion"] = .string(resourceVersion) }
        if let continueToken, !continueToken.isEmpty { metadata["continue"] = .string(continueToken) }
        if let remainingItemCount { metadata["remainingItemCount"] = .int(remainingItemCount) }
        let rows = objects.map { row(rowPrinter, object: $0, include: include, version: version, now: now) }
        return [
            "kind": "Table",
            "apiVersion": .string(version.apiVersion),
            "metadata": .object(metadata),
            "columnDefinitions": columnDefinitions ? .array(rowPrinter.columns.map(\.json)) : [],
            "rows": .array(rows),
        ]
    }

    /// A Table for a single object (a GET, or one watch event); its resourceVersion is the object's.
    public static func table(
        for type: ResourceType, object: JSON, include: IncludeObject = .metadata, columnDefinitions: Bool = true,
        version: TableVersion = .v1, printerColumns: [PrinterColumn]? = nil, now: Date
    ) -> JSON {
        table(
            for: type, objects: [object], include: include,
            resourceVersion: object["metadata"]["resourceVersion"].stringValue, columnDefinitions: columnDefinitions,
            version: version, printerColumns: printerColumns, now: now)
    }

    private static func row(
        _ printer: RowPrinter, object: JSON, include: IncludeObject, version: TableVersion, now: Date
    ) -> JSON {
        var row: JSON = ["cells": .array(printer.cells(object, now))]
        if let conditions = printer.conditions(object) {
            row["conditions"] = conditions
        }
        switch include {
        case .none:
            break
        case .metadata:
            let metadata = object["metadata"].objectValue.map(JSON.object) ?? [:]
            row["object"] = [
                "kind": "PartialObjectMetadata", "apiVersion": .string(version.apiVersion), "metadata": metadata,
            ]
        case .object:
            row["object"] = object
        }
        return row
    }
}
