public import TenantStore

/// Everything Render needs to know about one tenant's store: the data in "data in, bytes out".
///
/// Build one per tenant content version (the Edge rebuilds it when the version moves) and
/// hand it to ``Renderer``.
public struct Storefront: Sendable {
    /// The tenant.
    public var tenant: Tenant
    /// The branding section of the configuration, if set.
    public var branding: Branding?
    /// The feature flags; components render only when their flag is on.
    public var features: Features
    /// The commerce section, if set: payment methods and shipping for checkout.
    public var commerce: Commerce?
    /// The integrations section, if set: analytics identifiers.
    public var integrations: Integrations?
    /// Every product of the tenant's catalog.
    public var products: [Product]
    /// Every category, in any order; pages sort them by position.
    public var categories: [ProductCategory]
    /// The public origin used for canonical URLs, Open Graph and the sitemap, such as
    /// `https://shop.acme.com`: the first custom domain when the tenant has one, else the
    /// platform subdomain.
    public var origin: String

    /// Creates a storefront from the tenant's records.
    ///
    /// - Parameters:
    ///   - platformDomain: the platform's domain, such as `localhost`, used when the tenant has
    ///     no custom domain.
    ///   - port: the public HTTPS port when it is not 443.
    public init(
        tenant: Tenant,
        branding: Branding? = nil,
        features: Features = Features(),
        commerce: Commerce? = nil,
        integrations: Integrations? = nil,
        products: [Product] = [],
        categories: [ProductCategory] = [],
        platformDomain: String,
        port: Int? = nil
    ) {
        self.tenant = tenant
        self.branding = branding
        self.features = features
        self.commerce = commerce
        self.integrations = integrations
        self.products = products
        self.categories = categories
        let host = tenant.customDomains.first ?? "\(tenant.subdomain).\(platformDomain)"
        self.origin = "https://\(host)" + (port.map { $0 == 443 ? "" : ":\($0)" } ?? "")
    }

    /// Creates a storefront from the tenant's whole configuration document.
    public init(
        tenant: Tenant,
        configuration: TenantConfiguration,
        products: [Product] = [],
        categories: [ProductCategory] = [],
        platformDomain: String,
        port: Int? = nil
    ) {
        self.init(
            tenant: tenant,
            branding: configuration.branding,
            features: configuration.features,
            commerce: configuration.commerce,
            integrations: configuration.integrations,
            products: products,
            categories: categories,
            platformDomain: platformDomain,
            port: port
        )
    }

    /// The name shown to shoppers: the branding's company name, else the tenant's.
    public var displayName: String {
        let branded = self.branding?.companyName ?? ""
        return branded.isEmpty ? self.tenant.companyName : branded
    }
}
