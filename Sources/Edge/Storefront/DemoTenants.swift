import Foundation
public import TenantStore

/// The three demo stores `edge serve --demo` seeds into an empty store.
///
/// - `acme`: Acme Optics, eyewear on the `base` theme with virtual try-on and the face
///   analyzer;
/// - `glow`: Glow Botanics, skincare on the `premium` theme with consultation;
/// - `north`: North Supply, outdoor goods on its own domain `shop.example.test`.
///
/// Every picture is an SVG drawn by ``DemoImages`` and served by the storefront under
/// `/images/demo/`, so the demo needs no network and no files beside the binary.
public enum DemoTenants {
    /// The custom domain of the third demo store.
    public static let customDomain = "shop.example.test"

    /// Seeds the demo stores, but only into a store without any tenant, so that running with
    /// `--demo` again (or against real data) changes nothing.
    ///
    /// - Parameters:
    ///   - port: the public HTTPS port for the returned URLs, when not 443.
    /// - Returns: the storefront URLs of the demo stores: those created, or, when the store
    ///   already had tenants, those of the demo stores still there from an earlier run.
    @discardableResult
    public static func seed(into data: TenantData, platformDomain: String, port: Int? = nil) async throws -> [String] {
        let suffix = port.map { $0 == 443 ? "" : ":\($0)" } ?? ""
        func urls(of store: DemoStore) -> [String] {
            ["https://\(store.subdomain).\(platformDomain)\(suffix)/"]
                + store.customDomains.map { "https://\($0)\(suffix)/" }
        }
        guard try await data.tenants.list(limit: 1, includeDeleted: true).items.isEmpty else {
            var existing: [String] = []
            for store in Self.stores {
                if let tenant = try await data.tenants.tenant(subdomain: store.subdomain),
                    tenant.companyName == store.companyName, tenant.status == .active
                {
                    existing += urls(of: store)
                }
            }
            return existing
        }
        var created: [String] = []
        for store in Self.stores {
            let tenant = try await data.tenants.create(
                companyName: store.companyName,
                subdomain: store.subdomain,
                customDomains: store.customDomains
            )
            try await data.configuration.set(.branding, to: JSONValue(encoding: store.branding), tenant: tenant.id)
            try await data.configuration.set(.features, to: JSONValue(encoding: store.features), tenant: tenant.id)
            try await data.configuration.set(.commerce, to: JSONValue(encoding: store.commerce), tenant: tenant.id)
            try await data.templates.save(Template(name: store.theme, isActive: true), tenant: tenant.id)
            for category in store.categories {
                try await data.catalog.createCategory(category, tenant: tenant.id)
            }
            try await data.catalog.saveProducts(store.products, tenant: tenant.id)
            created += urls(of: store)
        }
        return created
    }

    struct DemoStore {
        var companyName: String
        var subdomain: String
        var customDomains: [String] = []
        var theme: String
        var branding: Branding
        var features: Features
        var commerce: Commerce
        var categories: [ProductCategory]
        var products: [Product]
    }

    static let stores: [DemoStore] = [Self.eyewear, Self.skincare, Self.outdoor]

    private static func product(
        _ slug: String,
        _ name: String,
        _ description: String,
        price: Int,
        currency: String,
        category: String,
        image: String,
        attributes: [String: String],
        featured: Bool = false
    ) -> Product {
        Product(
            slug: slug,
            name: name,
            description: description,
            priceMinor: price,
            currency: currency,
            images: ["/images/demo/\(image).svg"],
            categorySlug: category,
            attributes: attributes,
            featured: featured
        )
    }

    static let eyewear: DemoStore = {
        let frames: [(slug: String, name: String, shape: String, colour: String, hue: Int, category: String)] = [
            ("aria-round", "Aria Round", "round", "Tortoise", 25, "optical"),
            ("bowen-aviator", "Bowen Aviator", "aviator", "Gold", 45, "sunglasses"),
            ("cleo-cat-eye", "Cleo Cat-Eye", "cat-eye", "Ruby", 350, "optical"),
            ("dune-rectangle", "Dune Rectangle", "rectangle", "Sand", 35, "optical"),
            ("elio-wayfarer", "Elio Wayfarer", "wayfarer", "Black", 220, "sunglasses"),
            ("fern-oval", "Fern Oval", "oval", "Green", 130, "optical"),
            ("gale-sport", "Gale Sport", "rectangle", "Blue", 205, "sport"),
            ("harbor-square", "Harbor Square", "square", "Navy", 230, "sunglasses"),
            ("iris-geometric", "Iris Geometric", "geometric", "Lilac", 275, "optical"),
            ("juno-shield", "Juno Shield", "aviator", "Silver", 190, "sport"),
        ]
        return DemoStore(
            companyName: "Acme Optics",
            subdomain: "acme",
            theme: "base",
            branding: Branding(
                companyName: "Acme Optics",
                logo: "/images/demo/logo-205.svg",
                colors: Branding.Colors(primary: "#1d4ed8", secondary: "#eff6ff", accent: "#b45309"),
                fonts: Branding.Fonts(heading: "Georgia", body: "Helvetica")
            ),
            features: Features(vto: true, faceAnalysis: true, recommendations: true),
            commerce: Commerce(
                categories: ["optical", "sunglasses", "sport"],
                paymentMethods: ["card", "paypal"],
                shipping: Commerce.Shipping(regions: ["US", "CA"], flatRate: 6, freeAbove: 150, currency: "USD")
            ),
            categories: [
                ProductCategory(
                    slug: "optical",
                    name: "Optical",
                    description: "Frames for prescription lenses.",
                    position: 1
                ),
                ProductCategory(
                    slug: "sunglasses",
                    name: "Sunglasses",
                    description: "UV400 lenses, every shape.",
                    position: 2
                ),
                ProductCategory(slug: "sport", name: "Sport", description: "Light frames that stay put.", position: 3),
            ],
            products: frames.enumerated().map { index, frame in
                Self.product(
                    frame.slug,
                    frame.name,
                    "Hand-finished \(frame.colour.lowercased()) frame with spring hinges.\nTry it on with your camera before you buy.",
                    price: 11_900 + index * 1_000,
                    currency: "USD",
                    category: frame.category,
                    image: "frame-\(frame.hue)",
                    attributes: [
                        "Frame shape": frame.shape, "Colour": frame.colour, "Material": "Acetate",
                        "Try-on image": "/images/demo/overlay-\(frame.hue).svg",
                    ],
                    featured: index < 6
                )
            }
        )
    }()

