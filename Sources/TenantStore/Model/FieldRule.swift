/// A rule one string field must satisfy; ``problem(with:)`` names what is wrong, for a person.
///
/// The rules are deliberately strict about characters: these values end up in host lookups,
/// store keys, HTML attributes and CSS, and rejecting odd input here is cheaper than escaping it
/// correctly everywhere later.
enum FieldRule: Sendable {
    /// Free text: not blank, no control characters (newlines only when `multiline`).
    case text(maxLength: Int, multiline: Bool = false)
    /// `[a-z0-9-]`, 1–100 characters, not starting or ending with `-`.
    case slug
    /// A DNS label usable as a platform subdomain and not reserved by the platform.
    case subdomain
    /// A lowercase ASCII host name with at least two labels.
    case hostName
    /// `#rgb` or `#rrggbb`.
    case hexColor
    /// An `http(s)` URL with a host, or an absolute path on the tenant's own host.
    case urlOrPath
    /// An `https` URL with a host.
    case httpsURL
    /// An ISO 4217 code: three uppercase letters.
    case currency
    /// One of ``Commerce/supportedPaymentMethods``.
    case paymentMethod
    /// A shipping region: an ISO 3166 country code, optionally with a subdivision (`US-CA`).
    case region
    /// A font family name that is safe to place in CSS unquoted.
    case fontFamily
    /// An external catalog identifier.
    case catalogID
    /// A Google Analytics measurement id (`G-…`) or Universal Analytics property (`UA-…-…`).
    case googleAnalyticsID
    /// A Facebook pixel id: digits only.
    case facebookPixelID
    /// A plausible e-mail address.
    case email
    /// A phone number: digits and `+ ( ) - .` and spaces.
    case phone
    /// A template partial name.
    case partialName

    static let maximumURLLength = 2048

    func problem(with value: String) -> String? {
        switch self {
        case .text(let maximumLength, let multiline):
            return Self.textProblem(value, maximumLength: maximumLength, multiline: multiline)
        case .slug:
            return Self.labelProblem(value, maximumLength: 100, what: "slug")
        case .subdomain:
            if let problem = Self.labelProblem(value, maximumLength: 63, what: "subdomain") {
                return problem
            }
            return Tenant.reservedSubdomains.contains(value) ? "'\(value)' is reserved by the platform" : nil
        case .hostName:
            return Self.hostNameProblem(value)
        case .hexColor:
            let digits = value.utf8.dropFirst()
            let valid =
                value.utf8.first == UInt8(ascii: "#") && (digits.count == 3 || digits.count == 6)
                && digits.allSatisfy(\.isHexDigit)
            return valid ? nil : "must be a hex colour like #1a2b3c or #abc"
        case .urlOrPath:
            return Self.urlProblem(value, allowPath: true, schemes: ["http", "https"])
        case .httpsURL:
            return Self.urlProblem(value, allowPath: false, schemes: ["https"])
        case .currency:
            let valid = value.utf8.count == 3 && value.utf8.allSatisfy(\.isUppercaseLetter)
            return valid ? nil : "must be an ISO 4217 currency code such as EUR"
        case .paymentMethod:
            return Commerce.supportedPaymentMethods.contains(value)
                ? nil : "must be one of \(Commerce.supportedPaymentMethods.sorted().joined(separator: ", "))"
        case .region:
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            let country = parts[0].utf8
            let valid =
                parts.count <= 2 && country.count == 2 && country.allSatisfy(\.isUppercaseLetter)
                && (parts.count == 1
                    || ((1...3).contains(parts[1].utf8.count)
                        && parts[1].utf8.allSatisfy { $0.isUppercaseLetter || $0.isDigit }))
            return valid ? nil : "must be an ISO 3166 region code such as DE or US-CA"
        case .fontFamily:
            let valid =
                (1...100).contains(value.utf8.count)
                && value.utf8.allSatisfy { $0.isAlphanumeric || " _,-".utf8.contains($0) }
                && value.utf8.contains(where: \.isAlphanumeric)
            return valid ? nil : "must be 1–100 letters, digits, spaces, '_', ',' or '-'"
        case .catalogID:
            let valid =
                (1...100).contains(value.utf8.count)
                && value.utf8.allSatisfy { $0.isAlphanumeric || "._-".utf8.contains($0) }
            return valid ? nil : "must be 1–100 letters, digits, '.', '_' or '-'"
        case .googleAnalyticsID:
            return Self.googleAnalyticsProblem(value)
        case .facebookPixelID:
            let valid = (5...20).contains(value.utf8.count) && value.utf8.allSatisfy(\.isDigit)
            return valid ? nil : "must be a pixel id of 5–20 digits"
        case .email:
            return Self.emailProblem(value)
        case .phone:
            let valid =
                (3...32).contains(value.utf8.count)
                && value.utf8.allSatisfy { $0.isDigit || "+()-. ".utf8.contains($0) }
                && value.utf8.contains(where: \.isDigit)
            return valid ? nil : "must be a phone number of digits, spaces and + ( ) - ."
        case .partialName:
            let valid =
                (1...64).contains(value.utf8.count)
                && value.utf8.allSatisfy { $0.isAlphanumeric || "_-".utf8.contains($0) }
            return valid ? nil : "must be 1–64 letters, digits, '_' or '-'"
        }
    }

