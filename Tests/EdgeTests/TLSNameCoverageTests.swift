import Testing

@testable import Edge

@Suite("Certificate names covering host names")
struct TLSNameCoverageTests {
    @Test(arguments: [
        ("shop.example.com", "shop.example.com", true),
        ("Shop.Example.COM", "shop.example.com", true),
        ("shop.example.com.", "shop.example.com", true),
        ("shop.example.com", "www.shop.example.com", false),
        ("*.example.com", "shop.example.com", true),
        ("*.Example.com.", "shop.example.com", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "a.shop.example.com", false),
        ("*.example.com", ".example.com", false),
        ("*.example.com", "shop.example.org", false),
        ("*.example.com", "shopexample.com", false),
        ("w*.example.com", "www.example.com", false),
        ("example.com", "example.co", false),
        ("*", "localhost", false),
    ])
    func coverage(certificateName: String, host: String, covered: Bool) {
        #expect(CertificateBundle.name(certificateName, covers: host) == covered)
    }
}
