import Foundation
import HTTPTypes
import Hummingbird
import TenantStore

/// `GET /api/audit?tenant=…`: the audit log, newest first. Platform admins read any tenant's
/// events, or the platform-level ones without `tenant`; a tenant-scoped caller reads its own
/// tenant's, which is also what it gets without `tenant`.
extension AdminAPI {
    func registerAuditRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("audit") { request, context in
            let principal = try context.requirePrincipal()
            let (limit, cursor) = try Self.paging(request)
            let tenant: UUID?
            if let text = request.uri.queryParameters["tenant"] {
                guard let id = UUID(uuidString: String(text)) else {
                    throw AdminProblem.badRequest(
                        "tenant must be a tenant id",
                        errors: [ValidationProblem(pointer: "/tenant", message: "must be a UUID")]
                    )
                }
                try principal.authorize(tenant: id, .read)
                tenant = id
            } else {
                tenant = principal.tenant
            }
            // No existence check: a deleted tenant's events outlive it, and reading them is the point.
            let page = try await self.data.audit.events(tenant: tenant, limit: limit, after: cursor)
            return try Self.json(AdminPage(items: page.items, nextCursor: page.nextCursor))
        }
    }
}
