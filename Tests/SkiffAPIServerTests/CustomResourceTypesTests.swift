import Foundation
import SkiffModel
import Testing

@testable import SkiffAPIServer

/// What a CustomResourceDefinition serves: one type per served version, with its declared printer columns.
@Suite struct CustomResourceTypesTests {
    @Test func servedVersionsCarryTheirPrinterColumns() throws {
        let definition: JSON = [
            "metadata": ["name": "widgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Namespaced",
                "names": ["plural": "widgets", "kind": "Widget"],
                "versions": [
                    [
                        "name": "v1", "served": true, "storage": true,
                        "additionalPrinterColumns": [
                            ["name": "Size", "type": "integer", "jsonPath": ".spec.size"],
                            ["name": "Color", "type": "string", "jsonPath": ".spec.color", "priority": 1],
                        ],
                    ],
                    ["name": "v1beta1", "served": true, "storage": false],
                    ["name": "v0", "served": false, "storage": false],
                ],
            ],
        ]
        let types = ObjectRegistry.resourceTypes(of: definition)
        #expect(types.map(\.version) == ["v1", "v1beta1"])
        let v1 = try #require(types.first)
        #expect(v1.printerColumns?.map(\.column.name) == ["Size", "Color"])
        #expect(v1.printerColumns?.map(\.column.priority) == [0, 1])
        #expect(types[1].printerColumns == nil)
        let table = TablePrinter.table(
            for: v1, objects: [["metadata": ["name": "w"], "spec": ["size": 3, "color": "red"]]],
            printerColumns: v1.printerColumns, now: Date())
        #expect(
            table["columnDefinitions"].arrayValue?.map { $0["name"].stringValue ?? "" } == ["Name", "Size", "Color"])
        #expect(table["rows"][0]["cells"] == ["w", 3, "red"])
    }
}
