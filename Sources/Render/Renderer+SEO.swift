import Foundation
import TenantStore

extension Renderer {
    /// `/robots.txt`: everything but the cart and checkout may be crawled; a suspended store
    /// asks crawlers to stay away until it is back.
    public func robotsTxt() -> RenderedPage {
        let text: String
        if self.storefront.tenant.status == .active {
            text = """
                User-agent: *
                Allow: /
                Disallow: /cart
                Disallow: /checkout
                Disallow: /search

                Sitemap: \(self.storefront.origin)/sitemap.xml

                """
        } else {
            text = "User-agent: *\nDisallow: /\n"
        }
        return RenderedPage(status: 200, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// `/sitemap.xml`: home, every category and every product, with canonical URLs.
    public func sitemapXML() -> RenderedPage {
        let origin = self.storefront.origin
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
        func add(_ path: String, lastModified: String? = nil) {
            xml += "<url><loc>" + Formatting.xmlEscaped(origin + path) + "</loc>"
            if let lastModified {
                xml += "<lastmod>" + lastModified + "</lastmod>"
            }
            xml += "</url>\n"
        }
        add("/")
        for category in self.prepared.categories {
            add("/categories/" + Formatting.percentEncoded(category.slug))
        }
        for product in self.storefront.products.sorted(by: { $0.slug < $1.slug }) {
            add("/products/" + Formatting.percentEncoded(product.slug), lastModified: Self.day(product.updatedAt))
        }
        xml += "</urlset>\n"
        return RenderedPage(status: 200, contentType: "application/xml; charset=utf-8", body: Array(xml.utf8))
    }

    private static func day(_ date: Date) -> String {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        // Civil-from-days (Howard Hinnant): no DateFormatter, so no locale or time-zone state.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}
