import SkiffModel
import Testing

@Suite("JSON value")
struct JSONValueTests {
    @Test func literals() {
        let value: JSON = ["n": nil, "b": true, "i": 5, "d": 2.5, "s": "x", "a": [1, "two"], "o": ["k": "v"]]
        #expect(value["n"] == .null)
        #expect(value["b"] == .bool(true))
        #expect(value["i"] == .int(5))
        #expect(value["d"] == .double(2.5))
        #expect(value["s"] == .string("x"))
        #expect(value["a"] == .array([.int(1), .string("two")]))
        #expect(value["o"] == .object(JSONObject([("k", .string("v"))])))
        #expect(value.objectValue?.keys == ["n", "b", "i", "d", "s", "a", "o"])
        #expect(JSON.int(7) == JSON.int(Int64(7)))
        let repeated: JSON = ["a": 1, "b": 2, "a": 3]
        #expect(repeated.objectValue?.keys == ["a", "b"])
        #expect(repeated["a"] == 3)
    }

    @Test func typedAccessors() {
        let value: JSON = ["s": "x", "i": 42, "d": 1.5, "big": .bigNumber("1e400"), "b": false, "a": [1], "o": [:]]
        #expect(value["s"].stringValue == "x")
        #expect(value["i"].intValue == 42)
        #expect(value["i"].int64Value == 42)
        #expect(value["i"].doubleValue == 42)
        #expect(value["d"].intValue == nil)  // like Go, 1.5 and even 3.0 are not integers
        #expect(JSON.double(3).intValue == nil)
        #expect(value["d"].doubleValue == 1.5)
        #expect(value["big"].doubleValue == .infinity)
        #expect(value["big"].isNumber)
        #expect(value["b"].boolValue == false)
        #expect(value["a"].arrayValue == [1])
        #expect(value["o"].objectValue == JSONObject())
        #expect(value["s"].intValue == nil)
        #expect(value["missing"].stringValue == nil)
        #expect(value["i"].stringValue == nil)
    }

    @Test func readingIsNullPropagating() {
        let value: JSON = ["metadata": ["name": "web", "labels": ["app": "web"]], "list": [10, 20]]
        #expect(value["metadata"]["name"] == "web")
        #expect(value["metadata"]["labels"]["app"].stringValue == "web")
        #expect(value["metadata"]["missing"]["deeper"][3] == .null)
        #expect(value["metadata"]["name"]["notAnObject"] == .null)
        #expect(value["list"][1] == 20)
        #expect(value["list"][2] == .null)
        #expect(value["list"][-1] == .null)
        #expect(value[0] == .null)
        // Absent and explicit null differ only through contains or objectValue.
        let explicit: JSON = ["a": nil]
        #expect(explicit.contains(key: "a"))
        #expect(!explicit.contains(key: "b"))
        #expect(explicit.objectValue?["a"] == .some(.null))
        #expect(explicit.objectValue?["b"] == nil)
    }

    @Test func writingThroughSubscripts() {
        var value: JSON = ["metadata": ["name": "web"]]
        value["metadata"]["labels"]["app"] = "web"
        value["metadata"]["name"] = "api"
        value["spec"]["replicas"] = 3
        #expect(
            value.serializedString() == #"{"metadata":{"name":"api","labels":{"app":"web"}},"spec":{"replicas":3}}"#)

        var empty = JSON.null
        empty["a"]["b"] = 1
        #expect(empty == ["a": ["b": 1]])

        // A write that cannot land changes nothing and leaves no placeholder behind.
        value["metadata"]["name"]["x"] = 1
        value["status"][0] = 1
        value["metadata"]["labels"]["list"][0]["x"] = 1
        #expect(
            value.serializedString() == #"{"metadata":{"name":"api","labels":{"app":"web"}},"spec":{"replicas":3}}"#)

        // An explicit null is stored when assigned directly.
        value["metadata"]["deletionTimestamp"] = nil
        #expect(value["metadata"].contains(key: "deletionTimestamp"))
    }

    @Test func writingThroughIndices() {
        var value: JSON = ["list": [1, 2]]
        value["list"][0] = "one"
        value["list"][2] = 3  // at count: appends
        value["list"][9] = 9  // out of range: ignored
        value["list"][-1] = 9
        #expect(value["list"] == ["one", 2, 3])
        value["list"][3]["name"] = "x"  // append through a nested write
        #expect(value["list"] == ["one", 2, 3, ["name": "x"]])
        value["list"][3]["name"] = "y"
        #expect(value["list"][3]["name"] == "y")
        value["list"].append(true)
        #expect(value["list"].arrayValue?.count == 5)
        var fresh = JSON.null
        fresh.append(1)
        #expect(fresh == [1])
        var scalar: JSON = "s"
        scalar.append(1)
        scalar["k"] = 1
        scalar[0] = 1
        #expect(scalar == "s")
    }

