import Testing

@testable import TenantStore

extension ModelTests {
    @Suite struct FieldRuleTests {
        static let asciiTexts = [
            "", " ", "\t\n", "\r\n", " \r\n ", "Acme", " Acme ", "a\r\nb", "a\rb", "a\nb", "a\tb", "a\u{0B}b",
            "a\u{0C}b", "a\u{1F}b", "a\u{7F}b", "a\u{00}b", "\u{1C}", "abcde", "abcdef", "ab\r\ncd", "ab\n\rcd",
            "\r\r\n", "\u{0B}\u{0C}",
        ]

        @Test(arguments: [false, true])
        func asciiTextIsJudgedAsTheUnicodeRulesJudgeIt(multiline: Bool) {
            for text in Self.asciiTexts {
                #expect(
                    FieldRule.asciiTextProblem(text.utf8, maximumLength: 5, multiline: multiline)
                        == FieldRule.unicodeTextProblem(text, maximumLength: 5, multiline: multiline),
                    "\(Array(text.utf8))"
                )
            }
        }

        @Test func nonASCIITextTakesTheUnicodeRules() {
            #expect(FieldRule.text(maxLength: 5).problem(with: "Café") == nil)
            #expect(FieldRule.text(maxLength: 5).problem(with: "\u{00A0}\u{2003}") == "must not be blank")
            #expect(FieldRule.text(maxLength: 5).problem(with: "é\u{0085}") == "must not contain control characters")
            // Lengths are code points, as the OpenAPI document's maxLength: two characters on
            // screen, four code points.
            #expect(FieldRule.text(maxLength: 4).problem(with: "e\u{301}e\u{301}") == nil)
            #expect(FieldRule.text(maxLength: 3).problem(with: "e\u{301}e\u{301}") == "must be at most 3 characters")
            let thai = String(repeating: "\u{0E01}\u{0E33}", count: 128)
            #expect(FieldRule.text(maxLength: 255).problem(with: thai) == "must be at most 255 characters")
            #expect(FieldRule.text(maxLength: 255).problem(with: String(thai.unicodeScalars.dropLast())) == nil)
        }
    }
}
