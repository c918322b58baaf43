import SkiffModel
import Testing

@Suite("Label selectors")
struct SelectorLabelTests {
    /// (input, canonical string form) — requirements come back sorted by key, set values sorted.
    static let parsed: [(String, String)] = [
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", "a=b,c!=d,e in (x,y),f notin (z),g,!h"),
        ("x==y", "x==y"),
        ("  tier = web ,  app  ", "app,tier=web"),
        ("a in (y,x,x)", "a in (x,y)"),
        ("a in ()", "a in ()"),
        ("a notin (,b)", "a notin (,b)"),
        ("a=", "a="),
        ("example.com/app=web", "example.com/app=web"),
        ("n>3,m<10", "m<10,n>3"),
        ("in in (in,notin)", "in in (in,notin)"),
        ("", ""),
    ]

    @Test(arguments: parsed)
    func parsesAndPrints(input: String, expected: String) throws {
        #expect(try LabelSelector(parsing: input).description == expected)
    }

    static let matching: [(String, [String: String], Bool)] = [
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "e": "x", "g": ""], true),
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "e": "x", "g": "", "h": "1"], false),
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "e": "w", "g": ""], false),
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "c": "d", "e": "x", "g": ""], false),
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "e": "x", "f": "z", "g": ""], false),
        ("a=b,c!=d,e in (x,y),f notin (z),g,!h", ["a": "b", "e": "y"], false),
        ("a==b", ["a": "b"], true),
        ("a!=b", [:], true),
        ("a notin (b)", [:], true),
        ("a in (b)", [:], false),
        ("n>3", ["n": "5"], true),
        ("n>3", ["n": "3"], false),
        ("n<3", ["n": "x"], false),
        ("", ["any": "thing"], true),
        ("a=", ["a": ""], true),
    ]

    @Test(arguments: matching)
    func matches(selector: String, labels: [String: String], expected: Bool) throws {
        #expect(try LabelSelector(parsing: selector).matches(labels: labels) == expected)
    }

    static let keyRule =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let valueRule =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    /// (input, upstream message)
    static let errors: [(String, String)] = [
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a!b", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("=b", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("a=>b", "unable to parse requirement: found '>', expected: identifier"),
        ("a$b=c", "unable to parse requirement: : Invalid value: \"a$b\": \(keyRule)"),
        ("a=b$", "unable to parse requirement: values[0][a]: Invalid value: \"b$\": \(valueRule)"),
        (
            "a>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        ),
        (
            "/a",
            "unable to parse requirement: : Invalid value: \"/a\": prefix part must be non-empty"
        ),
        (
            "Example.com/a",
            "unable to parse requirement: : Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        ),
    ]

    @Test(arguments: errors)
    func rejectsWithUpstreamMessages(input: String, message: String) {
        #expect(throws: SelectorError(message)) { try LabelSelector(parsing: input) }
    }

    @Test func errorIsBadRequest() {
        let error = SelectorError("found '=', expected: !, identifier, or 'end of string'")
        #expect(error.apiError.code == 400)
        #expect(error.apiError.reason == "BadRequest")
        #expect(error.apiError.message == error.message)
    }

    @Test func longKeyNamePart() {
        let key = String(repeating: "k", count: 64)
        #expect {
            try LabelSelector(parsing: key)
        } throws: { error in
            (error as? SelectorError)?.message.contains("name part must be no more than 63 characters") == true
        }
    }

    // MARK: metav1.LabelSelector

    @Test func objectFormMatchesLikeStringForm() throws {
        let json = PatchFixtures.parse(
            """
            {"matchLabels":{"app":"web"},
             "matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},{"key":"x","operator":"DoesNotExist"},
                                 {"key":"env","operator":"NotIn","values":["prod"]},{"key":"team","operator":"Exists"}]}
            """)
        let selector = try LabelSelector(labelSelector: json)
        #expect(selector.description == "app=web,env notin (prod),team,tier in (a,b),!x")
        #expect(selector.matches(labels: ["app": "web", "tier": "a", "team": "t"]))
        #expect(!selector.matches(labels: ["app": "web", "tier": "a", "team": "t", "env": "prod"]))
        #expect(!selector.matches(labels: ["app": "web", "tier": "a"]))
        let pod = PatchFixtures.parse(#"{"metadata":{"labels":{"app":"web","tier":"b","team":"t"}}}"#)
        #expect(selector.matches(object: pod))
    }

    @Test func nullSelectsNothingAndEmptySelectsEverything() throws {
        let none = try LabelSelector(labelSelector: .null)
        #expect(!none.matches(labels: [:]))
        #expect(!none.matches(object: .emptyObject))
        let all = try LabelSelector(labelSelector: .emptyObject)
        #expect(all.isEverything)
        #expect(all.matches(labels: ["a": "b"]))
        #expect(LabelSelector.everything.matches(object: .emptyObject))
        #expect(!LabelSelector.nothing.matches(labels: [:]))
    }

    static let objectErrors: [(String, String)] = [
        (#"{"matchExpressions":[{"key":"a","operator":"Foo"}]}"#, #""Foo" is not a valid label selector operator"#),
        (
            #"{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}"#,
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
        ),
        (
            #"{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}"#,
            #"values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist"#
        ),
        (#"{"matchLabels":{"a b":"c"}}"#, "key: Invalid value: \"a b\": \(keyRule)"),
        (
            #"{"matchLabels":{"a b":"c$"}}"#,
            "[key: Invalid value: \"a b\": \(keyRule), values[0][a b]: Invalid value: \"c$\": \(valueRule)]"
        ),
    ]

    @Test(arguments: objectErrors)
    func objectFormRejectsWithUpstreamMessages(json: String, message: String) {
        #expect(throws: SelectorError(message)) { try LabelSelector(labelSelector: PatchFixtures.parse(json)) }
    }

    @Test func fromSet() {
        let selector = LabelSelector(matchingLabels: ["b": "2", "a": "1"])
        #expect(selector.description == "a=1,b=2")
        #expect(selector.matches(labels: ["a": "1", "b": "2", "c": "3"]))
        #expect(!selector.matches(labels: ["a": "1"]))
    }
}