    @Test func removing() {
        var value: JSON = ["a": 1, "b": ["c": 2, "d": [1, 2, 3]], "e": 3]
        #expect(value.removeValue(forKey: "a") == 1)
        #expect(value.removeValue(forKey: "zz") == nil)
        #expect(value.removeValue(at: "b", "d", 1) == 2)
        #expect(value.removeValue(at: ["b", "c"]) == 2)
        #expect(value.removeValue(at: "b", "missing", "x") == nil)
        #expect(value.removeValue(at: "e", "x") == nil)
        #expect(value.removeValue(at: []) == nil)
        #expect(value.serializedString() == #"{"b":{"d":[1,3]},"e":3}"#)
    }

    @Test func pathReadsAndWrites() throws {
        var value: JSON = ["spec": ["containers": [["name": "a"]]], "s": "text"]
        #expect(value.value(at: "spec", "containers", 0, "name") == "a")
        #expect(value.value(at: ["spec", "containers", 1]) == nil)
        #expect(value.value(at: "s", "x") == nil)
        #expect(value.value(at: []) == value)

        try value.set("nginx", at: "spec", "containers", 0, "image")
        try value.set(["name": "b"], at: "spec", "containers", 1)
        try value.set(true, at: "metadata", "labels", "new")
        #expect(value["spec"]["containers"][0]["image"] == "nginx")
        #expect(value["spec"]["containers"][1]["name"] == "b")
        #expect(value["metadata"]["labels"]["new"] == true)

        let before = value
        let typeError = try #require(throws: JSONPathError.self) { try value.set(1, at: "s", "x", "y") }
        #expect(typeError.code == .typeMismatch)
        #expect(typeError.path == ["s", "x"])
        #expect(typeError.message == "cannot set s.x.y: s is a string, not an object")
        let rangeError = try #require(throws: JSONPathError.self) {
            try value.set(1, at: "spec", "containers", 5, "name")
        }
        #expect(rangeError.code == .indexOutOfRange)
        #expect(rangeError.message == "index 5 is out of range for spec.containers with 2 elements")
        #expect(throws: JSONPathError.self) { try value.set(1, at: "spec", 0) }
        #expect(throws: JSONPathError.self) { try value.set(1, at: "new", "deep", 0) }
        #expect(value == before)
        #expect(value["new"] == .null && !value.contains(key: "new"))

        var root = JSON.null
        try root.set(5, at: [])
        #expect(root == 5)
    }

    @Test func equalityIgnoresKeyOrderButNotKinds() throws {
        let a = try JSON(parsing: #"{"a":1,"b":{"x":[1,2],"y":null}}"#)
        let b = try JSON(parsing: #"{"b":{"y":null,"x":[1,2]},"a":1}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.serialized() != b.serialized())
        #expect(JSON.int(1) != JSON.double(1))
        #expect(JSON.array([1, 2]) != JSON.array([2, 1]))
        #expect(JSON.object(["a": 1]) != JSON.object(["a": 1, "b": 2]))
        #expect(JSON.object(["a": 1]) != JSON.object(["b": 1]))
        #expect(JSON.bigNumber("1e400") == JSON.bigNumber("1e400"))
        let set: Set<JSON> = [a, b, 1, 1.0, "1", nil]
        #expect(set.count == 5)
    }

    @Test func largeObjectsStayConsistent() {
        var object = JSONObject()
        for i in 0..<100 { object["k\(i)"] = .int(Int64(i)) }
        #expect(object.count == 100)
        #expect(object["k57"] == 57)
        #expect(object.index(forKey: "k99") == 99)
        object["k10"] = nil
        #expect(object["k10"] == nil)
        #expect(object.index(forKey: "k11") == 10)
        object["k11"] = "eleven"
        #expect(object[10].key == "k11" && object[10].value == "eleven")
        object.updateValue(1, forKey: "k10")
        #expect(object.keys.last == "k10")
        for i in 0..<95 where i != 10 { object.removeValue(forKey: "k\(i)") }
        #expect(object.keys == ["k95", "k96", "k97", "k98", "k99", "k10"])
        #expect(object["k98"] == 98)
        object.removeAll()
        #expect(object.isEmpty)

        var shuffled = JSONObject()
        for i in (0..<50).reversed() { shuffled["k\(i)"] = .int(Int64(i)) }
        var ordered = JSONObject()
        for i in 0..<50 { ordered["k\(i)"] = .int(Int64(i)) }
        #expect(shuffled == ordered)
        #expect(shuffled.hashValue == ordered.hashValue)
    }

    @Test func objectCollection() {
        let object: JSONObject = ["b": 1, "a": 2]
        #expect(object.map(\.key) == ["b", "a"])
        #expect(object.values == [1, 2])
        #expect(object.first?.value == 1)
        #expect(object.contains("a") && !object.contains("c"))
        var copy = object
        #expect(copy.updateValue(5, forKey: "b") == 1)
        #expect(copy.keys == ["b", "a"])
        #expect(object["b"] == 1)  // value semantics
    }

    @Test func pathFormatting() {
        #expect(JSONPathComponent.format(["spec", "containers", 0, "name"]) == "spec.containers[0].name")
        #expect(JSONPathComponent.format([0, 1]) == "[0][1]")
        #expect(JSONPathComponent.format([]) == "")
    }
}
