import Synchronization
import TenantStore

/// The parts of every render context that depend only on the storefront, built once.
///
/// - Note: `@unchecked Sendable` because `[String: Any]` is not `Sendable` to the compiler;
///   every value stored here is a `String`, `Bool`, `Int` or an array or dictionary of those,
///   all immutable values, and the struct is never mutated after `init` (rendered cards are
///   kept in ``CardHTML``, behind its lock).
struct PreparedContext: @unchecked Sendable {
    /// Keys shared by every page: store, assets, navigation, features, analytics.
    let common: [String: Any]
    /// Product card dictionaries by slug, without their `html` (see ``card(_:)``).
    private let cardFields: [String: [String: Any]]
    /// The `html` of each card a page has shown.
    private let cardHTML = CardHTML()
    private let theme: Theme
    /// Products by slug.
    let products: [String: Product]
    /// Each product's attributes as normalised `name=value` keys, for recommendations.
    let attributeKeys: [String: Set<String>]
    /// The slugs of the home page's products: featured first, then by name, at most one page.
    private let homeSlugs: [String]
    /// Categories sorted by position, then name.
    let categories: [ProductCategory]
    /// Category dictionaries in the same order.
    let categoryLinks: [[String: Any]]

    init(storefront: Storefront, theme: Theme, stylesheet: ThemeStylesheet) {
        let categories = storefront.categories.sorted { ($0.position, $0.name) < ($1.position, $1.name) }
        self.categories = categories
        let names = Dictionary(categories.map { ($0.slug, $0.name) }, uniquingKeysWith: { first, _ in first })
        var cards: [String: [String: Any]] = [:]
        var products: [String: Product] = [:]
        for product in storefront.products {
            products[product.slug] = product
            cards[product.slug] = Self.card(product, categoryName: product.categorySlug.flatMap { names[$0] })
        }
        self.products = products
        self.attributeKeys = products.mapValues { product in
            Set(product.attributes.map { Formatting.attributeKey($0.key) + "=" + $0.value.lowercased() })
        }
        self.categoryLinks = categories.map { category in
            [
                "slug": category.slug,
                "name": category.name,
                "description": category.description,
                "url": "/categories/" + Formatting.percentEncoded(category.slug),
            ]
        }

        var store: [String: Any] = [
            "name": storefront.displayName,
            "origin": storefront.origin,
            "initial": String(storefront.displayName.prefix(1)),
        ]
        if let logo = Formatting.safeURL(storefront.branding?.logo) {
            store["logo"] = logo
        }
        if let favicon = Formatting.safeURL(storefront.branding?.favicon) {
            store["favicon"] = favicon
        }
        let features = storefront.features
        var common: [String: Any] = [
            "store": store,
            "assets": [
                "stylesheet": theme.assets.stylesheet.path,
                "theme": stylesheet.asset.path,
                "script": theme.assets.script.path,
            ],
            "nav": self.categoryLinks,
            "features": [
                "consultation": features.consultation,
                "vto": features.vto,
                "faceAnalysis": features.faceAnalysis,
                "recommendations": features.recommendations,
            ],
            "themeName": theme.builtInName,
        ]
        if features.analytics, let integrations = storefront.integrations {
            var analytics: [String: Any] = [:]
            if let id = integrations.googleAnalytics, !id.isEmpty {
                analytics["googleAnalytics"] = id
            }
            if let id = integrations.facebook, !id.isEmpty {
                analytics["facebook"] = id
            }
            if !analytics.isEmpty {
                common["analytics"] = analytics
            }
        }
        self.common = common
        self.cardFields = cards
        self.theme = theme
        self.homeSlugs = ProductSort.featured.sorted(storefront.products).prefix(Renderer.pageSize).map(\.slug)
    }

    /// The card of the product `slug`, with `html`: the card rendered by the theme's
    /// `product-card` partial. A card looks the same on every page of a content version, so
    /// each is rendered once, when a page first shows it. Not all of them up front: with more
    /// tenants than renderers are kept for, a renderer is often built to render one page, and
    /// rendering all two dozen cards was then most of the cost of a cache miss.
    func card(_ slug: String) -> [String: Any]? {
        guard var card = self.cardFields[slug] else { return nil }
        card["html"] = self.cardHTML.html(of: slug) {
            self.theme.render(self.common.merging(card) { _, own in own }, template: "product-card")
        }
        return card
    }

    /// The home page's product cards.
    var homeCards: [[String: Any]] {
        self.homeSlugs.compactMap(self.card)
    }

    static func card(_ product: Product, categoryName: String?) -> [String: Any] {
        var card: [String: Any] = [
            "slug": product.slug,
            "name": product.name,
            "url": "/products/" + Formatting.percentEncoded(product.slug),
            "price": Formatting.money(product.priceMinor, currency: product.currency),
            "featured": product.featured,
        ]
        if let image = product.images.lazy.compactMap(Formatting.safeURL).first {
            card["image"] = image
        }
        if let categoryName {
            card["category"] = categoryName
        }
        if let shape = Self.attribute(of: product, named: ["frameshape", "shape"]) {
            card["frameShape"] = shape.lowercased()
        }
        return card
    }

    static func html(of cards: [[String: Any]]) -> String {
        cards.lazy.compactMap { $0["html"] as? String }.joined(separator: "\n")
    }

    static func attribute(of product: Product, named keys: [String]) -> String? {
        for (name, value) in product.attributes.sorted(by: { $0.key < $1.key })
        where keys.contains(Formatting.attributeKey(name)) {
            return value
        }
        return nil
    }
}

/// The rendered `html` of product cards by slug, filled in as pages show them.
///
/// Two renders that need the same card at once may both render it; they render the same text.
final class CardHTML: Sendable {
    private let rendered = Mutex<[String: String]>([:])

    func html(of slug: String, render: () -> String) -> String {
        if let html = self.rendered.withLock({ $0[slug] }) {
            return html
        }
        let html = render()
        self.rendered.withLock { $0[slug] = html }
        return html
    }
}
