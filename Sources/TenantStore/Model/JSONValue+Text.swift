import Foundation

/// JSON text to and from ``JSONValue`` directly, byte by byte.
///
/// Through `Codable` a document costs a coding container per value and, when decoding, a thrown
/// and discarded `DecodingError` for every kind of value tried before the right one. In perf
/// profiles of back-to-back configuration PUTs (documents of a few hundred bytes), JSON went from
/// 16.6 % to 10.9 % of the server's CPU when the request body, the stored section and the response
/// took this path instead. No maintained package in reach parses JSON into a value of our own type
/// (Foundation's parser is internal to its decoder), so this small one is written here;
/// `JSONValueTextTests` holds it to `JSONDecoder` and `JSONEncoder`.
extension JSONValue {
    /// The deepest nesting ``init(parsing:)`` accepts: far beyond any document this service
    /// stores, and shallow enough that the recursive parser cannot run out of stack.
    static let maximumParsingDepth = 512

    /// Parses JSON text (RFC 8259): one value, surrounded by nothing but whitespace.
    ///
    /// - Throws: `DecodingError.dataCorrupted` saying what is wrong and at which byte, as
    ///   `JSONDecoder` throws for text that is not JSON.
    public init(parsing bytes: some Collection<UInt8>) throws {
        let parsed = bytes.withContiguousStorageIfAvailable { buffer in
            Result { try Self.parse(buffer) }
        }
        if let parsed {
            self = try parsed.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer { try Self.parse($0) }
        }
    }

