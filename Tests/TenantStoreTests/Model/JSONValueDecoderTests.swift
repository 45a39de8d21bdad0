import Foundation
import Testing

@testable import TenantStore

extension ModelTests {
    /// `JSONDecoder.decode(_:fromJSON:)` and ``JSONValueDecoder`` against `JSONDecoder` itself.
    @Suite struct JSONValueDecoderTests {
        typealias Everything = JSONValueEncoderTests.Everything

        /// Its coding path is empty when ``JSONValueDecoder`` decodes it, not when `JSONDecoder` does.
        struct PathProbe: Decodable {
            var depth: Int
            init(from decoder: any Decoder) throws {
                self.depth = decoder.codingPath.count
                _ = try decoder.singleValueContainer().decode(String.self)
            }
        }

        struct Probed: Decodable {
            var probe: PathProbe
        }

        static func coders(
            _ dates: JSONValueEncoder.DateEncoding
        ) -> (JSONEncoder, JSONDecoder) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let decoder = JSONDecoder()
            if dates == .iso8601 {
                encoder.dateEncodingStrategy = .iso8601
                decoder.dateDecodingStrategy = .iso8601
            }
            return (encoder, decoder)
        }

        @Test(arguments: [JSONValueEncoder.DateEncoding.secondsSinceReferenceDate, .iso8601])
        func readsWhatJSONDecoderReads(dates: JSONValueEncoder.DateEncoding) throws {
            let (encoder, decoder) = Self.coders(dates)
            var value = Everything()
            value.date = Date(timeIntervalSince1970: 1_800_000_000)
            let text = try encoder.jsonText(value)
            let fast = try decoder.decode(Everything.self, fromJSON: text)
            let foundation = try decoder.decode(Everything.self, from: Data(text))
            #expect(try encoder.jsonText(fast) == encoder.jsonText(foundation))
            #expect(try encoder.jsonText(fast) == text)

            let audit = AuditEvent(
                actor: "a",
                action: "b",
                target: "c/d",
                tenantId: UUID(),
                outcome: .failure,
                time: Date(timeIntervalSince1970: 1_800_000_000)
            )
            #expect(try decoder.decode(AuditEvent.self, fromJSON: encoder.jsonText(audit)) == audit)
            let probed = try decoder.decode(Probed.self, fromJSON: Array(#"{"probe":"x"}"#.utf8))
            #expect(probed.probe.depth == 0)
        }

        @Test func whatItCannotReadJSONDecoderReadsOrRefuses() throws {
            let decoder = JSONDecoder()
            // Beyond 2^53 a Double rounds; JSONDecoder reads the digits themselves.
            #expect(try decoder.decode([UInt64].self, fromJSON: Array("[18446744073709551614]".utf8)) == [.max - 1])
            #expect(try decoder.decode([Float].self, fromJSON: Array("[0.1]".utf8)) == [0.1])
            // Errors are JSONDecoder's, with its coding path.
            struct Typed: Decodable { var count: Int }
            do {
                _ = try decoder.decode([Typed].self, fromJSON: Array(#"[{"count":"three"}]"#.utf8))
                Issue.record("decoded a string as an Int")
            } catch DecodingError.typeMismatch(_, let context) {
                #expect(context.codingPath.map(\.stringValue) == ["Index 0", "count"])
            }
            #expect(throws: DecodingError.self) { try decoder.decode(Typed.self, fromJSON: Array("{".utf8)) }
            #expect(throws: DecodingError.self) { try decoder.decode(Typed.self, fromJSON: Array("{}".utf8)) }
            // A strategy this decoder does not have goes to JSONDecoder whole.
            let milliseconds = JSONDecoder()
            milliseconds.dateDecodingStrategy = .millisecondsSince1970
            #expect(
                try milliseconds.decode([Date].self, fromJSON: Array("[1500]".utf8)) == [
                    Date(timeIntervalSince1970: 1.5)
                ]
            )
            let probed = try milliseconds.decode(Probed.self, fromJSON: Array(#"{"probe":"x"}"#.utf8))
            #expect(probed.probe.depth == 1)
        }
    }
}
