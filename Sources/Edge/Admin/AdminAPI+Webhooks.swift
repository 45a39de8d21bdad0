import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TenantStore

/// `/api/webhooks` (the platform's, every tenant's events; platform admins) and
/// `/api/tenants/{id}/webhooks` (one tenant's): register, list, delete, and see deliveries.
extension AdminAPI {
    struct RegisterWebhook: Decodable, Sendable {
        var url: String
        var events: [String]
        /// At least 16 characters; generated (and shown once) when absent.
        var secret: String?
    }

    /// A webhook as registration answers it: with the secret when it was generated here.
    struct CreatedWebhook: Encodable, Sendable {
        var id: UUID
        var tenantId: UUID?
        var url: String
        var events: [WebhookEvent]
        var createdAt: Date
        /// The generated signing secret; it is never shown again.
        var secret: String?
    }

    func registerWebhookRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.post("webhooks") { request, context in
            try context.requirePrincipal().requirePlatformAdmin()
            return try await self.registerWebhook(request, context: context, tenant: nil)
        }
        api.get("webhooks") { _, context in
            try context.requirePrincipal().requirePlatformAdmin()
            let items = try await self.webhooks.webhooks(tenant: nil).map(\.summary)
            return try Self.json(AdminPage(items: items, nextCursor: nil))
        }
        api.delete("webhooks/:webhookId") { _, context in
            try context.requirePrincipal().requirePlatformAdmin()
            try await self.webhooks.delete(try await self.webhook(context, tenant: nil))
            return Response(status: .noContent)
        }
        api.get("webhooks/:webhookId/deliveries") { _, context in
            try context.requirePrincipal().requirePlatformAdmin()
            let deliveries = try await self.webhooks.deliveries(of: try await self.webhook(context, tenant: nil))
            return try Self.json(AdminPage(items: deliveries, nextCursor: nil))
        }
        api.post("tenants/:id/webhooks") { request, context in
            let id = try Self.tenantID(context, .write)
            _ = try await self.data.tenants.tenant(id)
            return try await self.registerWebhook(request, context: context, tenant: id)
        }
        api.get("tenants/:id/webhooks") { _, context in
            let id = try Self.tenantID(context, .read)
            let items = try await self.webhooks.webhooks(tenant: id).map(\.summary)
            return try Self.json(AdminPage(items: items, nextCursor: nil))
        }
        api.delete("tenants/:id/webhooks/:webhookId") { _, context in
            let id = try Self.tenantID(context, .write)
            try await self.webhooks.delete(try await self.webhook(context, tenant: id))
            return Response(status: .noContent)
        }
        api.get("tenants/:id/webhooks/:webhookId/deliveries") { _, context in
            let id = try Self.tenantID(context, .read)
            let deliveries = try await self.webhooks.deliveries(of: try await self.webhook(context, tenant: id))
            return try Self.json(AdminPage(items: deliveries, nextCursor: nil))
        }
    }

    private func registerWebhook(
        _ request: Request,
        context: AdminRequestContext,
        tenant: UUID?
    ) async throws -> Response {
        let body = try await Self.decode(RegisterWebhook.self, from: request, context: context)
        let events = try Self.validate(body, allowPrivateNetworks: self.webhooks.configuration.allowPrivateNetworks)
        let (webhook, generated) = try await self.webhooks.register(
            url: body.url,
            events: events,
            secret: body.secret,
            tenant: tenant
        )
        let created = CreatedWebhook(
            id: webhook.id,
            tenantId: webhook.tenantId,
            url: webhook.url,
            events: webhook.events,
            createdAt: webhook.createdAt,
            secret: generated
        )
        let location =
            (tenant.map { "/api/tenants/\($0.uuidString.lowercased())" } ?? "/api")
            + "/webhooks/\(webhook.id.uuidString.lowercased())"
        return try Self.json(created, status: .created, headers: [.location: location])
    }

    /// The `{webhookId}` of the path, when it belongs to `tenant` (`nil`: the platform).
    private func webhook(_ context: AdminRequestContext, tenant: UUID?) async throws -> Webhook {
        guard let id = context.parameters.get("webhookId").flatMap(UUID.init(uuidString:)),
            let webhook = try await self.webhooks.webhook(id, tenant: tenant)
        else { throw AdminProblem.notFound("no such webhook") }
        return webhook
    }

    /// The registration's events, once its URL, events and secret are acceptable.
    static func validate(_ body: RegisterWebhook, allowPrivateNetworks: Bool) throws -> [WebhookEvent] {
        var problems: [ValidationProblem] = []
        if body.url.utf8.count > 2048 {
            problems.append(ValidationProblem(pointer: "/url", message: "must be at most 2048 bytes"))
        } else if let destination = WebhookDispatcher.Destination(url: body.url) {
            if let refusal = destination.refusal, !allowPrivateNetworks {
                problems.append(
                    ValidationProblem(pointer: "/url", message: "must be a public receiver: \(refusal)")
                )
            }
        } else {
            problems.append(ValidationProblem(pointer: "/url", message: "must be an absolute http or https URL"))
        }
        if body.events.isEmpty {
            problems.append(ValidationProblem(pointer: "/events", message: "must name at least one event"))
        }
        var events: [WebhookEvent] = []
        for (index, name) in body.events.enumerated() {
            guard let event = WebhookEvent(rawValue: name) else {
                problems.append(
                    ValidationProblem(
                        pointer: "/events/\(index)",
                        message:
                            "unknown event; events are \(WebhookEvent.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
                continue
            }
            if !events.contains(event) { events.append(event) }
        }
        if let secret = body.secret, !(16...256).contains(secret.count) {
            problems.append(ValidationProblem(pointer: "/secret", message: "must be 16 to 256 characters"))
        }
        guard problems.isEmpty else { throw AdminProblem.unprocessable("the webhook is invalid", errors: problems) }
        return events
    }
}