    /// The document as compact JSON text with every object's members sorted by name (so equal
    /// documents are equal bytes) and `/` left unescaped.
    ///
    /// - Throws: `EncodingError.invalidValue` for a number that is not finite, which JSON cannot
    ///   express.
    public func jsonText() throws -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(256)
        try self.write(into: &text)
        return text
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONTextParser(buffer)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == buffer.count else {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    private func write(into text: inout [UInt8]) throws {
        switch self {
        case .null: text.append(contentsOf: "null".utf8)
        case .bool(let value): text.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            guard value.isFinite else {
                throw EncodingError.invalidValue(
                    value,
                    EncodingError.Context(codingPath: [], debugDescription: "\(value) is not a JSON number")
                )
            }
            // As JSONEncoder writes numbers: integral values without the ".0". Most numbers here
            // are small integers, written digit by digit without a String in between.
            if let integer = Int64(exactly: value), integer.magnitude < 1 << 53, value.sign == .plus || integer != 0 {
                Self.write(integer, into: &text)
            } else {
                var digits = value.description
                if digits.hasSuffix(".0") { digits.removeLast(2) }
                text.append(contentsOf: digits.utf8)
            }
        case .string(let value): Self.write(value, into: &text)
        case .array(let elements):
            text.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                try element.write(into: &text)
            }
            text.append(UInt8(ascii: "]"))
        case .object(let members):
            text.append(UInt8(ascii: "{"))
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                Self.write(member.key, into: &text)
                text.append(UInt8(ascii: ":"))
                try member.value.write(into: &text)
            }
            text.append(UInt8(ascii: "}"))
        }
    }

    private static func write(_ integer: Int64, into text: inout [UInt8]) {
        if integer < 0 { text.append(UInt8(ascii: "-")) }
        var remaining = integer.magnitude
        let start = text.count
        repeat {
            text.append(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        text[start...].reverse()
    }

    private static func write(_ string: String, into text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        // Most strings need no escape: they are copied in one piece.
        let plain = string.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }
        }
        if plain == true {
            text.append(contentsOf: string.utf8)
            text.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): text.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): text.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): text.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): text.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): text.append(contentsOf: #"\t"#.utf8)
            case 0x08: text.append(contentsOf: #"\b"#.utf8)
            case 0x0C: text.append(contentsOf: #"\f"#.utf8)
            case ..<0x20:
                text.append(contentsOf: #"\u00"#.utf8)
                text.append(Self.hexDigits[Int(byte >> 4)])
                text.append(Self.hexDigits[Int(byte & 0xF)])
            default: text.append(byte)
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A cursor over JSON text; every method leaves `offset` after what it read.
private struct JSONTextParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func error(_ message: String) -> DecodingError {
        .dataCorrupted(
            DecodingError.Context(
                codingPath: [],
                debugDescription: "The given data was not valid JSON: \(message) at byte \(self.offset)"
            )
        )
    }

    var next: UInt8? {
        self.offset < self.bytes.count ? self.bytes[self.offset] : nil
    }

    mutating func skipWhitespace() {
        while let byte = self.next,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            self.offset += 1
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard let byte = self.next else { throw self.error("unexpected end of text") }
        switch byte {
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "{"): return try self.object(depth: depth + 1)
        case UInt8(ascii: "["): return try self.array(depth: depth + 1)
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.number())
        default: throw self.error("unexpected character '\(Unicode.Scalar(byte))'")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let length = word.utf8CodeUnitCount
        guard self.offset + length <= self.bytes.count,
            memcmp(self.bytes.baseAddress! + self.offset, word.utf8Start, length) == 0
        else { throw self.error("invalid literal") }
        self.offset += length
    }

    mutating func object(depth: Int) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        guard try self.open(depth: depth, closing: UInt8(ascii: "}")) else { return .object(members) }
        repeat {
            guard self.next == UInt8(ascii: "\"") else { throw self.error("expected a member name") }
            let name = try self.string()
            self.skipWhitespace()
            guard self.next == UInt8(ascii: ":") else { throw self.error("expected ':'") }
            self.offset += 1
            self.skipWhitespace()
            let member = try self.value(depth: depth)
            // A repeated name keeps its first value, as JSONDecoder does.
            if members[name] == nil { members[name] = member }
        } while try self.separator(closing: UInt8(ascii: "}"))
        return .object(members)
    }

    mutating func array(depth: Int) throws -> JSONValue {
        var elements: [JSONValue] = []
        guard try self.open(depth: depth, closing: UInt8(ascii: "]")) else { return .array(elements) }
        repeat {
            elements.append(try self.value(depth: depth))
        } while try self.separator(closing: UInt8(ascii: "]"))
        return .array(elements)
    }

    /// Reads a container's opening bracket; false when `closing` follows at once (it is read too).
    mutating func open(depth: Int, closing: UInt8) throws -> Bool {
        guard depth <= JSONValue.maximumParsingDepth else { throw self.error("too deeply nested") }
        self.offset += 1
        self.skipWhitespace()
        guard self.next == closing else { return true }
        self.offset += 1
        return false
    }

    /// Reads what follows a container's element: true after a comma, false after `closing`.
    mutating func separator(closing: UInt8) throws -> Bool {
        self.skipWhitespace()
        switch self.next {
        case UInt8(ascii: ","):
            self.offset += 1
            self.skipWhitespace()
            return true
        case closing:
            self.offset += 1
            return false
        default: throw self.error("expected ',' or '\(Unicode.Scalar(closing))'")
        }
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, as a finite `Double`.
    mutating func number() throws -> Double {
        let start = self.offset
        if self.next == UInt8(ascii: "-") { self.offset += 1 }
        if self.next == UInt8(ascii: "0") {
            self.offset += 1
        } else {
            guard self.skipDigits() else { throw self.error("invalid number") }
        }
        if self.next == UInt8(ascii: ".") {
            self.offset += 1
            guard self.skipDigits() else { throw self.error("invalid number") }
        }
        if self.next == UInt8(ascii: "e") || self.next == UInt8(ascii: "E") {
            self.offset += 1
            if self.next == UInt8(ascii: "+") || self.next == UInt8(ascii: "-") { self.offset += 1 }
            guard self.skipDigits() else { throw self.error("invalid number") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.offset]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw self.error("number \(text) does not fit in a Double")
        }
        return value
    }

    /// Skips one or more digits; false when there is none.
    mutating func skipDigits() -> Bool {
        let start = self.offset
        while let byte = self.next, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            self.offset += 1
        }
        return self.offset > start
    }

    mutating func string() throws -> String {
        self.offset += 1
        let start = self.offset
        // Most strings have no escape: then they are their own bytes.
        while let byte = self.next, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw self.error("control character in a string") }
            self.offset += 1
        }
        guard let end = self.next else { throw self.error("unterminated string") }
        if end == UInt8(ascii: "\"") {
            let text = try self.validated(UnsafeBufferPointer(rebasing: self.bytes[start..<self.offset]))
            self.offset += 1
            return text
        }
        var unescaped = Array(UnsafeBufferPointer(rebasing: self.bytes[start..<self.offset]))
        while let byte = self.next {
            switch byte {
            case UInt8(ascii: "\""):
                self.offset += 1
                return try unescaped.withUnsafeBufferPointer { try self.validated($0) }
            case UInt8(ascii: "\\"):
                self.offset += 1
                try self.unescape(into: &unescaped)
            case ..<0x20:
                throw self.error("control character in a string")
            default:
                unescaped.append(byte)
                self.offset += 1
            }
        }
        throw self.error("unterminated string")
    }

    func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw self.error("invalid UTF-8 in a string") }
        return text
    }

    /// One escape sequence, the backslash already read.
    mutating func unescape(into unescaped: inout [UInt8]) throws {
        guard let byte = self.next else { throw self.error("unterminated string") }
        self.offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(byte)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "r"): unescaped.append(UInt8(ascii: "\r"))
        case UInt8(ascii: "t"): unescaped.append(UInt8(ascii: "\t"))
        case UInt8(ascii: "u"):
            var code = UInt32(try self.hexQuad())
            if (0xD800..<0xDC00).contains(code) {
                guard self.next == UInt8(ascii: "\\") else { throw self.error("unpaired UTF-16 surrogate") }
                self.offset += 1
                guard self.next == UInt8(ascii: "u") else { throw self.error("unpaired UTF-16 surrogate") }
                self.offset += 1
                let low = UInt32(try self.hexQuad())
                guard (0xDC00..<0xE000).contains(low) else { throw self.error("unpaired UTF-16 surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw self.error("unpaired UTF-16 surrogate") }
            unescaped.append(contentsOf: scalar.utf8)
        default:
            throw self.error("invalid escape '\\\(Unicode.Scalar(byte))'")
        }
    }

    mutating func hexQuad() throws -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = self.next else { throw self.error("unterminated string") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            self.offset += 1
        }
        return value
    }
}
