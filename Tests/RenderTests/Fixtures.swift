import Foundation
import Render
import TenantStore

/// A tenant with a small eyewear catalog, built fresh for each test.
enum Fixtures {
    static let themes: ThemeLibrary = {
        do {
            return try ThemeLibrary.builtIn()
        } catch {
            fatalError("built-in themes failed to load: \(error)")
        }
    }()

    static let hostile = "<script>alert(\"x\")</script>'&\u{2028}é"

    static func tenant(
        subdomain: String = "acme",
        customDomains: [String] = [],
        status: Tenant.Status = .active
    ) -> Tenant {
        Tenant(
            id: UUID(),
            companyName: "Acme Optics",
            subdomain: subdomain,
            customDomains: customDomains,
            status: status,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_700_000_000),
            contentVersion: 1
        )
    }

    static let categories = [
        ProductCategory(slug: "sunglasses", name: "Sunglasses", description: "Shades for every day.", position: 1),
        ProductCategory(slug: "optical", name: "Optical", position: 2),
    ]

    static func products(count: Int = 6) -> [Product] {
        (0..<count).map { index in
            let created = Date(timeIntervalSince1970: 1_700_000_000 + Double(index))
            let shape = index % 3 == 0 ? "round" : "aviator"
            let images = ["/images/frame-\(index).jpg", "https://cdn.example.com/frame-\(index)-side.jpg"]
            return Product(
                slug: "frame-\(index)",
                name: "Frame \(index)",
                description: "A light frame.\nHand made.",
                priceMinor: 9_900 + index * 100,
                currency: "EUR",
                images: images,
                categorySlug: index % 2 == 0 ? "sunglasses" : "optical",
                attributes: ["Frame Shape": shape, "Colour": "black"],
                featured: index < 2,
                createdAt: created,
                updatedAt: created
            )
        }
    }

    static func storefront(
        tenant: Tenant = Fixtures.tenant(),
        features: Features = Features(),
        branding: Branding? = nil,
        integrations: Integrations? = nil,
        products: [Product] = Fixtures.products()
    ) -> Storefront {
        Storefront(
            tenant: tenant,
            branding: branding,
            features: features,
            commerce: Commerce(
                paymentMethods: ["card", "invoice"],
                shipping: Commerce.Shipping(regions: ["EU"], flatRate: 5, freeAbove: 100, currency: "EUR")
            ),
            integrations: integrations,
            products: products,
            categories: Self.categories,
            platformDomain: "localhost",
            port: 8443
        )
    }

    static func renderer(theme: String = "base", _ storefront: Storefront = Fixtures.storefront()) -> Renderer {
        Renderer(theme: Self.themes.theme(named: theme)!, storefront: storefront)
    }

    static func order() -> Order {
        Order(
            id: RecordID(),
            items: [Order.Item(productSlug: "frame-0", name: "Frame 0", quantity: 2, unitPriceMinor: 9_900)],
            totalMinor: 19_800,
            currency: "EUR",
            customer: Order.Customer(name: "Ada", email: "ada@example.com", address: "1 Main St"),
            status: .received,
            createdAt: Date()
        )
    }

    /// Every page a storefront has, with the status it must answer.
    static let allPages: [(StorefrontPage, Int)] = [
        (.home, 200),
        (.category(slug: "sunglasses"), 200),
        (.product(slug: "frame-0"), 200),
        (.search(query: "frame"), 200),
        (.cart([OrderRequest.Line(productSlug: "frame-0", quantity: 2)]), 200),
        (.checkout([OrderRequest.Line(productSlug: "frame-0", quantity: 2)]), 200),
        (.orderConfirmation(Fixtures.order()), 200),
        (.notFound, 404),
        (.unavailable, 503),
    ]
}

extension RenderedPage {
    var text: String { String(decoding: self.body, as: UTF8.self) }
}
