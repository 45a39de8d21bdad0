import Foundation
import TenantStore
import Testing

extension ModelTests {
    /// ``JSONValue/init(parsing:)`` and ``JSONValue/jsonText()`` against Foundation's own
    /// `JSONDecoder` and `JSONEncoder`, which they replace on the admin API's hot path.
    @Suite struct JSONValueTextTests {
        static let documents = [
            ##"{"companyName":"Acme","colors":{"primary":"#112233","accent":null},"tags":["a","b"]}"##,
            #"  {  "a" : [ 1 , 2.5 , -3 , 0 , -0 , 1e3 , 1E-2 , 2.5e+2 , 12345678901234567890 ] }  "#,
            #"[true,false,null,"",[],{},[[]],{"x":{}}]"#,
            #""\"quoted\" \\ \/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 caf\u00E9""#,
            "\"é € 😀 plain UTF-8\"",
            "\t\r\n 42 \n",
            #"{"dup":1,"dup":2}"#,
            "0.1",
            "-1.5e-7",
        ]

        @Test(arguments: Self.documents)
        func parsesAsJSONDecoderDoes(_ text: String) throws {
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(try JSONValue(parsing: Array(text.utf8)) == expected)
            #expect(try JSONValue(parsing: Data(text.utf8)) == expected)
        }

        static let notJSON: [[UInt8]] =
            [
                "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "01", "-", "1.", ".5", "+1", "1e", "1e+", "tru", "nul",
                "True", #""\x""#, #""abc"#, "[1 2]", #"{"a" 1}"#, "{1:2}", #"{"a":1"#, #""\ud800""#,
                #""\ud800\u0041""#, #""\udc00""#, #""\u12""#, #""\u12G4""#, "1e400", "-1e400", "NaN", "Infinity",
                "[1]x", "1 2", "'a'", "[01]", "\u{FEFF}1",
            ].map { Array($0.utf8) } + [
                [0x22, 0x01, 0x22],  // a raw control character in a string
                [0x22, 0xFF, 0x22],  // not UTF-8
                [0x22, 0xC3, 0x22],  // a truncated UTF-8 sequence
                [0x22, 0xED, 0xA0, 0x80, 0x22],  // a UTF-8-encoded surrogate
            ]

        @Test(arguments: Self.notJSON)
        func refusesWhatIsNotJSON(_ bytes: [UInt8]) {
            #expect(throws: DecodingError.self) { try JSONValue(parsing: bytes) }
        }

        @Test func refusesNestingBeyondTheLimit() throws {
            let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
            #expect(throws: Never.self) { try JSONValue(parsing: Array(deep.utf8)) }
            let deeper = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
            #expect(throws: DecodingError.self) { try JSONValue(parsing: Array(deeper.utf8)) }
            let objects = String(repeating: #"{"a":"#, count: 513) + "1" + String(repeating: "}", count: 513)
            #expect(throws: DecodingError.self) { try JSONValue(parsing: Array(objects.utf8)) }
        }

        @Test func writesWhatJSONEncoderWrites() throws {
            let value: JSONValue = [
                "b": [1, 0.5, -3, 1e20, 1.5e-7, 123_456_789, 0, -0.25],
                "a": "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{07} nul \u{00} unit \u{1F} é 😀",
                "c": ["z": nil, "y": true, "x": false, "w": [], "v": [:]],
                "ä": "sorted after ASCII",
            ]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let expected = try encoder.encode(value)
            let written = try value.jsonText()
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written)) == value)
            #expect(try JSONValue(parsing: written) == value)
        }

        @Test func refusesNumbersJSONCannotHold() {
            for number in [Double.nan, .infinity, -.infinity] {
                #expect(throws: EncodingError.self) { try JSONValue.array([.number(number)]).jsonText() }
            }
        }
    }
}
