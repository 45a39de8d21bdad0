import TenantStore
import Testing

extension ModelTests {
    @Suite struct ConfigurationValidationTests {
        private func problems(_ section: JSONValue, as key: ConfigurationKey) -> [String: String] {
            Dictionary(
                ConfigurationRepository.problems(in: section, as: key).map { ($0.pointer, $0.message) },
                uniquingKeysWith: { first, _ in first }
            )
        }

        @Test func acceptsACompleteValidDocument() {
            let document: JSONValue = [
                "branding": [
                    "companyName": "Acme Optics", "logo": "https://cdn.acme.com/logo.svg", "favicon": "/favicon.ico",
                    "colors": ["primary": "#1a2b3c", "secondary": "#FFF", "accent": "#00ff7f"],
                    "fonts": ["heading": "Playfair Display", "body": "Inter, sans-serif"],
                ],
                "features": [
                    "consultation": true, "vto": false, "faceAnalysis": true, "recommendations": false,
                    "analytics": true,
                ],
                "commerce": [
                    "catalogId": "acme-2025.v1", "categories": ["sunglasses", "optical"],
                    "paymentMethods": ["card", "paypal", "invoice", "cash-on-delivery"],
                    "shipping": [
                        "regions": ["DE", "AT", "US-CA"], "flatRate": 4.95, "freeAbove": 50, "currency": "EUR",
                    ],
                ],
                "integrations": [
                    "googleAnalytics": "G-ABC123XYZ", "facebook": "123456789012345",
                    "zapier": "https://hooks.zapier.com/hooks/catch/1/abc/",
                ],
            ]
            #expect(ConfigurationRepository.problems(in: document).isEmpty)
        }

        @Test func nullMeansUnset() {
            #expect(problems(["logo": nil, "colors": ["primary": nil]], as: .branding).isEmpty)
        }

        @Test func reportsEveryProblemWithItsPointer() {
            let document: JSONValue = [
                "branding": [
                    "companyName": 42,
                    "logo": "javascript:alert(1)",
                    "colors": ["primary": "#12345", "accent": "red", "shade": "#fff"],
                    "fonts": "Inter",
                ],
                "features": ["vto": "yes", "chat": true],
                "theme": ["dark": true],
            ]
            let problems = ConfigurationRepository.problems(in: document)
            let pointers = Set(problems.map(\.pointer))
            #expect(
                pointers == [
                    "/branding/companyName", "/branding/logo", "/branding/colors/primary", "/branding/colors/accent",
                    "/branding/colors/shade", "/branding/fonts", "/features/vto", "/features/chat", "/theme",
                ]
            )
            #expect(problems.count == pointers.count)
            let messages = Dictionary(problems.map { ($0.pointer, $0.message) }, uniquingKeysWith: { a, _ in a })
            #expect(messages["/branding/companyName"] == "expected string, got number")
            #expect(messages["/branding/fonts"] == "expected object, got string")
            #expect(messages["/branding/colors/shade"] == "unknown key 'shade'")
            #expect(messages["/theme"] == "unknown configuration key 'theme'")
        }

        @Test func escapesPointerTokensPerRFC6901() {
            let problems = problems(["a/b": 1, "c~d": 2, "~1": 3], as: .features)
            #expect(Set(problems.keys) == ["/a~1b", "/c~0d", "/~01"])
        }

        @Test func theWholeDocumentMustBeAnObject() {
            #expect(ConfigurationRepository.problems(in: ["branding"]).map(\.pointer) == [""])
            #expect(problems("plain", as: .branding).keys.sorted() == [""])
        }

        @Test(arguments: ["#abc", "#ABCDEF", "#a1B2c3"])
        func acceptsHexColors(_ color: String) {
            #expect(problems(["colors": ["primary": .string(color)]], as: .branding).isEmpty)
        }

        @Test(arguments: ["abc", "#ab", "#abcd", "#abcdefg", "#ggg", "rgb(0,0,0)", "", "# abc"])
        func rejectsBadHexColors(_ color: String) {
            #expect(
                problems(["colors": ["primary": .string(color)]], as: .branding).keys.sorted() == ["/colors/primary"]
            )
        }

        @Test(arguments: ["https://acme.com/logo.png", "http://acme.com:8080/a?b=c#d", "/assets/logo.png", "/"])
        func acceptsURLsAndAbsolutePaths(_ url: String) {
            #expect(problems(["logo": .string(url)], as: .branding).isEmpty)
        }

        @Test(arguments: [
            "logo.png", "//evil.com/x.png", "ftp://acme.com/logo", "https://", "https:///path", "javascript:alert(1)",
            "https://acme.com/a b", "https://acme.com/\"onload=", "https://acme.com/<script>", "",
        ])
        func rejectsBadURLs(_ url: String) {
            #expect(problems(["favicon": .string(url)], as: .branding).keys.sorted() == ["/favicon"])
        }

        @Test func rejectsUnsafeFontNames() {
            let problems = problems(["fonts": ["heading": "Inter; } body { color: red", "body": ""]], as: .branding)
            #expect(problems.keys.sorted() == ["/fonts/body", "/fonts/heading"])
        }

        @Test func featuresMustBeBooleans() {
            let problems = problems(["consultation": 1, "analytics": "true", "vto": true], as: .features)
            #expect(problems.keys.sorted() == ["/analytics", "/consultation"])
        }

        @Test func checksCommerce() {
            let problems = problems(
                [
                    "catalogId": "bad id!",
                    "categories": ["ok", "Not A Slug", "ok"],
                    "paymentMethods": ["card", "bitcoin"],
                    "shipping": [
                        "regions": ["DE", "germany", "US-CA"], "flatRate": -1, "freeAbove": "50",
                        "currency": "eur", "express": true,
                    ],
                ],
                as: .commerce
            )
            #expect(
                problems.keys.sorted() == [
                    "/catalogId", "/categories/1", "/categories/2", "/paymentMethods/1", "/shipping/currency",
                    "/shipping/express", "/shipping/flatRate", "/shipping/freeAbove", "/shipping/regions/1",
                ]
            )
            #expect(problems["/categories/2"] == "duplicate item")
            #expect(problems["/shipping/express"] == "unknown key 'express'")
        }

        @Test func checksIntegrations() {
            let valid: JSONValue = [
                "googleAnalytics": "UA-12345-1", "facebook": "12345", "zapier": "https://z.example/x",
            ]
            #expect(problems(valid, as: .integrations).isEmpty)
            let invalid: JSONValue = ["googleAnalytics": "GA-1", "facebook": "12ab", "zapier": "http://z.example/x"]
            #expect(problems(invalid, as: .integrations).keys.sorted() == ["/facebook", "/googleAnalytics", "/zapier"])
        }

        @Test(arguments: ["G-AB12", "G-ABCDEFGHIJ", "UA-1234-1", "UA-1234567890-1234"])
        func acceptsGoogleAnalyticsIDs(_ id: String) {
            #expect(problems(["googleAnalytics": .string(id)], as: .integrations).isEmpty)
        }

        @Test(arguments: ["G-abc1", "G-", "UA-12-1", "UA-1234", "UA-1234-", "G-ABC-1", "X-ABCD"])
        func rejectsMalformedGoogleAnalyticsIDs(_ id: String) {
            #expect(problems(["googleAnalytics": .string(id)], as: .integrations).keys.sorted() == ["/googleAnalytics"])
        }
    }
}
