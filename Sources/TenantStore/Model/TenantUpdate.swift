/// A partial change to a ``Tenant``: only the non-`nil` fields change.
public struct TenantUpdate: Sendable, Hashable, Codable {
    public var companyName: String?
    public var subdomain: String?
    /// Replaces the whole list; domains no longer listed are released.
    public var customDomains: [String]?
    /// `active` or `suspended`; deleting is ``TenantRepository/delete(_:)``.
    public var status: Tenant.Status?

    public init(
        companyName: String? = nil,
        subdomain: String? = nil,
        customDomains: [String]? = nil,
        status: Tenant.Status? = nil
    ) {
        self.companyName = companyName
        self.subdomain = subdomain
        self.customDomains = customDomains
        self.status = status
    }
}
