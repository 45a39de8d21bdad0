public import Foundation

/// An API key as it is listed: its display prefix and history, never the secret.
///
/// The full key (`sfe_<prefix>_<secret>`) is returned once by ``APIKeyRepository/create(name:tenant:)``;
/// the store keeps only its SHA-256 digest.
public struct APIKey: Sendable, Hashable, Codable, Identifiable {
    public var id: RecordID
    public var tenantId: UUID
    /// A label chosen by the tenant, e.g. "CI".
    public var name: String
    /// The first part of the key (`sfe_` and 8 characters), to recognise it in lists and logs.
    public var prefix: String
    public var createdAt: Date
    /// Updated at most once a minute, so authentication does not write on every request.
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public var isRevoked: Bool { self.revokedAt != nil }

    public init(
        id: RecordID,
        tenantId: UUID,
        name: String,
        prefix: String,
        createdAt: Date,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.tenantId = tenantId
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A key just created: the only moment its plaintext exists outside the client.
public struct CreatedAPIKey: Sendable, Hashable {
    public var key: APIKey
    /// The full key to hand to the client once; it cannot be recovered later.
    public var plaintext: String
}

/// Who a presented API key belongs to.
public struct AuthenticatedAPIKey: Sendable, Hashable {
    public var tenant: Tenant
    public var key: APIKey
}

/// The stored form of a key: its metadata and the hex SHA-256 digest of the full key.
struct StoredAPIKey: Sendable, Hashable, Codable {
    var key: APIKey
    var sha256: String
}
