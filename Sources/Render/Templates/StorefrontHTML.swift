import Mustache

/// The HTML escaping of the built-in templates, selected by the
/// `{{% CONTENT_TYPE: STOREFRONT_HTML}}` pragma at the top of each one (swift-mustache resets
/// the content type on entering a partial, so every template carries it).
///
/// It escapes exactly the characters swift-mustache's own HTML type does (`< > & " '`), but
/// works on UTF-8 bytes and returns the string untouched when nothing needs escaping — most
/// values — where the stock type walks every `Character` through a dictionary. Templates a
/// tenant overrides fall back to the stock type (they may not use pragmas), equally safe.
struct StorefrontHTML: MustacheContentType {
    static let name = "STOREFRONT_HTML"

    /// swift-mustache resolves content types by name while parsing, so the type must be
    /// registered before the first template is parsed; a `static let` runs this exactly once.
    static let registered: Void = MustacheContentTypes.register(StorefrontHTML(), named: StorefrontHTML.name)

    func escapeText(_ text: String) -> String {
        guard text.utf8.contains(where: Self.needsEscape) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): output.append(contentsOf: "&#39;".utf8)
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