    private static func textProblem(_ value: String, maximumLength: Int, multiline: Bool) -> String? {
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            return Self.asciiTextProblem(value.utf8, maximumLength: maximumLength, multiline: multiline)
        }
        return Self.unicodeTextProblem(value, maximumLength: maximumLength, multiline: multiline)
    }

    static func unicodeTextProblem(_ value: String, maximumLength: Int, multiline: Bool) -> String? {
        if value.allSatisfy(\.isWhitespace) {
            return "must not be blank"
        }
        // Code points, as JSON Schema's `maxLength` counts them in the API's document: counting
        // grapheme clusters let a name of combining marks past the documented length.
        if value.unicodeScalars.count > maximumLength {
            return "must be at most \(maximumLength) characters"
        }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) })
        {
            return "must not contain control characters"
        }
        return nil
    }

    /// ``unicodeTextProblem(_:maximumLength:multiline:)`` for ASCII text, on its bytes: every
    /// byte is a code point, whitespace is tab to CR and space, and controls are the bytes below
    /// space and DEL. Nearly all text is ASCII, and the general
    /// path's grapheme breaking and Unicode property lookups were most of a validation.
    static func asciiTextProblem(_ bytes: String.UTF8View, maximumLength: Int, multiline: Bool) -> String? {
        var blank = true
        var hasControl = false
        for byte in bytes {
            if byte != UInt8(ascii: " "), !(0x09...0x0D).contains(byte) {
                blank = false
            }
            if byte < 0x20 || byte == 0x7F, !(multiline && (byte == 0x09 || byte == 0x0A || byte == 0x0D)) {
                hasControl = true
            }
        }
        if blank {
            return "must not be blank"
        }
        // One byte is one code point here, which is what the unicode rules count.
        if bytes.count > maximumLength {
            return "must be at most \(maximumLength) characters"
        }
        return hasControl ? "must not contain control characters" : nil
    }

    /// DNS label rules (RFC 1035 §2.3.1, relaxed by RFC 1123 to allow a leading digit), lowercase only
    /// so that every name has exactly one spelling in the unique indexes.
    private static func labelProblem(_ value: String, maximumLength: Int, what: String) -> String? {
        let bytes = value.utf8
        guard (1...maximumLength).contains(bytes.count) else {
            return "\(what) must be 1–\(maximumLength) characters"
        }
        guard bytes.allSatisfy({ $0.isLowercaseLetter || $0.isDigit || $0 == UInt8(ascii: "-") }) else {
            return "\(what) may contain only lowercase letters a-z, digits and '-'"
        }
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return "\(what) must not start or end with '-'"
        }
        return nil
    }

    private static func hostNameProblem(_ value: String) -> String? {
        guard (1...253).contains(value.utf8.count) else {
            return "host name must be 1–253 characters"
        }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else {
            return "host name must have at least two labels, like shop.example.com"
        }
        for label in labels {
            if let problem = Self.labelProblem(String(label), maximumLength: 63, what: "each label") {
                return "\(problem) (in '\(label)')"
            }
        }
        if labels.last!.utf8.allSatisfy(\.isDigit) {
            return "host name must not be an IP address or end in a numeric label"
        }
        return nil
    }

    private static func urlProblem(_ value: String, allowPath: Bool, schemes: [String]) -> String? {
        guard (1...Self.maximumURLLength).contains(value.utf8.count) else {
            return "must be 1–\(Self.maximumURLLength) characters"
        }
        // Characters that could end an HTML attribute or a CSS url() are never needed in a URL
        // (they must be percent-encoded), so rejecting them keeps rendered markup safe.
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"\"'<>\\`{}|^".utf8.contains($0) }) else {
            return "must be a URL without spaces or unsafe characters (percent-encode them)"
        }
        if allowPath, value.hasPrefix("/") {
            return value.hasPrefix("//") ? "must be an absolute path or a full URL, not protocol-relative" : nil
        }
        for scheme in schemes {
            let prefix = scheme + "://"
            if value.hasPrefix(prefix) {
                let rest = value.dropFirst(prefix.count)
                let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
                let host = authority.split(separator: "@").last.map { $0.split(separator: ":").first ?? "" } ?? ""
                return host.isEmpty ? "URL must have a host" : nil
            }
        }
        let expected = schemes.map { "\($0)://" }.joined(separator: " or ")
        return allowPath ? "must start with \(expected) or '/'" : "must start with \(expected)"
    }

    private static func googleAnalyticsProblem(_ value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        let valid: Bool
        switch parts.first {
        case "G":
            valid =
                parts.count == 2 && (4...20).contains(parts[1].utf8.count)
                && parts[1].utf8.allSatisfy { $0.isUppercaseLetter || $0.isDigit }
        case "UA":
            valid =
                parts.count == 3 && (4...10).contains(parts[1].utf8.count) && parts[1].utf8.allSatisfy(\.isDigit)
                && (1...4).contains(parts[2].utf8.count) && parts[2].utf8.allSatisfy(\.isDigit)
        default:
            valid = false
        }
        return valid ? nil : "must be a Google Analytics id like G-ABC123 or UA-12345-1"
    }

    private static func emailProblem(_ value: String) -> String? {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard value.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64,
            value.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.properties.generalCategory != .control }
            )
        else {
            return "must be an e-mail address like name@example.com"
        }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard domain.count >= 2, domain.allSatisfy({ !$0.isEmpty }) else {
            return "must be an e-mail address like name@example.com"
        }
        return nil
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isLowercaseLetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) }
    fileprivate var isUppercaseLetter: Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) }
    fileprivate var isAlphanumeric: Bool { self.isDigit || self.isLowercaseLetter || self.isUppercaseLetter }
    fileprivate var isHexDigit: Bool {
        self.isDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
