/// The shape a configuration document must have: which members an object may have and what each
/// must hold. Validation walks the document and the schema together and records every mismatch.
enum Schema: Sendable {
    /// An object that may have only these members; every member is optional and `null` means unset.
    case object([String: Schema])
    /// An array of at most `maxCount` items, each matching `item`.
    indirect case array(of: Schema, maxCount: Int, uniqueItems: Bool)
    case string(FieldRule)
    case bool
    case number(minimum: Double, maximum: Double)

    func validate(_ value: JSONValue, at pointer: JSONPointer, into problems: inout ProblemList) {
        switch (self, value) {
        case (.object(let members), .object(let object)):
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                guard let schema = members[key] else {
                    problems.add(pointer.appending(key), "unknown key '\(key)'")
                    continue
                }
                if member != .null {
                    schema.validate(member, at: pointer.appending(key), into: &problems)
                }
            }
        case (.array(let item, let maxCount, let uniqueItems), .array(let elements)):
            if elements.count > maxCount {
                problems.add(pointer, "must have at most \(maxCount) items")
            }
            var seen: Set<JSONValue> = []
            for (index, element) in elements.enumerated() {
                item.validate(element, at: pointer.appending(index), into: &problems)
                if uniqueItems, !seen.insert(element).inserted {
                    problems.add(pointer.appending(index), "duplicate item")
                }
            }
        case (.string(let rule), .string(let text)):
            problems.check(text, rule, at: pointer)
        case (.bool, .bool):
            break
        case (.number(let minimum, let maximum), .number(let number)):
            if !number.isFinite || number < minimum || number > maximum {
                problems.add(pointer, "must be a number from \(Self.format(minimum)) to \(Self.format(maximum))")
            }
        default:
            problems.add(pointer, "expected \(self.typeName), got \(value.typeName)")
        }
    }

    private var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .bool: "boolean"
        case .number: "number"
        }
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
