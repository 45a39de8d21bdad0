import Testing

@testable import Edge

@Suite("HostResolver")
struct HostResolverTests {
    @Test(
        "normalises valid hosts",
        arguments: [
            ("ACME.Localhost:8443", "acme.localhost"),
            ("acme.localhost.", "acme.localhost"),
            ("acme.localhost.:8443", "acme.localhost"),
            ("acme.localhost:", "acme.localhost"),
            ("localhost", "localhost"),
            ("shop.acme.com", "shop.acme.com"),
            ("a-b.c0m", "a-b.c0m"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.Example:443", "xn--bcher-kva.example"),
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("\u{212A}.example", "k.example"),
            ("www.shop.acme.com:65535", "www.shop.acme.com"),
            (String(repeating: "a", count: 63) + ".com", String(repeating: "a", count: 63) + ".com"),
            ("123.com", "123.com"),
            ("shop.1-2", "shop.1-2"),
            ("a1", "a1"),
        ]
    )
    func normalises(input: String, expected: String) throws {
        #expect(try HostName(normalizing: input).value == expected)
    }

    @Test("accepts a name of exactly 253 octets")
    func longestName() throws {
        let label = String(repeating: "a", count: 63)
        let name = [label, label, label, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(name.utf8.count == 253)
        #expect(try HostName(normalizing: name + ".").value == name)
    }

    @Test(
        "rejects what is not a host name",
        arguments: [
            ("", HostNameError.Code.empty),
            (":8443", .empty),
            (".", .empty),
            ("..", .emptyLabel),
            ("a..b", .emptyLabel),
            (".acme.localhost", .emptyLabel),
            ("acme.localhost..", .emptyLabel),
            ("../etc/passwd", .emptyLabel),
            ("acme.localhost/../admin", .invalidCharacter),
            ("%2e%2e", .invalidCharacter),
            ("acme%2elocalhost", .invalidCharacter),
            ("acme localhost", .invalidCharacter),
            (" acme.localhost", .invalidCharacter),
            ("under_score.example", .invalidCharacter),
            ("acme\u{0}.localhost", .invalidCharacter),
            ("acme.localhost\r\nX-Evil", .invalidCharacter),
            ("acme\u{7F}.localhost", .invalidCharacter),
            ("acme\\localhost", .invalidCharacter),
            ("☃.example", .invalidCharacter),
            ("\u{FEFF}acme.example", .invalidCharacter),
            ("acme\u{3002}example", .invalidCharacter),
            ("user@acme.localhost", .userInfo),
            ("user:pass@acme.localhost", .userInfo),
            (String(repeating: "a", count: 64) + ".com", .labelTooLong),
            (String(repeating: "ü", count: 70) + ".com", .labelTooLong),
            ("-acme.com", .hyphenAtLabelEdge),
            ("acme-.com", .hyphenAtLabelEdge),
            ("-bücher.com", .hyphenAtLabelEdge),
            ("acme.localhost:84a3", .invalidPort),
            ("acme.localhost:65536", .invalidPort),
            ("acme.localhost:123456", .invalidPort),
            ("acme.localhost:-1", .invalidPort),
            ("acme.localhost:8443:8443", .invalidPort),
            ("::1", .invalidPort),
            ("[::1]:8443", .addressLiteral),
            ("[::1]", .addressLiteral),
            ("[fe80::1%25eth0]", .addressLiteral),
            ("127.0.0.1", .addressLiteral),
            ("127.0.0.1:8080", .addressLiteral),
            ("2130706433", .addressLiteral),
            (String(repeating: "a.", count: 127) + "b", .tooLong),
            (String(repeating: "a", count: 5000), .tooLong),
        ]
    )
    func rejects(input: String, code: HostNameError.Code) {
        #expect(throws: HostNameError(code: code)) {
            try HostName(normalizing: input)
        }
    }

    /// Lowercase ASCII names that look normalised at a glance, for the one-pass check.
    static let almostNormal: [(String, HostNameError.Code)] = [
        (String(repeating: "a.", count: 126) + "bc", .tooLong),
        ("shop.123", .addressLiteral),
        ("7", .addressLiteral),
        ("shop-", .hyphenAtLabelEdge),
        ("shop.-a", .hyphenAtLabelEdge),
        ("a-.b", .hyphenAtLabelEdge),
    ]

    @Test("rejects lowercase names that are not host names", arguments: Self.almostNormal)
    func rejectsAlmostNormal(input: String, code: HostNameError.Code) {
        #expect(throws: HostNameError(code: code)) {
            try HostName(normalizing: input)
        }
    }

