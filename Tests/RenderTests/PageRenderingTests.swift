import Foundation
import Render
import TenantStore
import Testing

@Suite struct PageRenderingTests {
    @Test(arguments: ["base", "premium"])
    func everyPageRendersWithLandmarksAndSEO(theme: String) {
        let renderer = Fixtures.renderer(theme: theme)
        for (page, status) in Fixtures.allPages {
            let rendered = renderer.render(page)
            let html = rendered.text
            #expect(rendered.status == status, "\(page)")
            #expect(rendered.contentType == "text/html; charset=utf-8")
            #expect(html.hasPrefix("<!doctype html>"), "\(page)")
            #expect(html.contains("<html lang=\"en\">"), "\(page)")
            #expect(html.contains("<main id=\"main\""), "\(page)")
            #expect(html.contains("<title>"), "\(page)")
            #expect(html.contains("<meta name=\"description\""), "\(page)")
            #expect(html.contains("<link rel=\"canonical\" href=\"https://acme.localhost:8443/"), "\(page)")
            #expect(html.contains("property=\"og:title\""), "\(page)")
            #expect(!html.contains("{{"), "\(page) has an unrendered tag")
            if status != 503 {
                #expect(html.contains("<header class=\"site-header"), "\(page)")
                #expect(html.contains("<footer class=\"site-footer"), "\(page)")
                #expect(html.contains("<nav class=\"main-nav"), "\(page)")
            }
        }
    }

    @Test func premiumOverridesBasePartials() {
        let base = Fixtures.renderer(theme: "base").render(.home).text
        let premium = Fixtures.renderer(theme: "premium").render(.home).text
        #expect(!base.contains("premium-hero"))
        #expect(premium.contains("premium-hero"))
        #expect(premium.contains("premium-card"))
        #expect(premium.contains("Featured products"), "pages not overridden come from base")
    }

    @Test func homeShowsHeroCategoriesAndFeaturedFirst() {
        let html = Fixtures.renderer().render(.home).text
        #expect(html.contains("id=\"hero-heading\">Acme Optics</h1>"))
        #expect(html.contains("href=\"/categories/sunglasses\""))
        let first = html.range(of: "data-product=\"frame-0\"")!
        let later = html.range(of: "data-product=\"frame-5\"")!
        #expect(first.lowerBound < later.lowerBound)
        #expect(html.contains("€99.00"))
    }

    @Test func categoryListsOnlyItsProductsSortedAndPaginated() {
        let storefront = Fixtures.storefront(products: Fixtures.products(count: 60))
        let renderer = Fixtures.renderer(storefront)
        let html = renderer.render(.category(slug: "sunglasses", sort: .priceDescending, page: 1)).text
        #expect(!html.contains("data-product=\"frame-1\""))
        #expect(html.components(separatedBy: "class=\"product-card").count - 1 == Renderer.pageSize)
        let dearest = html.range(of: "data-product=\"frame-58\"")!
        let cheaper = html.range(of: "data-product=\"frame-56\"")!
        #expect(dearest.lowerBound < cheaper.lowerBound)
        #expect(html.contains("<option value=\"price-desc\" selected>"))
        #expect(html.contains("href=\"/categories/sunglasses?sort=price-desc&amp;page=2\""))
        #expect(html.contains("aria-current=\"page\">Sunglasses"))
        let second = renderer.render(.category(slug: "sunglasses", sort: .priceDescending, page: 2)).text
        #expect(second.components(separatedBy: "class=\"product-card").count - 1 == 30 - Renderer.pageSize)
        #expect(second.contains("rel=\"prev\""))
    }

    @Test func unknownSlugsRenderNotFound() {
        let renderer = Fixtures.renderer()
        #expect(renderer.render(.product(slug: "missing")).status == 404)
        #expect(renderer.render(.category(slug: "missing")).status == 404)
    }

