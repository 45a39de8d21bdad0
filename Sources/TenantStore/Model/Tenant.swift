public import Foundation

/// A customer of the platform and the store it runs: the root record every other tenant-owned
/// record hangs off.
///
/// A tenant is reachable on `<subdomain>.<platform domain>` and on each of its custom domains.
/// ``contentVersion`` changes whenever anything the storefront renders changes, which is what
/// invalidates cached pages.
public struct Tenant: Sendable, Hashable, Codable, Identifiable {
    /// Whether the storefront is served.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Served normally.
        case active
        /// Answered with a "temporarily unavailable" page; data is kept.
        case suspended
        /// Everything it owned is gone; the record stays so the id is never reused.
        case deleted
    }

    /// Names the platform uses for its own hosts, which no tenant may take as a subdomain.
    public static let reservedSubdomains: Set<String> = [
        "admin", "api", "app", "assets", "cdn", "docs", "help", "mail", "platform", "portal",
        "static", "status", "support", "www",
    ]

    /// The most custom domains one tenant may have.
    public static let maximumCustomDomains = 20

    public var id: UUID
    public var companyName: String
    /// A lowercase DNS label, unique across tenants.
    public var subdomain: String
    /// Lowercase host names, each unique across tenants.
    public var customDomains: [String]
    public var status: Status
    public var createdAt: Date
    public var updatedAt: Date
    /// Increases with every change that affects what the storefront renders.
    public var contentVersion: UInt64

    public init(
        id: UUID,
        companyName: String,
        subdomain: String,
        customDomains: [String],
        status: Status,
        createdAt: Date,
        updatedAt: Date,
        contentVersion: UInt64
    ) {
        self.id = id
        self.companyName = companyName
        self.subdomain = subdomain
        self.customDomains = customDomains
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.contentVersion = contentVersion
    }
}
