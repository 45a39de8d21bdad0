/// Splits RFC 4180 CSV into records, remembering the line each record starts on so that an
/// import can report problems by line.
///
/// Written here rather than taken from the mirror's SwiftCSV 0.10: its rows carry no source
/// positions (a quoted field may span lines, so a row's index is not its line), and its `CSV` is
/// a non-`Sendable` class. The format is small: fields separated by `,`, records by CRLF or LF,
/// a field in double quotes may contain `,`, line breaks and `""` for a quote. A leading UTF-8
/// byte order mark (spreadsheet exports) is skipped, and blank lines are ignored.
struct CSVReader: Sendable {
    /// One record and the 1-based line it starts on.
    struct Record: Sendable, Hashable {
        var line: Int
        var fields: [String]
    }

    /// Text that is not CSV; record boundaries after it cannot be trusted, so the whole input is
    /// refused.
    struct SyntaxError: Error, Sendable, Hashable {
        var line: Int
        var message: String
    }

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    static func records(in bytes: some Collection<UInt8>) throws(SyntaxError) -> [Record] {
        var bytes = Array(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var afterClosingQuote = false
        var index = 0

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterClosingQuote = false
        }
        func endRecord() {
            // A blank line has one empty, unquoted field.
            let blank = fields.isEmpty && field.isEmpty && !afterClosingQuote
            endField()
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == Self.quote {
                    if index < bytes.count, bytes[index] == Self.quote {
                        field.append(Self.quote)
                        index += 1
                    } else {
                        inQuotes = false
                        afterClosingQuote = true
                    }
                } else {
                    if byte == Self.lineFeed { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case Self.comma:
                endField()
            case Self.carriageReturn where index < bytes.count && bytes[index] == Self.lineFeed:
                break
            case Self.lineFeed:
                endRecord()
                line += 1
                recordLine = line
            case Self.quote where field.isEmpty && !afterClosingQuote:
                inQuotes = true
            case Self.quote:
                throw SyntaxError(
                    line: line,
                    message: "a quote inside an unquoted field (quote the field and double the quote)"
                )
            default:
                if afterClosingQuote {
                    throw SyntaxError(line: line, message: "text after the closing quote of a field")
                }
                field.append(byte)
            }
        }
        if inQuotes {
            throw SyntaxError(line: recordLine, message: "a quoted field is not closed")
        }
        endRecord()
        return records
    }
}
