/// The elements of a comma-separated header field (RFC 9110 §5.6.1) — `Accept-Encoding`,
/// `If-None-Match`, `X-Forwarded-For` — read in place, with the whitespace around each element
/// removed and empty elements skipped.
///
/// Hand-written rather than `split` + Foundation's `trimmingCharacters`: browsers send these
/// fields with every request, and that pair cost more than finding the cached page.
struct HeaderList: Sequence, IteratorProtocol {
    private var rest: Substring

    init(_ field: some StringProtocol) {
        self.rest = Substring(field)
    }

    mutating func next() -> Substring? {
        while !self.rest.isEmpty {
            let comma = self.rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? self.rest.endIndex
            let element = Self.trimmed(self.rest[..<comma])
            self.rest = comma == self.rest.endIndex ? "" : self.rest[self.rest.utf8.index(after: comma)...]
            if !element.isEmpty {
                return element
            }
        }
        return nil
    }

    /// `text` without the spaces and tabs around it.
    static func trimmed(_ text: Substring) -> Substring {
        let isText = { (byte: UInt8) in byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") }
        guard let first = text.utf8.firstIndex(where: isText), let last = text.utf8.lastIndex(where: isText) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }
}
