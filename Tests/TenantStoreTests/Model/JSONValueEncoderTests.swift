import Foundation
import Testing

@testable import TenantStore

extension ModelTests {
    /// ``JSONValueEncoder`` against `JSONEncoder`, whose output it replaces for stored records.
    @Suite struct JSONValueEncoderTests {
        /// Synthesized `Codable` of an enum with associated values uses nested containers.
        enum Shape: Codable, Equatable {
            case circle(radius: Double)
            case polygon(corners: [Int], label: String?)
            case empty
        }

        class Base: Codable {
            var name = "base"
        }

        /// Encodes its superclass through `superEncoder()`.
        final class Derived: Base, @unchecked Sendable {
            var extra = [1, 2]

            enum CodingKeys: String, CodingKey { case extra }

            override init() { super.init() }
            required init(from decoder: any Decoder) throws { fatalError("not decoded") }

            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(self.extra, forKey: .extra)
                try super.encode(to: container.superEncoder())
            }
        }

        /// Writes nested containers by hand, keyed and unkeyed, inside each other.
        struct Handmade: Encodable {
            enum Keys: String, CodingKey { case list, inner, value }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var list = container.nestedUnkeyedContainer(forKey: .list)
                try list.encode("first")
                var inner = list.nestedContainer(keyedBy: Keys.self)
                try inner.encode(true, forKey: .value)
                try list.encodeNil()
                var deeper = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
                try deeper.encode(Int64(-42), forKey: .value)
                try container.encodeNil(forKey: .value)
            }
        }

        struct Everything: Codable {
            var text = "quotes \" backslash \\ slash / control \u{1} é 😀"
            var flag = true
            var small: Int8 = -8
            var big: UInt64 = 1 << 53
            var negative: Int64 = -(1 << 53)
            var fraction = 0.1
            var tiny = -1.5e-7
            var date = Date(timeIntervalSinceReferenceDate: 806_000_000.123456)
            var id = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
            var data = Data([0, 1, 2, 250, 255])
            var url = URL(string: "https://shop.example.com/a/b?c=d")!
            var missing: String? = nil
            var present: String? = "here"
            var list = ["b", "a"]
            var nested = [["x": 1], [:]]
            var byNumber = [2: "two", 10: "ten"]
            var shapes: [Shape] = [.circle(radius: 2.5), .polygon(corners: [1, 2, 3], label: nil), .empty]
            var document: JSONValue = ["z": [1, "2", nil, false], "a": ["b": 0.5]]
        }

        static func expected(_ value: some Encodable, dates: JSONEncoder.DateEncodingStrategy) throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = dates
            return Array(try encoder.encode(value))
        }

        @Test func writesWhatJSONEncoderWrites() throws {
            let audit = AuditEvent(
                actor: "platform-admin:alice",
                action: "configuration.update",
                target: "tenant/E621E1F8-C36C-495A-93FC-0C247A3E6E5F/config/branding",
                tenantId: UUID(),
                requestId: "req-1",
                clientAddress: "127.0.0.1",
                outcome: .denied
            )
            let tenant = Tenant(
                id: UUID(),
                companyName: "Acme",
                subdomain: "acme",
                customDomains: ["shop.acme.com"],
                status: .active,
                createdAt: Date(timeIntervalSince1970: 0),
                updatedAt: Date(),
                contentVersion: 7
            )
            let values: [any Encodable] = [
                Everything(), audit, tenant, Derived(), Handmade(), "top-level string", 42, [Shape.empty],
            ]
            for value in values {
                #expect(try JSONValueEncoder.encode(value).jsonText() == Self.expected(value, dates: .deferredToDate))
                #expect(
                    try JSONValueEncoder.encode(value, dates: .iso8601).jsonText()
                        == Self.expected(value, dates: .iso8601)
                )
            }
        }

        /// `JSONEncoder.jsonText(_:)` takes the fast path only for the strategies it has, and
        /// otherwise writes exactly what the encoder writes.
        @Test func jsonTextWritesWhatItsEncoderWrites() throws {
            struct Record: Codable {
                var name = "a/b"
                var time = Date(timeIntervalSince1970: 1_800_000_000.25)
                var count: UInt64 = 3
            }
            let configurations: [(JSONEncoder.OutputFormatting, JSONEncoder.DateEncodingStrategy)] = [
                ([.sortedKeys, .withoutEscapingSlashes], .iso8601),
                ([.sortedKeys, .withoutEscapingSlashes], .deferredToDate),
                ([.sortedKeys, .prettyPrinted], .iso8601),
                ([.withoutEscapingSlashes], .iso8601),
                ([.sortedKeys, .withoutEscapingSlashes], .millisecondsSince1970),
            ]
            for (formatting, dates) in configurations {
                let encoder = JSONEncoder()
                encoder.outputFormatting = formatting
                encoder.dateEncodingStrategy = dates
                var huge = Record()
                huge.count = .max
                for record in [Record(), huge] {
                    let text = try encoder.jsonText(record)
                    if formatting.contains(.sortedKeys) {
                        #expect(text == Array(try encoder.encode(record)), "\(formatting) \(dates)")
                    } else {
                        // Unsorted members come in the order of a dictionary, which differs between runs.
                        #expect(try JSONValue(parsing: text) == JSONValue(parsing: encoder.encode(record)))
                    }
                }
            }
            // The one difference the fast path makes, which also shows that it was taken.
            let records = JSONEncoder()
            records.outputFormatting = [.sortedKeys]
            #expect(String(decoding: try records.encode(Record()), as: UTF8.self).contains(#""a\/b""#))
            #expect(String(decoding: try records.jsonText(Record()), as: UTF8.self).contains(#""a/b""#))
        }

        @Test func refusesNumbersADocumentCannotCarry() throws {
            struct Holder<Value: Encodable>: Encodable { var value: Value }
            #expect(throws: JSONValueEncoder.Unrepresentable.self) {
                try JSONValueEncoder.encode(Holder(value: UInt64.max))
            }
            #expect(throws: JSONValueEncoder.Unrepresentable.self) {
                try JSONValueEncoder.encode([Int64(-(1 << 53) - 1)])
            }
            #expect(throws: JSONValueEncoder.Unrepresentable.self) {
                try JSONValueEncoder.encode(Holder(value: Float(0.1)))
            }
            #expect(throws: JSONValueEncoder.Unrepresentable.self) {
                try JSONValueEncoder.encode(Holder(value: Decimal(string: "0.1")!))
            }
            #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(Holder(value: Double.nan)) }
            #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(Holder(value: [Double.infinity])) }
        }

        @Test func recordsWithSuchNumbersKeepThemExactly() throws {
            struct Counter: Codable, Equatable {
                var count: UInt64
                var weight: Float
            }
            let counter = Counter(count: .max - 1, weight: 0.1)
            let bytes = try RecordCodec.encode(counter)
            #expect(try RecordCodec.decode(Counter.self, from: bytes, key: "counter") == counter)
            #expect(try JSONValue(encoding: counter)["count"] == .number(Double(UInt64.max - 1)))
        }

        @Test func aValueThatEncodesNothingIsAnError() throws {
            struct Silent: Encodable {
                func encode(to encoder: any Encoder) throws {}
            }
            #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(Silent()) }
            #expect(throws: EncodingError.self) { try JSONEncoder().encode(Silent()) }
            #expect(try JSONValueEncoder.encode([Silent()]).jsonText() == Array("[{}]".utf8))
        }
    }
}
