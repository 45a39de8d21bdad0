import Testing

@testable import Edge

/// The RFC 4180 reader behind the CSV product import.
@Suite struct CSVReaderTests {
    static func records(_ text: String) throws -> [CSVReader.Record] {
        try CSVReader.records(in: Array(text.utf8))
    }

    @Test func quotedFieldsKeepSeparatorsLineBreaksAndDoubledQuotes() throws {
        let records = try Self.records("a,\"b,c\",\"d\r\ne\",\"say \"\"hi\"\"\"\r\nf,,\"\"\r\n")
        #expect(
            records == [
                CSVReader.Record(line: 1, fields: ["a", "b,c", "d\r\ne", "say \"hi\""]),
                CSVReader.Record(line: 3, fields: ["f", "", ""]),
            ]
        )
    }

    @Test func blankLinesAByteOrderMarkAndAMissingFinalNewlineAreTolerated() throws {
        let records = try Self.records("\u{FEFF}x,y\n\n\r\n1,2")
        #expect(
            records == [CSVReader.Record(line: 1, fields: ["x", "y"]), CSVReader.Record(line: 4, fields: ["1", "2"])]
        )
        #expect(try Self.records("").isEmpty)
        // A lone quoted empty field is a record, not a blank line.
        #expect(try Self.records("\"\"\n") == [CSVReader.Record(line: 1, fields: [""])])
    }

    @Test func malformedQuotingIsRefusedWithItsLine() {
        #expect(throws: CSVReader.SyntaxError.self) { try Self.records("a\n\"open,b\nc\n") }
        #expect(performing: { try Self.records("a\nb\"c\n") }, throws: { ($0 as? CSVReader.SyntaxError)?.line == 2 })
        #expect(performing: { try Self.records("\"a\"b\n") }, throws: { ($0 as? CSVReader.SyntaxError)?.line == 1 })
    }
}
