public import TenantStore

/// A storefront page to render.
public enum StorefrontPage: Sendable, Hashable {
    /// `/`: hero, categories and featured products.
    case home
    /// `/categories/{slug}`: one category's products, sorted and paginated (1-based page).
    case category(slug: String, sort: ProductSort = .featured, page: Int = 1)
    /// `/products/{slug}`.
    case product(slug: String)
    /// `/search?q=`.
    case search(query: String, page: Int = 1)
    /// `/cart`: the lines the shopper holds.
    case cart([OrderRequest.Line])
    /// `/checkout`: the order form for these lines.
    case checkout([OrderRequest.Line])
    /// The page shown once an order is stored.
    case orderConfirmation(Order)
    /// Any path the store does not have.
    case notFound
    /// The page for a suspended tenant.
    case unavailable
}

/// Orders for a product listing, as named in the `?sort=` query parameter.
public enum ProductSort: String, Sendable, Hashable, CaseIterable {
    /// Featured products first, then by name.
    case featured
    /// Cheapest first.
    case priceAscending = "price-asc"
    /// Dearest first.
    case priceDescending = "price-desc"
    /// Alphabetical.
    case name
    /// Most recently added first.
    case newest

    var label: String {
        switch self {
        case .featured: "Featured"
        case .priceAscending: "Price: low to high"
        case .priceDescending: "Price: high to low"
        case .name: "Name"
        case .newest: "Newest"
        }
    }

    func sorted(_ products: [Product]) -> [Product] {
        switch self {
        case .featured:
            products.sorted { ($0.featured ? 0 : 1, $0.name) < ($1.featured ? 0 : 1, $1.name) }
        case .priceAscending:
            products.sorted { ($0.priceMinor, $0.name) < ($1.priceMinor, $1.name) }
        case .priceDescending:
            products.sorted { ($0.priceMinor, $1.name) > ($1.priceMinor, $0.name) }
        case .name:
            products.sorted { $0.name < $1.name }
        case .newest:
            products.sorted { ($0.createdAt, $1.name) > ($1.createdAt, $0.name) }
        }
    }
}
