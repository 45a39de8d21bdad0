import Foundation
import TenantStore

/// One benchmark tenant, derived from its index alone so that every run seeds the same stores:
/// 24 products in 4 categories, its own branding, the `base` or `premium` theme and a feature
/// set that changes which components the pages show.
struct BenchTenant: Sendable {
    static let productCount = 24

    let index: Int

    /// `t00001`, `t00002`, …: valid, unreserved subdomains in a stable order.
    var subdomain: String { "t" + String(format: "%05d", self.index + 1) }

    private var vertical: Vertical { Vertical.all[self.index % Vertical.all.count] }

    /// Half the tenants on each built-in theme.
    private var theme: String { self.index % 2 == 0 ? "base" : "premium" }

    /// Four feature sets, independent of the theme's parity.
    private var features: Features {
        switch self.index / 2 % 4 {
        case 0: Features(recommendations: true)
        case 1: Features(vto: true, faceAnalysis: true, recommendations: true)
        case 2: Features(consultation: true, recommendations: true)
        default: Features()
        }
    }

    private var branding: Branding {
        let palette = Self.palettes[self.index % Self.palettes.count]
        return Branding(
            companyName: "\(self.vertical.brand) \(self.index + 1)",
            logo: "/images/demo/logo-\(self.hue).svg",
            colors: Branding.Colors(primary: palette.primary, secondary: palette.secondary, accent: palette.accent),
            fonts: Branding.Fonts(heading: palette.heading, body: "Helvetica")
        )
    }

    /// A hue per tenant for the demo pictures the storefront draws (`/images/demo/`).
    private var hue: Int { self.index * 37 % 360 }

    func create(in data: TenantData) async throws {
        let vertical = self.vertical
        let tenant = try await data.tenants.create(
            companyName: "\(vertical.brand) \(self.index + 1) Ltd",
            subdomain: self.subdomain
        )
        try await data.configuration.set(.branding, to: try Self.json(self.branding), tenant: tenant.id)
        try await data.configuration.set(.features, to: try Self.json(self.features), tenant: tenant.id)
        let commerce = Commerce(
            categories: vertical.categories.map(\.slug),
            paymentMethods: ["card", "paypal"],
            shipping: Commerce.Shipping(regions: ["US", "CA"], flatRate: 6, freeAbove: 150, currency: "USD")
        )
        try await data.configuration.set(.commerce, to: try Self.json(commerce), tenant: tenant.id)
        try await data.templates.save(Template(name: self.theme, isActive: true), tenant: tenant.id)
        for (position, category) in vertical.categories.enumerated() {
            try await data.catalog.createCategory(
                ProductCategory(
                    slug: category.slug,
                    name: category.name,
                    description: "\(category.name) from \(vertical.brand).",
                    position: position + 1
                ),
                tenant: tenant.id
            )
        }
        try await data.catalog.saveProducts(self.products(of: vertical), tenant: tenant.id)
    }

    private func products(of vertical: Vertical) -> [Product] {
        (0..<Self.productCount).map { number in
            let noun = vertical.nouns[number % vertical.nouns.count]
            let adjective = Self.adjectives[(number + self.index) % Self.adjectives.count]
            let category = vertical.categories[number % vertical.categories.count]
            let hue = (self.hue + number * 15) % 360
            return Product(
                slug: "\(adjective.lowercased())-\(noun.name.lowercased())-\(number + 1)",
                name: "\(adjective) \(noun.name)",
                description: "\(adjective) \(noun.name.lowercased()) by \(vertical.brand).\n"
                    + "Made to last, shipped in recycled packaging, returns free for 30 days.",
                priceMinor: 1_500 + (number * 730 + self.index * 11) % 20_000,
                currency: "USD",
                images: ["/images/demo/\(noun.picture)-\(hue).svg"],
                categorySlug: category.slug,
                attributes: ["Colour": Self.colours[number % Self.colours.count], "Batch": "\(number % 5 + 1)"],
                featured: number < 8
            )
        }
    }

    private static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    private struct Vertical {
        var brand: String
        var categories: [(slug: String, name: String)]
        /// Product nouns with the demo picture kind that draws them.
        var nouns: [(name: String, picture: String)]

        static let all: [Vertical] = [
            Vertical(
                brand: "Optics",
                categories: [
                    ("optical", "Optical"), ("sunglasses", "Sunglasses"), ("sport", "Sport"), ("kids", "Kids"),
                ],
                nouns: [("Round", "frame"), ("Aviator", "frame"), ("Wayfarer", "frame"), ("Cat-Eye", "frame")]
            ),
            Vertical(
                brand: "Botanics",
                categories: [
                    ("cleansers", "Cleansers"), ("toners", "Toners"), ("serums", "Serums"), ("masks", "Masks"),
                ],
                nouns: [("Cleanser", "tube"), ("Toner", "bottle"), ("Serum", "dropper"), ("Cream", "jar")]
            ),
            Vertical(
                brand: "Supply",
                categories: [
                    ("hydration", "Hydration"), ("kitchen", "Camp Kitchen"), ("bags", "Bags"), ("cabin", "Cabin"),
                ],
                nouns: [("Bottle", "bottle"), ("Mug", "mug"), ("Tote", "tote"), ("Candle", "candle")]
            ),
        ]
    }

    private static let adjectives = ["Classic", "Bold", "Light", "Daily", "Studio", "Field", "Harbor", "Summit"]
    private static let colours = ["Black", "Sand", "Navy", "Olive", "Rose", "Silver"]

    /// Colour sets from the demo stores, which pass the renderer's contrast checks.
    private static let palettes: [(primary: String, secondary: String, accent: String, heading: String)] = [
        ("#1d4ed8", "#eff6ff", "#b45309", "Georgia"),
        ("#9d174d", "#fdf2f8", "#047857", "Palatino"),
        ("#14532d", "#f0fdf4", "#c2410c", "Trebuchet MS"),
    ]
}