    static let skincare: DemoStore = {
        let items: [(slug: String, name: String, kind: String, hue: Int, category: String, size: String)] = [
            ("dew-cleanser", "Dew Gel Cleanser", "tube", 190, "cleansers", "150 ml"),
            ("oat-milk-cleanser", "Oat Milk Cleanser", "bottle", 40, "cleansers", "200 ml"),
            ("rose-toner", "Rose Water Toner", "bottle", 340, "toners", "200 ml"),
            ("green-tea-toner", "Green Tea Toner", "bottle", 120, "toners", "150 ml"),
            ("vitamin-c-serum", "Vitamin C Serum", "dropper", 30, "serums", "30 ml"),
            ("hyaluronic-serum", "Hyaluronic Serum", "dropper", 200, "serums", "30 ml"),
            ("night-repair-cream", "Night Repair Cream", "jar", 260, "moisturisers", "50 ml"),
            ("daily-spf-cream", "Daily SPF 30 Cream", "tube", 50, "moisturisers", "50 ml"),
            ("clay-mask", "Kaolin Clay Mask", "jar", 20, "masks", "75 ml"),
        ]
        return DemoStore(
            companyName: "Glow Botanics",
            subdomain: "glow",
            theme: "premium",
            branding: Branding(
                companyName: "Glow Botanics",
                logo: "/images/demo/logo-330.svg",
                colors: Branding.Colors(primary: "#9d174d", secondary: "#fdf2f8", accent: "#047857"),
                fonts: Branding.Fonts(heading: "Palatino", body: "Helvetica")
            ),
            features: Features(consultation: true, recommendations: true),
            commerce: Commerce(
                categories: ["cleansers", "toners", "serums", "moisturisers", "masks"],
                paymentMethods: ["card", "paypal", "invoice"],
                shipping: Commerce.Shipping(regions: ["DE", "AT", "FR"], flatRate: 4.9, freeAbove: 60, currency: "EUR")
            ),
            categories: [
                ProductCategory(
                    slug: "cleansers",
                    name: "Cleansers",
                    description: "Gentle daily cleansers.",
                    position: 1
                ),
                ProductCategory(slug: "toners", name: "Toners", position: 2),
                ProductCategory(slug: "serums", name: "Serums", description: "Concentrated actives.", position: 3),
                ProductCategory(slug: "moisturisers", name: "Moisturisers", position: 4),
                ProductCategory(slug: "masks", name: "Masks", position: 5),
            ],
            products: items.enumerated().map { index, item in
                Self.product(
                    item.slug,
                    item.name,
                    "\(item.name) with botanical extracts, \(item.size).\nVegan, fragrance-free and dermatologist tested.",
                    price: 1_900 + index * 450,
                    currency: "EUR",
                    category: item.category,
                    image: "\(item.kind)-\(item.hue)",
                    attributes: ["Size": item.size, "Skin type": index % 2 == 0 ? "All" : "Dry to normal"],
                    featured: index % 3 != 2
                )
            }
        )
    }()

