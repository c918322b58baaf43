import Foundation

extension RowPrinter {
    /// core/v1 Events: `Last Seen, Type, Reason, Object, Message`; wide `Subobject, Source, First Seen, Count, Name`.
    static let event = RowPrinter(columns: eventColumns, cells: { event, now in eventCells(event, now: now) })

    /// events.k8s.io/v1 Events print like core ones; their fields are renamed (`regarding`, `note`, `deprecated…`).
    static let eventsV1 = RowPrinter(
        columns: eventColumns,
        cells: { event, now in
            var core = event
            core["involvedObject"] = event["regarding"]
            core["message"] = event["note"]
            core["firstTimestamp"] = event["deprecatedFirstTimestamp"]
            core["lastTimestamp"] = event["deprecatedLastTimestamp"]
            core["count"] = event["deprecatedCount"]
            core["source"] = event["deprecatedSource"]
            core["reportingComponent"] = event["reportingController"]
            return eventCells(core, now: now)
        })

    private static let eventColumns: [TableColumn] = [
        TableColumn(name: "Last Seen", description: "The time at which the most recent occurrence was recorded."),
        TableColumn(name: "Type", description: "Type of this event (Normal, Warning)."),
        TableColumn(name: "Reason", description: "Short, machine understandable reason for the event."),
        TableColumn(name: "Object", description: "The object this event is about."),
        TableColumn(name: "Subobject", description: "The part of the object the event is about.", priority: 1),
        TableColumn(name: "Source", description: "The component reporting this event.", priority: 1),
        TableColumn(name: "Message", description: "A human-readable description of the event."),
        TableColumn(name: "First Seen", description: "The time the event was first recorded.", priority: 1),
        TableColumn(name: "Count", description: "The number of times this event has occurred.", priority: 1),
        TableColumn(name: "Name", format: "name", description: "The name of the event object.", priority: 1),
    ]

    private static func eventCells(_ event: JSON, now: Date) -> [JSON] {
        // A missing firstTimestamp falls back to eventTime, a missing lastTimestamp to the first time seen.
        let firstSeen =
            event["firstTimestamp"].isNull
            ? HumanDuration.since(event["eventTime"], now: now) : HumanDuration.since(event["firstTimestamp"], now: now)
        var lastSeen = event["lastTimestamp"].isNull ? firstSeen : HumanDuration.since(event["lastTimestamp"], now: now)
        var count = TableCells.int(event["count"])
        if event["series"].objectValue != nil {
            lastSeen = HumanDuration.since(event["series"]["lastObservedTime"], now: now)
            count = TableCells.int(event["series"]["count"])
        } else if count == 0 {
            count = 1  // singleton events from the new API leave count unset
        }
        let involved = event["involvedObject"]
        let kind = TableCells.string(involved["kind"]).lowercased()
        let involvedName = TableCells.string(involved["name"])
        let target = involvedName.isEmpty ? kind : "\(kind)/\(involvedName)"
        let component = firstNonEmpty(event["source"]["component"], event["reportingComponent"])
        let instance = firstNonEmpty(event["source"]["host"], event["reportingInstance"])
        let source = instance.isEmpty ? component : "\(component), \(instance)"
        return [
            .string(lastSeen),
            .string(TableCells.string(event["type"])),
            .string(TableCells.string(event["reason"])),
            .string(target),
            .string(TableCells.string(involved["fieldPath"])),
            .string(source),
            .string(TableCells.string(event["message"]).trimmingCharacters(in: .whitespacesAndNewlines)),
            .string(firstSeen),
            .int(count),
            TableCells.name(event),
        ]
    }

    private static func firstNonEmpty(_ values: JSON...) -> String {
        values.lazy.compactMap(\.stringValue).first { !$0.isEmpty } ?? ""
    }
}
