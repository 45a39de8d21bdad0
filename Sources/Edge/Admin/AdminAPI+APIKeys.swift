import Foundation
import HTTPTypes
import Hummingbird
import TenantStore

/// `/api/tenants/{id}/api-keys`: list (never the secret), create (the key shown once), revoke.
extension AdminAPI {
    /// A key as listed: enough to recognise it (`prefix` is the start of the key), never the key.
    struct APIKeyView: Encodable, Sendable {
        var id: String
        var name: String
        var prefix: String
        var createdAt: Date
        var lastUsedAt: Date?
        var revokedAt: Date?
        var revoked: Bool

        init(_ key: APIKey) {
            self.id = key.id.description
            self.name = key.name
            self.prefix = key.prefix
            self.createdAt = key.createdAt
            self.lastUsedAt = key.lastUsedAt
            self.revokedAt = key.revokedAt
            self.revoked = key.isRevoked
        }
    }

    struct CreateAPIKey: Decodable, Sendable {
        var name: String
    }

    struct CreatedAPIKeyView: Encodable, Sendable {
        var key: APIKeyView
        /// The key itself; the store keeps only its hash, so it is never shown again.
        var apiKey: String
    }

    func registerAPIKeyRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/api-keys") { _, context in
            let id = try Self.tenantID(context, .read)
            let keys = try await self.data.apiKeys.list(tenant: id)
            return try Self.json(AdminPage(items: keys.map(APIKeyView.init), nextCursor: nil))
        }
        api.post("tenants/:id/api-keys") { request, context in
            let id = try Self.tenantID(context, .write)
            let body = try await Self.decode(CreateAPIKey.self, from: request, context: context)
            let created = try await self.data.apiKeys.create(name: body.name, tenant: id)
            return try Self.json(
                CreatedAPIKeyView(key: APIKeyView(created.key), apiKey: created.plaintext),
                status: .created,
                headers: [.location: "/api/tenants/\(id.uuidString.lowercased())/api-keys/\(created.key.id)"]
            )
        }
        api.delete("tenants/:id/api-keys/:keyId") { _, context in
            let id = try Self.tenantID(context, .write)
            guard let keyID = context.parameters.get("keyId").flatMap({ RecordID($0) }) else {
                throw AdminProblem.notFound("no such API key")
            }
            return try Self.json(APIKeyView(try await self.data.apiKeys.revoke(keyID, tenant: id)))
        }
    }
}