    @Test func productShowsImagesPriceAttributesRelatedAndJSONLD() {
        let html = Fixtures.renderer().render(.product(slug: "frame-0")).text
        #expect(html.contains("<h1>Frame 0</h1>"))
        #expect(html.contains("src=\"/images/frame-0.jpg\" alt=\"Frame 0\""))
        #expect(html.contains("alt=\"Frame 0, view 2\""))
        #expect(html.contains("<dt>Frame Shape</dt><dd>round</dd>"))
        #expect(html.contains("Related products"))
        #expect(html.contains("data-product=\"frame-2\""))
        #expect(
            html.contains(
                "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"Product\""
            )
        )
        #expect(html.contains("\"price\":\"99.00\",\"priceCurrency\":\"EUR\""))
        #expect(
            html.contains("<meta property=\"og:image\" content=\"https://acme.localhost:8443/images/frame-0.jpg\">")
        )
        #expect(html.contains("<meta property=\"og:type\" content=\"product\">"))
    }

    /// Cards are rendered when a page first shows them and kept for the next pages: what a page
    /// shows must not depend on which page rendered a card first.
    @Test func pagesAreTheSameWhicheverPageRenderedTheirCardsFirst() {
        let storefront = Fixtures.storefront(products: Fixtures.products(count: 30))
        let pages: [StorefrontPage] = [
            .product(slug: "frame-0"), .category(slug: "sunglasses", sort: .featured, page: 1), .home,
            .search(query: "frame"), .cart([OrderRequest.Line(productSlug: "frame-3", quantity: 1)]),
        ]
        let alone = pages.map { Fixtures.renderer(storefront).render($0).text }
        let forward = Fixtures.renderer(storefront)
        #expect(pages.map { forward.render($0).text } == alone)
        let backward = Fixtures.renderer(storefront)
        #expect(pages.reversed().map { backward.render($0).text } == alone.reversed())
    }

    @Test func searchFindsByNameAndAttributes() {
        let renderer = Fixtures.renderer()
        let html = renderer.render(.search(query: "aviator")).text
        #expect(html.contains("data-product=\"frame-1\""))
        #expect(!html.contains("data-product=\"frame-0\""))
        #expect(html.contains("<meta name=\"robots\" content=\"noindex\">"))
        #expect(renderer.render(.search(query: "")).text.contains("No products here yet."))
    }

    @Test func cartAndCheckoutTotalAndOfferPaymentMethods() {
        let lines = [
            OrderRequest.Line(productSlug: "frame-0", quantity: 2), OrderRequest.Line(productSlug: "gone", quantity: 1),
        ]
        let renderer = Fixtures.renderer()
        let cart = renderer.render(.cart(lines)).text
        #expect(cart.contains("€198.00"))
        #expect(cart.contains("<td>Free</td>"))
        #expect(!cart.contains("gone"))
        let checkout = renderer.render(.checkout(lines)).text
        #expect(checkout.contains("action=\"/api/orders\" method=\"post\""))
        #expect(checkout.contains("value=\"card\" checked"))
        #expect(checkout.contains("Invoice"))
        #expect(checkout.contains("<label for=\"checkout-email\">Email</label>"))
        #expect(checkout.contains("<option>EU</option>"))
        #expect(renderer.render(.cart([])).text.contains("Your cart is empty"))
    }

    @Test func confirmationAndStatusPages() {
        let renderer = Fixtures.renderer()
        let order = Fixtures.order()
        let confirmation = renderer.render(.orderConfirmation(order)).text
        #expect(confirmation.contains("Thank you, Ada!"))
        #expect(confirmation.contains(order.id.description))
        let unavailable = renderer.render(.unavailable).text
        #expect(unavailable.contains("Acme Optics is temporarily unavailable"))
        #expect(!unavailable.contains("data-product"))
    }
}

@Suite struct RenderedPageTests {
    @Test func gzipBodyIsGzipAndSmaller() {
        let page = Fixtures.renderer().render(.home)
        let gzip = page.gzipBody()
        #expect(gzip.starts(with: [0x1f, 0x8b]))
        #expect(gzip.count < page.body.count)
    }
}
