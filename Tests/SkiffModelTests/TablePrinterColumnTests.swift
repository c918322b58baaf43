import Foundation
import SkiffModel
import Testing

@Suite("Custom resource printer columns")
struct TablePrinterColumnTests {
    static let crd = #"""
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"certificates.cert.example"},
         "spec":{"group":"cert.example","names":{"kind":"Certificate","plural":"certificates"},"scope":"Namespaced",
                 "versions":[
                   {"name":"v1","served":true,"storage":true,
                    "additionalPrinterColumns":[
                      {"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"},
                      {"name":"Secret","type":"string","jsonPath":".spec.secretName"},
                      {"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
                      {"name":"Ratio","type":"number","jsonPath":".status.ratio","priority":1},
                      {"name":"Paused","type":"boolean","jsonPath":".spec.paused"},
                      {"name":"App","type":"string","jsonPath":".metadata.labels['app.kubernetes.io/name']"},
                      {"name":"Hosts","type":"string","jsonPath":".spec.dnsNames"},
                      {"name":"First","type":"string","jsonPath":".spec.dnsNames[0]"},
                      {"name":"Renewal","type":"date","jsonPath":".status.renewalTime"},
                      {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]},
                   {"name":"v1beta1","served":true,"storage":false}]}}
        """#

    static let certificate = #"""
        {"apiVersion":"cert.example/v1","kind":"Certificate",
         "metadata":{"name":"site","namespace":"web","creationTimestamp":"2024-04-30T12:00:00Z",
                     "labels":{"app.kubernetes.io/name":"site"}},
         "spec":{"secretName":"site-tls","replicas":2.0,"paused":false,"dnsNames":["a.example","b.example"]},
         "status":{"ratio":1,"renewalTime":"2024-05-01T11:00:00Z",
                   "conditions":[{"type":"Issuing","status":"False"},{"type":"Ready","status":"True"}]}}
        """#

    let type = ResourceType(
        group: "cert.example", version: "v1", kind: "Certificate", resource: "certificates", namespaced: true)

    @Test func declaredColumnsReplaceTheDefault() throws {
        let crd = try JSON(parsing: Self.crd)
        let columns = try #require(PrinterColumn.columns(ofCRD: crd, version: "v1"))
        #expect(PrinterColumn.columns(ofCRD: crd, version: "v1beta1") == nil)
        let definitions = TablePrinter.columns(for: type, printerColumns: columns)
        #expect(
            definitions.map(\.name)
                == [
                    "Name", "Ready", "Secret", "Replicas", "Ratio", "Paused", "App", "Hosts", "First", "Renewal", "Age",
                ])
        #expect(definitions[4].priority == 1)
        #expect(definitions[10].type == "date")

        let row = TablePrinter.cells(
            for: type, object: try JSON(parsing: Self.certificate), printerColumns: columns, now: TableFixtures.now)
        #expect(
            row == [
                "site", "True", "site-tls", 2, .double(1), false, "site", #"["a.example","b.example"]"#, "a.example",
                "60m", "24h",
            ])
    }

    @Test func missingValuesAreNullCells() throws {
        let columns = try #require(PrinterColumn.columns(ofCRD: try JSON(parsing: Self.crd), version: "v1"))
        let row = TablePrinter.cells(
            for: type, object: ["metadata": ["name": "bare"]], printerColumns: columns, now: TableFixtures.now)
        #expect(row == ["bare", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil])
    }

    @Test func noDeclaredColumnsMeansAge() {
        #expect(TablePrinter.columns(for: type, printerColumns: []).map(\.name) == ["Name", "Age"])
        #expect(TablePrinter.columns(for: type, printerColumns: nil).map(\.name) == ["Name", "Age"])
    }

    @Test func tableUsesPrinterColumns() throws {
        let columns = [
            PrinterColumn(
                column: TableColumn(name: "Phase", description: "phase"), jsonPath: "{.status.phase}")
        ]
        let table = TablePrinter.table(
            for: type, objects: [["metadata": ["name": "x"], "status": ["phase": "Done"]]], printerColumns: columns,
            now: TableFixtures.now)
        #expect(table["columnDefinitions"].arrayValue?.count == 2)
        #expect(table["rows"][0]["cells"] == ["x", "Done"])
    }

    @Test(arguments: [
        (".spec.items[*].name", #"{"spec":{"items":[{"id":1},{"name":"second"}]}}"#, JSON.string("second")),
        (".spec.items[-1].name", #"{"spec":{"items":[{"name":"a"},{"name":"z"}]}}"#, "z"),
        (".spec.items[?(@.id==2)].name", #"{"spec":{"items":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}}"#, "b"),
        (".spec.items[?(@.ok)].name", #"{"spec":{"items":[{"name":"a"},{"ok":false,"name":"b"}]}}"#, "b"),
        (
            ".spec.items[?(@.kind!='x')].name",
            #"{"spec":{"items":[{"kind":"x","name":"a"},{"kind":"y","name":"b"}]}}"#, "b"
        ),
        (
            #".metadata.annotations.example\.com/owner"#, #"{"metadata":{"annotations":{"example.com/owner":"me"}}}"#,
            "me"
        ),
        (".spec", #"{"spec":{"a":1}}"#, #"{"a":1}"#),
        (".spec.count", #"{"spec":{"count":3}}"#, "3"),
        ("spec.count", #"{"spec":{"count":3}}"#, nil),  // not a JSONPath: null cell
        (".spec[", #"{"spec":{"count":3}}"#, nil),
    ])
    func jsonPaths(path: String, object: String, expected: JSON) throws {
        let column = PrinterColumn(column: TableColumn(name: "C", description: ""), jsonPath: path)
        let cells = TablePrinter.cells(
            for: type, object: try JSON(parsing: object), printerColumns: [column], now: TableFixtures.now)
        #expect(cells[1] == expected)
    }
}
