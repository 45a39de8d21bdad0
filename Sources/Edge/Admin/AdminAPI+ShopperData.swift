import Foundation
import HTTPTypes
import Hummingbird
import TenantStore

/// `/api/tenants/{id}/orders` and `/api/tenants/{id}/leads`: what shoppers sent the tenant,
/// newest first, paged with `limit` and `cursor`.
extension AdminAPI {
    func registerShopperDataRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/orders") { request, context in
            let id = try Self.tenantID(context, .read)
            let (limit, cursor) = try Self.paging(request)
            _ = try await self.data.tenants.tenant(id)
            let page = try await self.data.orders.orders(tenant: id, limit: limit, after: cursor)
            return try Self.json(AdminPage(items: page.items, nextCursor: page.nextCursor))
        }
        api.get("tenants/:id/leads") { request, context in
            let id = try Self.tenantID(context, .read)
            let (limit, cursor) = try Self.paging(request)
            _ = try await self.data.tenants.tenant(id)
            let page = try await self.data.leads.leads(tenant: id, limit: limit, after: cursor)
            return try Self.json(AdminPage(items: page.items, nextCursor: page.nextCursor))
        }
    }
}
