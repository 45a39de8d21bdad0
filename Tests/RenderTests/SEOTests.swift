import Foundation
import Render
import TenantStore
import Testing

@Suite struct SEOTests {
    @Test func canonicalUsesTheCustomDomain() {
        let tenant = Fixtures.tenant(customDomains: ["shop.acme.com"])
        let storefront = Storefront(tenant: tenant, products: Fixtures.products(), platformDomain: "localhost")
        let html = Fixtures.renderer(storefront).render(.product(slug: "frame-1")).text
        #expect(html.contains("<link rel=\"canonical\" href=\"https://shop.acme.com/products/frame-1\">"))
        #expect(html.contains("<meta property=\"og:url\" content=\"https://shop.acme.com/products/frame-1\">"))
    }

    @Test func sitemapListsHomeCategoriesAndProducts() {
        let sitemap = Fixtures.renderer().sitemapXML()
        #expect(sitemap.contentType == "application/xml; charset=utf-8")
        let text = sitemap.text
        #expect(text.contains("<loc>https://acme.localhost:8443/</loc>"))
        #expect(text.contains("<loc>https://acme.localhost:8443/categories/optical</loc>"))
        #expect(text.contains("<loc>https://acme.localhost:8443/products/frame-5</loc><lastmod>2023-11-14</lastmod>"))
    }

    @Test func robotsPointsAtTheSitemapAndClosesSuspendedStores() {
        let robots = Fixtures.renderer().robotsTxt().text
        #expect(robots.contains("Sitemap: https://acme.localhost:8443/sitemap.xml"))
        #expect(robots.contains("Disallow: /checkout"))
        let suspended = Fixtures.renderer(Fixtures.storefront(tenant: Fixtures.tenant(status: .suspended))).robotsTxt()
            .text
        #expect(suspended == "User-agent: *\nDisallow: /\n")
    }
}
