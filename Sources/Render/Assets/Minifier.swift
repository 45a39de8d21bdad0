/// Conservative minifiers for the themes' own CSS and JavaScript.
///
/// They only remove what cannot change meaning: comments, indentation and blank lines, and
/// (in CSS) spaces around punctuation. JavaScript keeps its line breaks so that automatic
/// semicolon insertion sees the same program.
enum Minifier {
    static func css(_ source: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(source.utf8.count)
        let bytes = Array(source.utf8)
        let tight = Set("{};,>".utf8)
        var index = 0
        var pendingSpace = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                index += 2
                while index + 1 < bytes.count,
                    !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/"))
                {
                    index += 1
                }
                index += 2
                continue
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\r")
            {
                pendingSpace = true
                index += 1
                continue
            }
            // A space before ':' may be a descendant selector (`a :hover`), so only the
            // space after it goes.
            if pendingSpace, let last = output.last, !tight.contains(last), last != UInt8(ascii: ":"),
                !tight.contains(byte)
            {
                output.append(UInt8(ascii: " "))
            }
            pendingSpace = false
            if byte == UInt8(ascii: "}"), output.last == UInt8(ascii: ";") {
                output.removeLast()
            }
            output.append(byte)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func javaScript(_ source: String) -> String {
        var lines: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("//") {
                continue
            }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n")
    }
}
