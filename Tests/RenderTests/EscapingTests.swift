import Foundation
import TenantStore
import Testing

@testable import Render

@Suite struct EscapingTests {
    static func hostileStorefront(features: Features = Features()) -> Storefront {
        let hostile = Fixtures.hostile
        let product = Product(
            slug: "evil",
            name: hostile,
            description: hostile,
            priceMinor: 100,
            currency: "EUR",
            images: ["javascript:alert(1)", "/img/\"onerror=alert(1).jpg", "//evil.example/x.jpg", "/ok.jpg"],
            categorySlug: "sunglasses",
            attributes: [hostile: hostile, "overlay": "javascript:alert(2)"],
            featured: true
        )
        var tenant = Fixtures.tenant()
        tenant.companyName = hostile
        return Storefront(
            tenant: tenant,
            branding: Branding(companyName: hostile, logo: "javascript:alert(3)", favicon: "data:text/html,<script>"),
            features: features,
            integrations: Integrations(googleAnalytics: "\"><script>alert(4)</script>", facebook: "';alert(5)//"),
            products: [product] + Fixtures.products(count: 2),
            categories: [ProductCategory(slug: "sunglasses", name: hostile, description: hostile)],
            platformDomain: "localhost"
        )
    }

    @Test(arguments: ["base", "premium"])
    func hostileDataNeverBreaksOutOnAnyPage(theme: String) {
        let everything = Features(
            consultation: true,
            vto: true,
            faceAnalysis: true,
            recommendations: true,
            analytics: true
        )
        let renderer = Fixtures.renderer(theme: theme, Self.hostileStorefront(features: everything))
        let pages: [StorefrontPage] = [
            .home, .category(slug: "sunglasses"), .product(slug: "evil"), .search(query: Fixtures.hostile),
            .cart([OrderRequest.Line(productSlug: "evil", quantity: 1)]),
            .checkout([OrderRequest.Line(productSlug: "evil", quantity: 1)]), .notFound, .unavailable,
        ]
        for page in pages {
            let html = renderer.render(page).text
            #expect(!html.contains("<script>alert"), "\(page)")
            #expect(!html.contains("\"onerror"), "\(page)")
            #expect(!html.contains("=\"javascript:"), "\(page)")
            #expect(!html.contains("data:text/html"), "\(page)")
            #expect(!html.contains("//evil.example"), "\(page)")
            #expect(!html.contains("';alert"), "\(page)")
            #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;"), "\(page)")
        }
    }

    @Test func jsonLDEscapesScriptBreakouts() throws {
        let html = Fixtures.renderer(Self.hostileStorefront()).render(.product(slug: "evil")).text
        let start = try #require(html.range(of: "<script type=\"application/ld+json\">"))
        let end = try #require(html[start.upperBound...].range(of: "</script>"))
        let json = html[start.upperBound..<end.lowerBound]
        #expect(json.contains("\"name\":\"\\u003cscript\\u003ealert(\\\"x\\\")\\u003c/script\\u003e'\\u0026\\u2028é\""))
        #expect(!json.contains("<"))
        #expect(json.contains("\"image\":[\"https://acme.localhost/ok.jpg\"]"))
    }

    @Test func urlsArePercentEncoded() {
        var products = Fixtures.products(count: 1)
        products[0].slug = "a b/é?"
        let html = Fixtures.renderer(Fixtures.storefront(products: products)).render(.home).text
        #expect(html.contains("href=\"/products/a%20b%2F%C3%A9%3F\""))
        let search = Fixtures.renderer().render(.search(query: "a&b \"c\"")).text
        #expect(search.contains("href=\"https://acme.localhost:8443/search?q=a%26b%20%22c%22\""))
    }

    @Test func sitemapEscapesXML() {
        let sitemap = Fixtures.renderer(Self.hostileStorefront()).sitemapXML().text
        #expect(sitemap.contains("<loc>https://acme.localhost/products/evil</loc>"))
        #expect(!sitemap.contains("<script"))
    }
}

/// Which image and link URLs a page may show: http(s) or same-origin paths, with nothing that
/// could end an attribute or hide in whitespace.
@Suite struct SafeURLTests {
    @Test(arguments: [
        ("https://cdn.example.com/a.jpg", true), ("HTTP://cdn.example.com/a.jpg", true), ("/images/é.jpg", true),
        ("//evil.example/a.jpg", false), ("javascript:alert(1)", false), ("data:image/png;base64,AA", false),
        ("", false), ("/a b.jpg", false), ("/a\tb.jpg", false), ("/a\r\nb.jpg", false), ("/a\u{00A0}b.jpg", false),
        ("/a\u{3000}b.jpg", false), ("/e\u{0301}\u{2003}.jpg", false), ("/a\"b.jpg", false), ("/a<b.jpg", false),
        ("/a`b.jpg", false), ("/a\\b.jpg", false),
    ])
    func onlyHTTPAndPathsWithoutQuotesOrWhitespace(url: String, safe: Bool) {
        #expect((Formatting.safeURL(url) != nil) == safe)
    }
}
