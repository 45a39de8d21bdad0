/// A normalised, validated DNS host name taken from a Host header, `:authority` or SNI value.
///
/// Normalisation lowercases, removes the port (including the brackets of an IPv6 literal,
/// which is then rejected), removes one trailing dot and converts Unicode labels to their
/// ASCII form (IDNA, with ``Punycode``). What remains must be a host name in the strict
/// sense: labels of 1–63 octets from `a-z`, `0-9` and `-`, not starting or ending with `-`,
/// at most 253 octets in all. Anything else throws ``HostNameError``, so a value of this
/// type is safe to use as a lookup key, in a cache key or in a log line.
///
/// ```swift
/// let host = try HostName(normalizing: "ACME.Localhost:8443")  // "acme.localhost"
/// let idn = try HostName(normalizing: "bücher.example")        // "xn--bcher-kva.example"
/// ```
///
/// Unicode labels are lowercased with the standard library's full case mapping but not
/// NFC-normalised (the standard library offers no public normaliser). Browsers send A-labels
/// already, so this only matters to hand-written clients: a decomposed spelling yields a
/// different A-label, which matches no domain and gets the 404 page.
public struct HostName: Sendable, Hashable, CustomStringConvertible {
    /// The normalised ASCII name, e.g. `acme.localhost`.
    public let value: String

    /// The longest host name, in octets, that DNS can carry in text form.
    public static let maximumLength = 253
    /// The longest label, in octets.
    public static let maximumLabelLength = 63
    /// Inputs longer than this are rejected before any work, so hostile headers cost little.
    public static let maximumInputLength = 1024

    /// Normalises and validates a Host header or `:authority` value.
    public init(normalizing authority: some StringProtocol) throws(HostNameError) {
        if Self.isNormal(authority) {
            self.value = String(authority)
        } else {
            self.value = try Self.normalize(Array(authority.utf8))
        }
    }

    private init(validated value: String) {
        self.value = value
    }

    public var description: String { self.value }

    /// Whether the first label is `www` and another label follows it.
    public var isWWW: Bool {
        self.value.utf8.starts(with: "www.".utf8)
    }

    /// The other host of a www/apex pair: `shop.example` for `www.shop.example` and the
    /// reverse, for redirecting one to the other; `nil` when adding `www.` would exceed the
    /// length limit.
    public var wwwCounterpart: HostName? {
        if self.isWWW {
            return HostName(validated: String(self.value.dropFirst(4)))
        }
        guard self.value.utf8.count + 4 <= Self.maximumLength else {
            return nil
        }
        return HostName(validated: "www." + self.value)
    }

