/// Renders one tenant's storefront: data in, bytes out.
///
/// Build a renderer when a tenant's content version changes; it precomputes everything that
/// does not depend on the page (product cards, navigation, the branding stylesheet), so each
/// render only assembles dictionaries and runs the already-parsed templates.
///
/// ```swift
/// let renderer = Renderer(theme: themes.theme(named: "base")!, storefront: storefront)
/// let page = renderer.render(.product(slug: "aviator"))   // RenderedPage, status 200 or 404
/// ```
///
/// Rendering never throws and never touches the file system or the network.
public struct Renderer: Sendable {
    /// Listing pages show this many products per page.
    public static let pageSize = 24
    static let htmlContentType = "text/html; charset=utf-8"

    /// The compiled theme.
    public let theme: Theme
    /// The tenant data rendered.
    public let storefront: Storefront
    /// The tenant's branding stylesheet and its contrast warnings.
    public let stylesheet: ThemeStylesheet

    let prepared: PreparedContext

    /// Prepares `storefront` for rendering with `theme`.
    public init(theme: Theme, storefront: Storefront) {
        self.theme = theme
        self.storefront = storefront
        self.stylesheet = ThemeStylesheet(branding: storefront.branding)
        self.prepared = PreparedContext(storefront: storefront, theme: theme, stylesheet: self.stylesheet)
    }

    /// Contrast problems of the tenant's branding colours (WCAG AA).
    public var warnings: [ContrastWarning] { self.stylesheet.warnings }

    /// Every asset the pages link to: theme stylesheet, branding stylesheet and script.
    public var assets: [Asset] {
        [self.theme.assets.stylesheet, self.stylesheet.asset, self.theme.assets.script]
    }

    /// The asset served at `path` (`/assets/{fingerprint}/{file}`), if any.
    public func asset(at path: String) -> Asset? {
        self.assets.first { $0.path == path }
    }

    /// Renders `page`. Unknown product or category slugs render the 404 page.
    public func render(_ page: StorefrontPage) -> RenderedPage {
        switch page {
        case .home:
            self.html(200, template: "home", self.homeContext())
        case .category(let slug, let sort, let number):
            self.categoryContext(slug: slug, sort: sort, page: number).map { self.html(200, template: "category", $0) }
                ?? self.render(.notFound)
        case .product(let slug):
            self.productContext(slug: slug).map { self.html(200, template: "product", $0) } ?? self.render(.notFound)
        case .search(let query, let number):
            self.html(200, template: "search", self.searchContext(query: query, page: number))
        case .cart(let lines):
            self.html(200, template: "cart", self.cartContext(lines))
        case .checkout(let lines):
            self.html(200, template: "checkout", self.checkoutContext(lines))
        case .orderConfirmation(let order):
            self.html(200, template: "order-confirmation", self.confirmationContext(order))
        case .notFound:
            self.html(404, template: "not-found", self.simpleContext(title: "Page not found", page: "not-found"))
        case .unavailable:
            self.html(503, template: "unavailable", self.simpleContext(title: "Store unavailable", page: "unavailable"))
        }
    }

    private func html(_ status: Int, template: String, _ context: [String: Any]) -> RenderedPage {
        RenderedPage(
            status: status,
            contentType: Self.htmlContentType,
            body: Array(self.theme.render(context, template: template).utf8)
        )
    }
}
