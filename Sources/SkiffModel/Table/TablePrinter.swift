import Foundation

/// Server-side printing: builds the `meta.k8s.io` Table that `kubectl get` asks for, with upstream's columns.
///
/// Cells carry every column, wide ones included; kubectl shows `priority: 1` columns only with `-o wide`.
/// Everything time-dependent (Age, Restarts "(5m ago)", Last Seen) is computed against `now`, so tests pin a clock.
public enum TablePrinter {
    /// The column definitions for `type`.
    public static func columns(for type: ResourceType) -> [TableColumn] {
        RowPrinter.printer(for: type).columns
    }

    /// The cells of one object's row, one per column of ``columns(for:)``.
    public static func cells(for type: ResourceType, object: JSON, now: Date) -> [JSON] {
        RowPrinter.printer(for: type).cells(object, now)
    }

    /// A Table for a list response.
    ///
    /// - Parameters:
    ///   - objects: the listed objects, in list order.
    ///   - include: what each row's `object` carries (`includeObject`).
    ///   - resourceVersion, continueToken, remainingItemCount: the list's metadata, copied to the Table's.
    ///   - columnDefinitions: false leaves `columnDefinitions` empty, as for every watch event after the first.
    ///   - version: the negotiated `meta.k8s.io` version, also used for rows' `PartialObjectMetadata`.
    public static func table(
        for type: ResourceType, objects: [JSON], include: IncludeObject = .metadata, resourceVersion: String? = nil,
        continueToken: String? = nil, remainingItemCount: Int64? = nil, columnDefinitions: Bool = true,
        version: TableVersion = .v1, now: Date
    ) -> JSON {
        let printer = RowPrinter.printer(for: type)
        var metadata = JSONObject()
        if let resourceVersion, !resourceVersion.isEmpty { metadata["resourceVersion"] = .string(resourceVersion) }
        if let continueToken, !continueToken.isEmpty { metadata["continue"] = .string(continueToken) }
        if let remainingItemCount { metadata["remainingItemCount"] = .int(remainingItemCount) }
        let rows = objects.map { row(printer, object: $0, include: include, version: version, now: now) }
        return [
            "kind": "Table",
            "apiVersion": .string(version.apiVersion),
            "metadata": .object(metadata),
            "columnDefinitions": columnDefinitions ? .array(printer.columns.map(\.json)) : [],
            "rows": .array(rows),
        ]
    }

    /// A Table for a single object (a GET, or one watch event); its resourceVersion is the object's.
    public static func table(
        for type: ResourceType, object: JSON, include: IncludeObject = .metadata, columnDefinitions: Bool = true,
        version: TableVersion = .v1, now: Date
    ) -> JSON {
        table(
            for: type, objects: [object], include: include,
            resourceVersion: object["metadata"]["resourceVersion"].stringValue, columnDefinitions: columnDefinitions,
            version: version, now: now)
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