    /// Whether `authority` is already a normalised host name, as the Host of nearly every
    /// request is: then one pass over its bytes replaces copying, splitting and rebuilding it
    /// (1.6 % of the storefront's CPU). Anything else, valid or not, goes through ``normalize(_:)``.
    private static func isNormal(_ authority: some StringProtocol) -> Bool {
        let bytes = authority.utf8
        guard bytes.count <= Self.maximumLength else { return false }
        var labelLength = 0
        var labelIsNumeric = true
        var previous = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                labelIsNumeric = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            case UInt8(ascii: "-"):
                guard previous != UInt8(ascii: ".") else { return false }
                labelIsNumeric = false
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                labelLength = 0
                labelIsNumeric = true
                previous = byte
                continue
            default:
                return false
            }
            labelLength += 1
            guard labelLength <= Self.maximumLabelLength else { return false }
            previous = byte
        }
        // RFC 3696 §2: an all-digit top-level label makes an IPv4 address; `normalize` says so.
        return labelLength > 0 && previous != UInt8(ascii: "-") && !labelIsNumeric
    }

    private static func normalize(_ input: [UInt8]) throws(HostNameError) -> String {
        guard !input.isEmpty else {
            throw HostNameError(code: .empty)
        }
        guard input.count <= Self.maximumInputLength else {
            throw HostNameError(code: .tooLong)
        }
        if input.contains(UInt8(ascii: "@")) {
            throw HostNameError(code: .userInfo)
        }
        if input.first == UInt8(ascii: "[") {
            throw HostNameError(code: .addressLiteral)
        }

        var host = input[...]
        if let colon = input.firstIndex(of: UInt8(ascii: ":")) {
            try Self.validatePort(input[(colon + 1)...])
            host = input[..<colon]
        }
        if host.last == UInt8(ascii: ".") {
            host = host.dropLast()
        }
        guard !host.isEmpty else {
            throw HostNameError(code: .empty)
        }

        var output: [UInt8] = []
        output.reserveCapacity(host.count)
        var lastLabelIsNumeric = false
        for label in host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if !output.isEmpty {
                output.append(UInt8(ascii: "."))
            }
            let start = output.count
            try Self.appendLabel(label, to: &output)
            lastLabelIsNumeric = output[start...].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard output.count <= Self.maximumLength else {
            throw HostNameError(code: .tooLong)
        }
        // RFC 3696 §2: a top-level label is never all digits, so such a name is an IPv4
        // address (or a disguise for one) and names no tenant.
        if lastLabelIsNumeric {
            throw HostNameError(code: .addressLiteral)
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func validatePort(_ port: ArraySlice<UInt8>) throws(HostNameError) {
        // RFC 3986 allows an empty port after the colon; more than five digits can only be an
        // unbracketed IPv6 address or garbage.
        guard port.count <= 5 else {
            throw HostNameError(code: .invalidPort)
        }
        var value = 0
        for byte in port {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw HostNameError(code: .invalidPort)
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard value <= 65535 else {
            throw HostNameError(code: .invalidPort)
        }
    }

    private static func appendLabel(_ label: ArraySlice<UInt8>, to output: inout [UInt8]) throws(HostNameError) {
        guard !label.isEmpty else {
            throw HostNameError(code: .emptyLabel)
        }
        if label.contains(where: { $0 >= 0x80 }) {
            try Self.appendUnicodeLabel(label, to: &output)
        } else {
            try Self.appendASCIILabel(label, to: &output)
        }
    }

    private static func appendASCIILabel(
        _ label: some BidirectionalCollection<UInt8>,
        to output: inout [UInt8]
    ) throws(HostNameError) {
        guard label.count <= Self.maximumLabelLength else {
            throw HostNameError(code: .labelTooLong)
        }
        guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
            throw HostNameError(code: .hyphenAtLabelEdge)
        }
        for byte in label {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                output.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                output.append(byte | 0x20)
            default:
                throw HostNameError(code: .invalidCharacter)
            }
        }
    }

    private static func appendUnicodeLabel(_ label: ArraySlice<UInt8>, to output: inout [UInt8]) throws(HostNameError) {
        // Invalid UTF-8 decodes to U+FFFD, which is not a letter and is rejected below.
        let lowered = String(decoding: label, as: UTF8.self).lowercased()
        let scalars = Array(lowered.unicodeScalars)
        guard scalars.first != "-", scalars.last != "-" else {
            throw HostNameError(code: .hyphenAtLabelEdge)
        }
        for scalar in scalars where !Self.isPermittedInLabel(scalar) {
            throw HostNameError(code: .invalidCharacter)
        }
        // Case mapping can turn a non-ASCII letter into an ASCII one (KELVIN SIGN → "k").
        if scalars.allSatisfy(\.isASCII) {
            try Self.appendASCIILabel(scalars.map { UInt8($0.value) }, to: &output)
            return
        }
        let aLabel = "xn--" + Punycode.encode(scalars)
        try Self.appendASCIILabel(Array(aLabel.utf8), to: &output)
    }

    private static func isPermittedInLabel(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar {
            case "a"..."z", "0"..."9", "-": return true
            default: return false
            }
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }
}
