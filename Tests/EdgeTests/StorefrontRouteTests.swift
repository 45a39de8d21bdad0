import Render
import Testing

@testable import Edge

/// Paths to routes: every route, and the near misses that must fall to the not-found page.
@Suite struct StorefrontRouteTests {
    @Test(arguments: [
        ("/", nil, StorefrontRoute.page(.home)),
        ("/products/lamp", nil, .page(.product(slug: "lamp"))),
        ("/products/", nil, .page(.notFound)),
        ("/products/lamp/extra", nil, .page(.notFound)),
        (
            "/categories/lights", "sort=price-asc&page=2",
            .page(.category(slug: "lights", sort: .priceAscending, page: 2))
        ),
        ("/categories/lights", "sort=bogus", .page(.category(slug: "lights", sort: .featured, page: 1))),
        ("/search", "q=lamp", .page(.search(query: "lamp", page: 1))),
        ("/cart", nil, .personal(.cart([]))),
        ("/assets/abc123/theme.css", nil, .asset(path: "/assets/abc123/theme.css")),
        ("/assets/theme.css", nil, .page(.notFound)),
        ("/images/demo/lamp.svg", nil, .demoImage(name: "lamp")),
        ("/images/other/lamp.svg", nil, .page(.notFound)),
        ("/robots.txt", nil, .robots),
        ("/sitemap.xml", nil, .sitemap),
        ("/api/orders", nil, .placeOrder),
        ("/api/consultation", nil, .submitLead),
        ("/api/other", nil, .page(.notFound)),
        ("", nil, .page(.notFound)),
        ("*", nil, .page(.notFound)),
        ("//", nil, .page(.notFound)),
        ("/products/lämp", nil, .page(.product(slug: "lämp"))),
    ])
    func pathsRoute(path: String, query: String?, expected: StorefrontRoute) {
        #expect(StorefrontRoute(path: path, query: query) == expected)
    }
}
