/// An inclusion (`{{>name}}` partial or `{{<name}}` parent) found in a template, with where it is.
///
/// swift-mustache keeps its token list private, so the recursion and depth checks read the
/// source once more. Tenant templates cannot change delimiters (rejected below), which keeps
/// this scan exact.
struct TemplateTag: Sendable, Hashable {
    var name: String
    var line: Int
    var column: Int

    /// Returns the partial and parent tags of `source`, rejecting tags tenants may not use and
    /// sections nested deeper than the limit.
    static func scan(_ source: String, partial: String, limits: TemplateLimits) throws(RenderError) -> [TemplateTag] {
        let bytes = Array(source.utf8)
        var tags: [TemplateTag] = []
        var depth = 0
        var index = 0
        var line = 1
        var lineStart = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            let column = index - lineStart + 1
            func reject(_ code: RenderError.Code, _ message: String) -> RenderError {
                RenderError(code: code, message: message, partial: partial, line: line, column: column)
            }
            var end = index + 2
            while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")) {
                end += 1
            }
            let body = bytes[(index + 2)..<min(end, bytes.count)]
            let sigil = body.first ?? 0
            let name = String(decoding: body.dropFirst(), as: UTF8.self).trimmingWhitespace()
            switch sigil {
            case UInt8(ascii: "{"), UInt8(ascii: "&"):
                throw reject(.unsupportedTag, "unescaped output is not allowed in tenant templates; use {{name}}")
            case UInt8(ascii: "="):
                throw reject(.unsupportedTag, "changing delimiters is not allowed in tenant templates")
            case UInt8(ascii: "%"):
                throw reject(.unsupportedTag, "pragmas are not allowed in tenant templates")
            case UInt8(ascii: ">"), UInt8(ascii: "<"):
                if name.hasPrefix("*") {
                    throw reject(.unsupportedTag, "dynamic partial names are not allowed in tenant templates")
                }
                tags.append(TemplateTag(name: name, line: line, column: column))
                if sigil == UInt8(ascii: "<") {
                    depth += 1
                }
            case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                depth += 1
            case UInt8(ascii: "/"):
                depth -= 1
            default:
                break
            }
            if depth > limits.maximumSectionDepth {
                throw reject(.tooDeep, "sections nest deeper than \(limits.maximumSectionDepth) levels")
            }
            for byte in body where byte == UInt8(ascii: "\n") {
                line += 1
            }
            if let newline = body.lastIndex(of: UInt8(ascii: "\n")) {
                lineStart = newline + 1
            }
            index = end + 2
        }
        return tags
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = self.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
