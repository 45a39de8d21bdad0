/// The typed `integrations` configuration document: third-party services a storefront loads.
public struct Integrations: Sendable, Hashable, Codable {
    /// A Google Analytics id: `G-…` or `UA-…-…`.
    public var googleAnalytics: String?
    /// A Facebook pixel id (digits).
    public var facebook: String?
    /// An `https` Zapier webhook URL that receives orders and leads.
    public var zapier: String?

    public init(googleAnalytics: String? = nil, facebook: String? = nil, zapier: String? = nil) {
        self.googleAnalytics = googleAnalytics
        self.facebook = facebook
        self.zapier = zapier
    }
}
