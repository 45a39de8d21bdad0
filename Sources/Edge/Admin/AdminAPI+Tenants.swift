import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TenantStore

/// `/api/tenants`: create (with the first API key, shown once), list, read, update, delete.
extension AdminAPI {
    struct CreateTenant: Decodable, Sendable {
        var companyName: String
        var subdomain: String
        var customDomains: [String]?
    }

    struct CreatedTenant: Encodable, Sendable {
        var tenant: Tenant
        /// The tenant's first API key; it is never shown again.
        var apiKey: String
    }

    func registerTenantRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.post("tenants") { request, context in
            try context.requirePrincipal().requirePlatformAdmin()
            let body = try await Self.decode(CreateTenant.self, from: request, context: context)
            let created = try await self.createTenant(body)
            return try Self.json(
                created,
                status: .created,
                headers: [.location: "/api/tenants/\(created.tenant.id.uuidString.lowercased())"]
            )
        }
        api.get("tenants") { request, context in
            let principal = try context.requirePrincipal()
            let (limit, cursor) = try Self.paging(request)
            if let tenant = principal.tenant {
                // A tenant-scoped caller sees exactly its own tenant, and nothing once it is deleted.
                let own = try await self.data.tenants.tenant(tenant, includeDeleted: true)
                return try Self.json(AdminPage(items: own.status == .deleted ? [] : [own], nextCursor: nil))
            }
            let page = try await self.data.tenants.list(limit: limit, after: cursor)
            return try Self.json(AdminPage(items: page.items, nextCursor: page.nextCursor))
        }
        api.get("tenants/:id") { _, context in
            let id = try Self.tenantID(context, .read)
            return try Self.json(try await self.data.tenants.tenant(id))
        }
        api.put("tenants/:id") { request, context in
            let id = try Self.tenantID(context, .write)
            let update = try await Self.decode(TenantUpdate.self, from: request, context: context)
            if update.status != nil {
                try context.requirePrincipal().requirePlatformAdmin()
            }
            let tenant =
                if update.status == .suspended {
                    try await self.webhooks.announcing(.tenantSuspended, tenant: id) {
                        try await self.data.tenants.update(id, update)
                    }
                } else {
                    try await self.data.tenants.update(id, update)
                }
            return try Self.json(tenant)
        }
        api.delete("tenants/:id") { _, context in
            try context.requirePrincipal().requirePlatformAdmin()
            let id = try Self.tenantID(context, .write)
            return try Self.json(try await self.deleteTenant(id))
        }
    }

    /// Creates a tenant, announced as `tenant.created`, and its first API key.
    func createTenant(_ body: CreateTenant) async throws -> CreatedTenant {
        let tenant = try await self.webhooks.announcing(.tenantCreated, tenant: nil) {
            try await self.data.tenants.create(
                companyName: body.companyName,
                subdomain: body.subdomain,
                customDomains: body.customDomains ?? []
            )
        }
        let key = try await self.data.apiKeys.create(name: "initial", tenant: tenant.id)
        return CreatedTenant(tenant: tenant, apiKey: key.plaintext)
    }

    /// Deletes a tenant, announced as `tenant.deleted` to its own webhooks too, then deletes
    /// those webhooks (their deliveries of the event keep their destination).
    func deleteTenant(_ id: UUID) async throws -> Tenant {
        let deleted = try await self.webhooks.announcing(.tenantDeleted, tenant: id) {
            try await self.data.tenants.delete(id)
        }
        try await self.webhooks.deleteRegistrations(tenant: id)
        return deleted
    }
}
