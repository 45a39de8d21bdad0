import Foundation

/// A lifecycle event that webhooks ("billing integration hooks") subscribe to.
public enum WebhookEvent: String, Sendable, Hashable, Codable, CaseIterable {
    case tenantCreated = "tenant.created"
    case tenantSuspended = "tenant.suspended"
    case tenantDeleted = "tenant.deleted"
    case configUpdated = "config.updated"
    case orderCreated = "order.created"
}

/// A registered webhook, as stored under `edge/webhooks/<platform | tenant id>/<id>`: the
/// platform's (every tenant's events) or one tenant's. The secret is sealed with the store's ``SecretBox``.
struct Webhook: Sendable, Hashable, Codable {
    var id: UUID
    /// `nil` for a platform-wide webhook.
    var tenantId: UUID?
    var url: String
    var events: [WebhookEvent]
    /// The signing secret, sealed for the context ``sealingContext``.
    var sealedSecret: Data
    var createdAt: Date

    var sealingContext: String { Self.sealingContext(self.id) }

    static func sealingContext(_ id: UUID) -> String { "webhook secret \(id.uuidString.lowercased())" }

    /// What the API shows: everything but the secret.
    var summary: Summary {
        Summary(id: self.id, tenantId: self.tenantId, url: self.url, events: self.events, createdAt: self.createdAt)
    }

    struct Summary: Sendable, Hashable, Codable {
        var id: UUID
        var tenantId: UUID?
        var url: String
        var events: [WebhookEvent]
        var createdAt: Date
    }
}

/// One event's delivery to one webhook, stored before the first attempt under
/// `edge/webhook-deliveries/<webhook id>/<delivery id>`, so a restart resumes it.
struct WebhookDelivery: Sendable, Hashable, Codable {
    enum Status: String, Sendable, Hashable, Codable {
        case pending
        case succeeded
        case failed
    }

    var id: UUID
    var webhookId: UUID
    var tenantId: UUID?
    var event: WebhookEvent
    /// The exact JSON body every attempt sends, so retries carry identical bytes.
    var payload: String
    var status: Status
    var attempts: Int
    var lastStatusCode: Int?
    var lastError: String?
    /// When the next attempt is due; `nil` once the delivery succeeded or gave up.
    var nextAttemptAt: Date?
    var createdAt: Date
    var updatedAt: Date
}
