import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct JSONValueTests {
        @Test func roundTripsThroughJSON() throws {
            let value: JSONValue = [
                "flag": true, "count": 3, "ratio": 0.5, "name": "Acme", "none": nil,
                "list": [1, "two", false], "nested": ["a": ["b": "c"]],
            ]
            let data = try JSONEncoder().encode(value)
            #expect(try JSONValue(parsing: data) == value)
        }

        @Test func distinguishesBooleansFromNumbers() throws {
            let value = try JSONValue(parsing: Data(#"{"a": true, "b": 1, "c": 0}"#.utf8))
            #expect(value["a"] == .bool(true))
            #expect(value["b"] == .number(1))
            #expect(value["c"] == .number(0))
            let lookalikes = try JSONValue(parsing: Data(#"["true", "1", "{}", "[]", "null", [], {}]"#.utf8))
            #expect(lookalikes == ["true", "1", "{}", "[]", "null", .array([]), .object([:])])
        }

        @Test func convertsToAndFromTypedValues() throws {
            let branding = Branding(companyName: "Acme", colors: .init(primary: "#112233"))
            let document = try JSONValue(encoding: branding)
            #expect(document["colors"]?["primary"] == "#112233")
            #expect(try document.decode(as: Branding.self) == branding)
        }
    }
}
