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
            #expect(FieldRule.text(maxLength: 2).problem(with: "e\u{301}e\u{301}") == nil)
        }
    }
}
