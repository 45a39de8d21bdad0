import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TenantStore

/// `/api/tenants/{id}/config`: the whole document and its sections, with the tenant's content
/// version as a strong ETag; `If-Match` makes a write conditional (`412` when stale).
extension AdminAPI {
    /// The `data` of a `config.updated` webhook event.
    struct ConfigurationUpdated: Encodable, Sendable {
        var contentVersion: UInt64
        /// The section written, or `nil` for the whole document (or a deploy).
        var section: String?
    }

    func registerConfigurationRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/config") { _, context in
            let id = try Self.tenantID(context, .read)
            let configuration = try await self.data.configuration.configuration(tenant: id)
            return try Self.json(configuration.document, headers: [.eTag: Self.etag(configuration.contentVersion)])
        }
        api.put("tenants/:id/config") { request, context in
            let id = try Self.tenantID(context, .write)
            let document = try await Self.decode(JSONValue.self, from: request, context: context)
            let ifMatch = try Self.ifMatch(request)
            let configuration = try await self.announcingConfigurationUpdate(tenant: id, section: nil) {
                try await self.data.configuration.replace(with: document, tenant: id, ifContentVersion: ifMatch)
            }
            return try Self.json(configuration.document, headers: [.eTag: Self.etag(configuration.contentVersion)])
        }
        api.get("tenants/:id/config/:key") { _, context in
            let id = try Self.tenantID(context, .read)
            let key = try Self.configurationKey(context)
            let configuration = try await self.data.configuration.configuration(tenant: id)
            guard let section = configuration.sections[key] else {
                throw AdminProblem.notFound("the \(key.rawValue) section is not set")
            }
            return try Self.json(section, headers: [.eTag: Self.etag(configuration.contentVersion)])
        }
        api.put("tenants/:id/config/:key") { request, context in
            let id = try Self.tenantID(context, .write)
            let key = try Self.configurationKey(context)
            let section = try await Self.decode(JSONValue.self, from: request, context: context)
            let ifMatch = try Self.ifMatch(request)
            let contentVersion = try await self.announcingConfigurationUpdate(tenant: id, section: key) {
                try await self.data.configuration.set(key, to: section, tenant: id, ifContentVersion: ifMatch)
            }
            return try Self.json(section, headers: [.eTag: Self.etag(contentVersion)])
        }
    }

    /// Runs `change` announcing `config.updated` for `section` (`nil`: the whole document).
    func announcingConfigurationUpdate<Result>(
        tenant: UUID,
        section: ConfigurationKey?,
        _ change: () async throws -> Result
    ) async throws -> Result {
        try await self.webhooks.announcing(
            .configUpdated,
            tenant: tenant,
            data: { tenant, _ in ConfigurationUpdated(contentVersion: tenant.contentVersion, section: section?.rawValue)
            },
            during: change
        )
    }

    static func etag(_ contentVersion: UInt64) -> String {
        "\"\(contentVersion)\""
    }

    /// The content version an `If-Match` header names; `nil` without the header or for `*`
    /// (any current version matches).
    static func ifMatch(_ request: Request) throws -> UInt64? {
        guard let value = request.headers[.ifMatch] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return nil }
        guard trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") else {
            throw AdminProblem.badRequest("If-Match must be an entity tag such as \"42\" or *")
        }
        // A well-formed tag this API never issued cannot be the current version.
        return UInt64(trimmed.dropFirst().dropLast()) ?? UInt64.max
    }

    static func configurationKey(_ context: AdminRequestContext) throws -> ConfigurationKey {
        guard let name = context.parameters.get("key"), let key = ConfigurationKey(rawValue: name) else {
            throw AdminProblem.notFound(
                "no such configuration section; sections are \(ConfigurationKey.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return key
    }
}