    static let outdoor: DemoStore = {
        let items: [(slug: String, name: String, kind: String, hue: Int, category: String)] = [
            ("trail-bottle", "Trail Bottle 750", "bottle", 160, "hydration"),
            ("summit-flask", "Summit Flask", "bottle", 10, "hydration"),
            ("camp-mug", "Enamel Camp Mug", "mug", 210, "kitchen"),
            ("ember-mug", "Ember Mug", "mug", 15, "kitchen"),
            ("canvas-tote", "Waxed Canvas Tote", "tote", 35, "bags"),
            ("harbor-tote", "Harbor Tote", "tote", 200, "bags"),
            ("pine-candle", "Pine Cabin Candle", "candle", 110, "cabin"),
            ("cedar-candle", "Cedar Candle", "candle", 25, "cabin"),
        ]
        return DemoStore(
            companyName: "North Supply",
            subdomain: "north",
            customDomains: [Self.customDomain],
            theme: "base",
            branding: Branding(
                companyName: "North Supply Co.",
                logo: "/images/demo/logo-160.svg",
                colors: Branding.Colors(primary: "#14532d", secondary: "#f0fdf4", accent: "#c2410c"),
                fonts: Branding.Fonts(heading: "Trebuchet MS", body: "Verdana")
            ),
            features: Features(recommendations: true),
            commerce: Commerce(
                categories: ["hydration", "kitchen", "bags", "cabin"],
                paymentMethods: ["card", "bank-transfer"],
                shipping: Commerce.Shipping(regions: ["GB", "IE"], flatRate: 5, freeAbove: 75, currency: "GBP")
            ),
            categories: [
                ProductCategory(slug: "hydration", name: "Hydration", position: 1),
                ProductCategory(slug: "kitchen", name: "Camp Kitchen", position: 2),
                ProductCategory(slug: "bags", name: "Bags", position: 3),
                ProductCategory(slug: "cabin", name: "Cabin", description: "Scents of the woods.", position: 4),
            ],
            products: items.enumerated().map { index, item in
                Self.product(
                    item.slug,
                    item.name,
                    "\(item.name), made to last a lifetime outdoors.\nRepaired free of charge, forever.",
                    price: 1_500 + index * 700,
                    currency: "GBP",
                    category: item.category,
                    image: "\(item.kind)-\(item.hue)",
                    attributes: ["Material": index % 2 == 0 ? "Steel" : "Canvas"],
                    featured: index < 6
                )
            }
        )
    }()
}

/// The demo catalog's pictures: small SVGs drawn from a name such as `frame-205` (a kind and a
/// hue), so they ship inside the binary.
enum DemoImages {
    /// The SVG for `name`, or `nil` when the name is not `<kind>-<hue>` with a known kind.
    static func svg(named name: String) -> String? {
        guard let dash = name.lastIndex(of: "-"), let hue = Int(name[name.index(after: dash)...]),
            (0...359).contains(hue)
        else { return nil }
        let ink = "hsl(\(hue) 45% 30%)"
        let fill = "hsl(\(hue) 55% 75%)"
        let shape: String
        switch name[..<dash] {
        case "frame":
            shape = """
                <g fill="none" stroke="\(ink)" stroke-width="14"><circle cx="130" cy="200" r="62"/>\
                <circle cx="270" cy="200" r="62"/><path d="M192 196 q8 -14 16 0 M68 190 L30 170 M332 190 L370 170"/></g>
                """
        case "overlay":
            // Drawn on a transparent background, to lay over the shopper's camera picture.
            return """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 160"><g fill="\(fill)" fill-opacity="0.35" \
                stroke="\(ink)" stroke-width="10"><circle cx="120" cy="80" r="58"/><circle cx="280" cy="80" r="58"/></g>\
                <path d="M178 76 q22 -18 44 0" fill="none" stroke="\(ink)" stroke-width="10"/></svg>
                """
        case "bottle":
            shape = """
                <rect x="160" y="70" width="80" height="40" rx="8" fill="\(ink)"/>\
                <rect x="130" y="110" width="140" height="230" rx="30" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>
                """
        case "dropper":
            shape = """
                <rect x="185" y="60" width="30" height="70" rx="12" fill="\(ink)"/>\
                <rect x="150" y="130" width="100" height="200" rx="18" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>
                """
        case "tube":
            shape = """
                <path d="M140 90 h120 l-20 230 h-80 z" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>\
                <rect x="170" y="320" width="60" height="30" rx="6" fill="\(ink)"/>
                """
        case "jar":
            shape = """
                <rect x="120" y="150" width="160" height="150" rx="24" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>\
                <rect x="110" y="120" width="180" height="40" rx="10" fill="\(ink)"/>
                """
        case "mug":
            shape = """
                <rect x="110" y="130" width="150" height="170" rx="16" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>\
                <path d="M260 170 h30 a30 30 0 0 1 0 80 h-30" fill="none" stroke="\(ink)" stroke-width="14"/>
                """
        case "tote":
            shape = """
                <path d="M150 150 v-40 a50 50 0 0 1 100 0 v40" fill="none" stroke="\(ink)" stroke-width="12"/>\
                <path d="M100 150 h200 l-20 190 h-160 z" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>
                """
        case "candle":
            shape = """
                <path d="M200 70 q25 40 0 70 q-25 -30 0 -70" fill="hsl(40 90% 55%)"/>\
                <rect x="140" y="150" width="120" height="190" rx="12" fill="\(fill)" stroke="\(ink)" stroke-width="8"/>
                """
        case "logo":
            return """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="\(ink)"/>\
                <circle cx="32" cy="32" r="12" fill="\(fill)"/></svg>
                """
        default:
            return nil
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400">\
            <rect width="400" height="400" fill="hsl(\(hue) 40% 94%)"/>\(shape)</svg>
            """
    }
}
