/// Small pure formatters shared by the context builders.
enum Formatting {
    private static let symbols: [String: String] = ["USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "]
    private static let zeroDecimal: Set<String> = ["JPY", "KRW", "VND", "CLP", "ISK"]

    /// `1250, "EUR"` → `€12.50`.
    static func money(_ minor: Int, currency: String) -> String {
        let code = currency.uppercased()
        let prefix = Self.symbols[code] ?? "\(code) "
        let sign = minor < 0 ? "-" : ""
        let amount = abs(minor)
        if Self.zeroDecimal.contains(code) {
            return sign + prefix + String(amount)
        }
        let cents = amount % 100
        return sign + prefix + String(amount / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// The decimal amount schema.org expects: `1250` → `12.50`.
    static func decimal(_ minor: Int, currency: String) -> String {
        if Self.zeroDecimal.contains(currency.uppercased()) {
            return String(minor)
        }
        let cents = abs(minor) % 100
        return (minor < 0 ? "-" : "") + String(abs(minor) / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment
    /// or query value.
    static func percentEncoded(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output.unicodeScalars.append("%")
                output.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                output.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0f)]))
            }
        }
        return output
    }

    /// An image or link URL that is safe to put in `src`/`href`: http(s) or a same-origin
    /// path. Anything else (`javascript:`, `data:`, protocol-relative) is dropped.
    static func safeURL(_ url: String?) -> String? {
        guard let url, !url.isEmpty, !url.unicodeScalars.contains(where: Self.isUnsafeInURL) else { return nil }
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") || lowered.hasPrefix("http://") || (url.hasPrefix("/") && !url.hasPrefix("//"))
        {
            return url
        }
        return nil
    }

    /// Checked per scalar rather than per `Character`: grapheme breaking for
    /// `Character.isWhitespace` was 4 % of the CPU of renders with a cold cache, for URLs that
    /// are ASCII. Any whitespace scalar rejects, also one inside a grapheme.
    private static func isUnsafeInURL(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\"", "<", ">", "\\", "`": true
        default: scalar.properties.isWhitespace
        }
    }

    /// A safe URL made absolute against `origin`, for Open Graph and JSON-LD.
    static func absoluteURL(_ url: String?, origin: String) -> String? {
        guard let safe = Self.safeURL(url) else { return nil }
        return safe.hasPrefix("/") ? origin + safe : safe
    }

    /// A JSON string literal that is also safe inside `<script>`: `<`, `>`, `&` and the
    /// JavaScript line separators are written as `\u` escapes, so data can never close the
    /// script element or open a comment.
    static func jsonString(_ text: String) -> String {
        var output = "\""
        output.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "<": output += "\\u003c"
            case ">": output += "\\u003e"
            case "&": output += "\\u0026"
            case "\u{2028}": output += "\\u2028"
            case "\u{2029}": output += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let digits = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    /// Escapes text for XML character data and attribute values.
    static func xmlEscaped(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            default: output.append(character)
            }
        }
        return output
    }

    /// The first `limit` characters of `text` on one line, for meta descriptions.
    static func summary(_ text: String, limit: Int = 160) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flat.count > limit else { return flat }
        return String(flat.prefix(limit - 1)) + "…"
    }

    /// Attribute names compared without case, spaces or punctuation: `Frame Shape` = `frameShape`.
    static func attributeKey(_ name: String) -> String {
        String(
            name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }
                .map(Character.init)
        )
    }
}
