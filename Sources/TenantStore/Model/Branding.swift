/// The typed `branding` configuration document: how a tenant's storefront looks.
///
/// Every field is optional; the renderer falls back to the theme's defaults.
public struct Branding: Sendable, Hashable, Codable {
    /// Theme colours as `#rgb` or `#rrggbb`.
    public struct Colors: Sendable, Hashable, Codable {
        public var primary: String?
        public var secondary: String?
        public var accent: String?

        public init(primary: String? = nil, secondary: String? = nil, accent: String? = nil) {
            self.primary = primary
            self.secondary = secondary
            self.accent = accent
        }
    }

    /// Font family names for headings and body text.
    public struct Fonts: Sendable, Hashable, Codable {
        public var heading: String?
        public var body: String?

        public init(heading: String? = nil, body: String? = nil) {
            self.heading = heading
            self.body = body
        }
    }

    /// The name shown in the storefront; the tenant's company name when absent.
    public var companyName: String?
    /// An `http(s)` URL or an absolute path.
    public var logo: String?
    /// An `http(s)` URL or an absolute path.
    public var favicon: String?
    public var colors: Colors?
    public var fonts: Fonts?

    public init(
        companyName: String? = nil,
        logo: String? = nil,
        favicon: String? = nil,
        colors: Colors? = nil,
        fonts: Fonts? = nil
    ) {
        self.companyName = companyName
        self.logo = logo
        self.favicon = favicon
        self.colors = colors
        self.fonts = fonts
    }
}
