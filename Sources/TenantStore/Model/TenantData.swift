/// The typed tenant data model over a ``KeyValueStore``: one repository per kind of record.
///
/// ```swift
/// let data = TenantData(store: store, platformDomain: "shop.example")
/// let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
/// try await data.catalog.createProduct(product, tenant: tenant.id)
/// ```
///
/// Every value is stored as one schema-version byte followed by JSON (see
/// ``currentSchemaVersion`` and ``migrate(store:)``). Every change to what a storefront renders
/// bumps the tenant's ``Tenant/contentVersion``, the key of the edge's page cache.
///
/// The repositories are plain values: copy them freely; all of them share the one store.
public struct TenantData: Sendable {
    /// The schema version written into every record by this build.
    ///
    /// - 1: tenants had a single optional `customDomain`.
    /// - 2: tenants have a list of `customDomains`.
    public static let currentSchemaVersion: UInt8 = 2

    public let tenants: TenantRepository
    public let configuration: ConfigurationRepository
    public let templates: TemplateRepository
    public let catalog: CatalogRepository
    public let orders: OrderRepository
    public let leads: LeadRepository
    public let apiKeys: APIKeyRepository
    public let certificates: CertificateRepository
    public let audit: AuditLog
    public let drafts: DraftRepository
    /// The box that seals secrets at rest, shared with the edge's own secret-bearing records
    /// (webhook secrets); `nil` when no key is configured.
    package let secrets: SecretBox?

    /// - Parameters:
    ///   - platformDomain: the domain tenant subdomains live under (e.g. `localhost`); when given,
    ///     tenants may not claim custom domains inside it.
    ///   - secrets: seals secrets at rest (certificate private keys); without it, storing or
    ///     reading a certificate fails with `.secretKeyUnavailable` rather than keep a key in plain text.
    public init(store: any KeyValueStore, platformDomain: String? = nil, secrets: SecretBox? = nil) {
        let records = RecordStore(store: store)
        self.tenants = TenantRepository(records: records, platformDomain: platformDomain?.lowercased())
        self.configuration = ConfigurationRepository(records: records, secrets: secrets)
        self.templates = TemplateRepository(records: records)
        self.catalog = CatalogRepository(records: records)
        self.orders = OrderRepository(records: records)
        self.leads = LeadRepository(records: records)
        self.apiKeys = APIKeyRepository(records: records)
        self.certificates = CertificateRepository(records: records, secrets: secrets)
        self.audit = AuditLog(records: records)
        self.drafts = DraftRepository(records: records, configuration: self.configuration)
        self.secrets = secrets
    }
}