    @Test("rejects invalid UTF-8")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x61, 0xC3, 0x28, 0x2E, 0x63, 0x6F, 0x6D]
        #expect(throws: HostNameError(code: .invalidCharacter)) {
            try HostName(normalizing: String(decoding: bytes, as: UTF8.self))
        }
    }

    // RFC 3492 §7.1 sample strings; the expected values keep the RFC's case, since basic code
    // points pass through unchanged.
    @Test(
        "encodes the RFC 3492 samples",
        arguments: [
            (
                "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}"
                    + "\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}",
                "egbpdaj6bu4bxfgehfvwxn"
            ),
            ("\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}", "ihqwcrb4cv8a8dqg056pqjye"),
            ("Pro\u{010D}prost\u{011B}nemluv\u{00ED}\u{010D}esky", "Proprostnemluvesky-uyb24dma41a"),
            ("3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}", "3B-ww4c5e180e575a65lsy2b"),
            ("\u{5B89}\u{5BA4}\u{5948}\u{7F8E}\u{6075}-with-SUPER-MONKEYS", "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
            ("\u{30D1}\u{30D5}\u{30A3}\u{30FC}de\u{30EB}\u{30F3}\u{30D0}", "de-jg4avhby1noc0d"),
            ("\u{305D}\u{306E}\u{30B9}\u{30D4}\u{30FC}\u{30C9}\u{3067}", "d9juau41awczczp"),
            ("-> $1.00 <-", "-> $1.00 <--"),
            ("bücher", "bcher-kva"),
        ]
    )
    func punycodeSamples(input: String, expected: String) {
        #expect(Punycode.encode(Array(input.unicodeScalars)) == expected)
    }

    @Test("classifies against the platform domain")
    func classification() throws {
        let resolver = HostResolver(platformDomain: try HostName(normalizing: "Localhost."))
        #expect(try resolver.resolve(authority: "ACME.Localhost:8443") == .platformSubdomain("acme"))
        #expect(try resolver.resolve(authority: "acme.localhost.") == .platformSubdomain("acme"))
        #expect(try resolver.resolve(authority: "localhost:8443") == .platformApex)
        #expect(try resolver.resolve(authority: "bücher.localhost") == .platformSubdomain("xn--bcher-kva"))
        #expect(
            try resolver.resolve(authority: "a.b.localhost")
                == .candidateCustomDomain(try HostName(normalizing: "a.b.localhost"))
        )
        #expect(
            try resolver.resolve(authority: "evillocalhost")
                == .candidateCustomDomain(try HostName(normalizing: "evillocalhost"))
        )
        #expect(
            try resolver.resolve(authority: "Shop.Acme.com")
                == .candidateCustomDomain(try HostName(normalizing: "shop.acme.com"))
        )
        #expect(throws: HostNameError(code: .emptyLabel)) {
            try resolver.resolve(authority: ".localhost")
        }
    }

    @Test("classifies under a multi-label platform domain")
    func multiLabelPlatform() throws {
        let resolver = HostResolver(platformDomain: try HostName(normalizing: "shops.example.com"))
        #expect(try resolver.resolve(authority: "acme.shops.example.com") == .platformSubdomain("acme"))
        #expect(try resolver.resolve(authority: "shops.example.com") == .platformApex)
        #expect(
            try resolver.resolve(authority: "acme.example.com")
                == .candidateCustomDomain(try HostName(normalizing: "acme.example.com"))
        )
    }

    @Test("pairs www and apex hosts")
    func wwwCounterpart() throws {
        let www = try HostName(normalizing: "WWW.Shop.Acme.com")
        let apex = try HostName(normalizing: "shop.acme.com")
        #expect(www.isWWW)
        #expect(!apex.isWWW)
        #expect(www.wwwCounterpart == apex)
        #expect(apex.wwwCounterpart == www)
        #expect(try !HostName(normalizing: "www").isWWW)
        #expect(try !HostName(normalizing: "wwwshop.com").isWWW)

        let label = String(repeating: "a", count: 63)
        let longest = try HostName(
            normalizing: [label, label, label, String(repeating: "b", count: 61)].joined(separator: ".")
        )
        #expect(longest.wwwCounterpart == nil)
    }
}
