import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Render
import TenantStore

/// `/api/tenants/{id}/draft`: a design draft (configuration document and template) kept beside
/// the live ones; shoppers see nothing of it until `POST /api/provision/deploy` publishes it.
extension AdminAPI {
    struct DraftTemplate: Decodable, Sendable {
        /// A saved template or a built-in theme.
        var name: String
    }

    func registerDraftRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/draft") { _, context in
            let id = try Self.tenantID(context, .read)
            guard let draft = try await self.data.drafts.draft(tenant: id) else {
                throw AdminProblem.notFound("the tenant has no draft")
            }
            return try Self.json(draft)
        }
        api.put("tenants/:id/draft/config") { request, context in
            let id = try Self.tenantID(context, .write)
            let document = try await Self.decode(JSONValue.self, from: request, context: context)
            return try Self.json(try await self.data.drafts.setConfiguration(document, tenant: id))
        }
        api.put("tenants/:id/draft/template") { request, context in
            let id = try Self.tenantID(context, .write)
            let body = try await Self.decode(DraftTemplate.self, from: request, context: context)
            let saved = try await self.data.templates.list(tenant: id).contains { $0.name == body.name }
            guard saved || self.storefront.themes.theme(named: body.name) != nil else {
                throw AdminProblem.unprocessable(
                    "no such template",
                    errors: [
                        ValidationProblem(
                            pointer: "/name",
                            message: "neither a saved template nor a built-in theme is named '\(body.name)'"
                        )
                    ]
                )
            }
            return try Self.json(try await self.data.drafts.setTemplate(body.name, tenant: id))
        }
        api.delete("tenants/:id/draft") { _, context in
            let id = try Self.tenantID(context, .write)
            try await self.data.drafts.discard(tenant: id)
            return Response(status: .noContent)
        }
    }
}
