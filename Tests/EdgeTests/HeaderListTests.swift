import Testing

@testable import Edge

/// The comma-separated request fields the storefront reads on every request.
@Suite("Header lists: Accept-Encoding and If-None-Match")
struct HeaderListTests {
    @Test func elementsAreTrimmedAndEmptyOnesSkipped() {
        #expect(Array(HeaderList(" a ,\tb,, c\t,")) == ["a", "b", "c"])
        #expect(Array(HeaderList("")).isEmpty)
        #expect(Array(HeaderList(" , ")).isEmpty)
    }

    @Test(arguments: [
        ("gzip", true), ("GZip", true), ("x-gzip", true), ("*", true), ("gzip, deflate, br, zstd", true),
        ("br, gzip;q=0.8", true), ("gzip ; q=1.0", true), ("gzip;Q=0.001", true), ("gzip;q=junk", true),
        ("gzip;q=0", false), ("gzip; q=0.000", false), ("gzip;q=0., br", false), ("identity", false),
        ("br, deflate", false), ("", false), ("gzipped", false), ("*;q=0", false),
    ])
    func acceptEncodingAllowsGzip(header: String, expected: Bool) {
        #expect(StorefrontService.acceptsGzip(header) == expected, "\(header)")
    }

    @Test func noAcceptEncodingMeansIdentity() {
        #expect(!StorefrontService.acceptsGzip(nil))
    }

    @Test(arguments: [
        ("\"v1\"", true), ("W/\"v1\"", true), ("\"v0\", \"v1\"", true), (" * ", true), ("\"v2\"", false),
        ("v1", false), ("", false),
    ])
    func ifNoneMatchNamesTheTag(header: String, expected: Bool) {
        #expect(StorefrontService.matches(header, etag: "\"v1\"") == expected, "\(header)")
        #expect(StorefrontService.matches(header, etag: "W/\"v1\"") == expected, "\(header) weak")
    }

    @Test(arguments: [
        ("Host", "host"), ("host", "host"), ("Accept-Encoding", "accept-encoding"),
        ("X-Custom-Thing", "x-custom-thing"),
        ("DNT", "dnt"), ("Hosts", "hosts"),
    ])
    func fieldNamesAreLowercased(name: String, expected: String) {
        #expect(HeaderFieldName.lowercased(name) == expected)
    }

    @Test(arguments: [
        ("content-type", true), ("X-Weird!#$%&'*+-.^_`|~1", true), ("", false), ("bad name", false),
        ("colon:", false), ("ümlaut", false), ("tab\t", false),
    ])
    func fieldNamesMustBeTokens(name: String, isToken: Bool) {
        #expect(HeaderFieldName.isToken(name) == isToken)
    }
}
