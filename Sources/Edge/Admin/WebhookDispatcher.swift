import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization
public import TenantStore

/// Registers webhooks and delivers events to them: signed, retried with backoff, and stored
/// before the first attempt so that a restart resumes what was pending (``resumePending()``).
///
/// A delivery is a `POST` of `{"event", "tenantId", "time", "data"}` (JSON) with the headers
/// `Webhook-Id` (the delivery's `id`, the same on every attempt, for receivers to deduplicate) and
/// `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the scheme
/// Stripe made familiar: the timestamp inside the MAC lets receivers refuse replays. A `2xx`
/// answer is success; anything else, or no answer within the timeout, is retried after the
/// delays of ``Configuration/retryDelays`` and then given up (`failed`). A receiver whose address
/// is not public is refused without an attempt unless ``Configuration/allowPrivateNetworks``
/// (see `WebhookDispatcher+Destinations.swift`).
///
/// Webhooks are stored per scope, `edge/webhooks/<platform | tenant id>/<id>`, so an event reads
/// only the platform's and its own tenant's. Finished deliveries and their records are removed
/// by ``pruneHistory(now:)`` after ``Configuration/deliveryRetention``.
///
/// Thread-safe; every delivery runs in its own task.
public final class WebhookDispatcher: Sendable {
    /// Retry schedule and timeouts.
    public struct Configuration: Sendable {
        /// The pause before each retry; a delivery makes `retryDelays.count + 1` attempts.
        public var retryDelays: [Duration]
        /// How long one attempt may take.
        public var timeout: Duration
        /// Whether receivers on loopback, private, link-local and other non-public addresses
        /// are allowed: for receivers inside the operator's own network, and for tests.
        public var allowPrivateNetworks: Bool
        /// How long a finished delivery stays visible before ``pruneHistory(now:)`` removes it.
        public var deliveryRetention: Duration
        /// Resolves a receiver's host name to the addresses an attempt may connect to, as text.
        var resolve: @Sendable (_ host: String) async -> [String]

        /// Six attempts over about half a minute: 1 s, 2 s, 4 s, 8 s, 16 s apart; public
        /// receivers only; finished deliveries kept for a week.
        public init(
            retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)],
            timeout: Duration = .seconds(10),
            allowPrivateNetworks: Bool = false,
            deliveryRetention: Duration = .seconds(7 * 24 * 3600)
        ) {
            self.retryDelays = retryDelays
            self.timeout = timeout
            self.allowPrivateNetworks = allowPrivateNetworks
            self.deliveryRetention = deliveryRetention
            self.resolve = WebhookDispatcher.systemResolve
        }
    }

    static let webhookPrefix = "edge/webhooks/"
    /// One key per scope that has had a webhook, rewritten by every registration to it.
    static let scopeMarkerPrefix = "edge/webhook-scopes/"
    static let deliveryPrefix = "edge/webhook-deliveries/"
    /// One key per delivery still to attempt, so a restart finds them without reading every delivery.
    static let pendingPrefix = "edge/webhook-pending/"
    /// The most webhooks the platform, or one tenant, may register.
    static let maximumWebhooksPerScope = 20
    /// Registrations that lost a race for their scope count again this often before giving up.
    static let registrationAttempts = 16

    let store: any KeyValueStore
    let secrets: SecretBox?
    let configuration: Configuration
    let logger: Logger
    /// Deliveries with a running task, so a resume does not start a second one.
    private let inFlight = Mutex<Set<UUID>>([])

    /// - Parameters:
    ///   - store: where webhooks and deliveries are kept (under `edge/webhook…`).
    ///   - secrets: seals webhook secrets at rest; without it registering a webhook fails.
    public init(
        store: any KeyValueStore,
        secrets: SecretBox?,
        configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.store = store
        self.secrets = secrets
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: - Webhooks

    /// Stores a webhook; returns it with the secret it generated when `secret` was `nil`.
    func register(
        url: String,
        events: [WebhookEvent],
        secret: String?,
        tenant: UUID?
    ) async throws -> (webhook: Webhook, generatedSecret: String?) {
        guard let secrets = self.secrets else {
            throw AdminProblem(
                status: .serviceUnavailable,
                detail: "no secret key is configured, so webhook secrets cannot be stored"
            )
        }
        let generated = secret == nil ? Self.generateSecret() : nil
        var webhook = Webhook(
            id: UUID(),
            tenantId: tenant,
            url: url,
            events: events,
            sealedSecret: Data(),
            createdAt: Date()
        )
        webhook.sealedSecret = Data(
            try secrets.seal(Array((secret ?? generated ?? "").utf8), context: webhook.sealingContext)
        )
        // Every registration rewrites its scope's marker on the condition that it is still the
        // version read before counting, so two registrations racing for the last place cannot
        // both take it: the loser counts again.
        for _ in 0..<Self.registrationAttempts {
            let unchanged = try await self.scopeUnchanged(tenant)
            guard try await self.webhooks(tenant: tenant).count < Self.maximumWebhooksPerScope else {
                throw AdminProblem.conflict("at most \(Self.maximumWebhooksPerScope) webhooks may be registered here")
            }
            var batch = WriteBatch()
            batch.require(unchanged.marker, unchanged.condition)
            batch.put(unchanged.marker, [])
            batch.put(Self.webhookKey(webhook), try EdgeRecordCodec.encode(webhook))
            do {
                try await self.store.batch(batch)
                return (webhook, generated)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                continue
            }
        }
        throw AdminProblem.conflict("webhooks are being registered here concurrently; try again")
    }

    /// The platform's webhooks (`tenant == nil`) or one tenant's, oldest first.
    func webhooks(tenant: UUID?) async throws -> [Webhook] {
        try await EdgeRecordCodec.all(Webhook.self, prefix: Self.scopePrefix(tenant), in: self.store)
            .sorted { $0.createdAt < $1.createdAt }
    }

    /// The webhook `id` if it belongs to `tenant` (`nil`: the platform), else `nil`.
    func webhook(_ id: UUID, tenant: UUID?) async throws -> Webhook? {
        let key = Self.scopePrefix(tenant) + id.uuidString.lowercased()
        guard let stored = try await self.store.get(key) else { return nil }
        return try EdgeRecordCodec.decode(Webhook.self, from: stored.bytes, key: key)
    }

    /// Deletes a webhook with its deliveries; pending ones stop before their next attempt.
    func delete(_ webhook: Webhook) async throws {
        var batch = WriteBatch()
        batch.delete(Self.webhookKey(webhook))
        // Rewriting the scope's marker makes a change that read this webhook as a subscriber
        // read its subscribers again, so no delivery is stored after the webhook's are deleted.
        batch.put(Self.scopeMarkerKey(webhook.tenantId), [])
        let prefix = Self.deliveryPrefix + webhook.id.uuidString.lowercased() + "/"
        try await EdgeRecordCodec.forEachPage(under: prefix, in: self.store) { entries in
            for entry in entries {
                batch.delete(entry.key)
                batch.delete(Self.pendingPrefix + entry.key.dropFirst(prefix.count))
            }
        }
        try await self.store.batch(batch)
    }

    /// Deletes a deleted tenant's webhooks. Their deliveries stay until they finish and age out,
    /// so the `tenant.deleted` event still reaches the tenant's own receivers.
    func deleteRegistrations(tenant: UUID) async throws {
        var batch = WriteBatch()
        batch.delete(Self.scopeMarkerKey(tenant))
        for webhook in try await self.webhooks(tenant: tenant) {
            batch.delete(Self.webhookKey(webhook))
        }
        try await self.store.batch(batch)
    }

    /// Removes deliveries that finished longer than ``Configuration/deliveryRetention`` before
    /// `now`; returns how many. Pending deliveries are kept however old.
    @discardableResult
    func pruneHistory(now: Date = Date()) async throws -> Int {
        let cutoff = now.addingTimeInterval(-self.configuration.deliveryRetention.timeInterval)
        return try await EdgeRecordCodec.deleteAll(WebhookDelivery.self, prefix: Self.deliveryPrefix, in: self.store) {
            $0.status != .pending && $0.updatedAt < cutoff
        }
    }

    /// The webhook's deliveries, newest first.
    func deliveries(of webhook: Webhook) async throws -> [WebhookDelivery] {
        try await EdgeRecordCodec.all(
            WebhookDelivery.self,
            prefix: Self.deliveryPrefix + webhook.id.uuidString.lowercased() + "/",
            in: self.store
        ).sorted { $0.createdAt > $1.createdAt }
    }

    // MARK: - Events

    /// Runs `change` so that one delivery of `event` per subscribed webhook (the platform's, and
    /// `tenant`'s unless it is `nil`, as for a tenant that does not exist yet) is stored in the
    /// same batch as the change, then starts sending them. The event names the tenant the change
    /// left.
    ///
    /// `data` builds the event's `data` (by default the tenant) from the tenant as the change
    /// leaves it and from what the change's store mutation returned (see ``ChangeCompanion``);
    /// the change must be made in this dispatcher's store. A change that commits is announced
    /// even when something after its commit fails; one that never commits is not; a crash after
    /// the commit leaves the deliveries pending for ``resumePending()``.
    func announcing<Result>(
        _ event: WebhookEvent,
        tenant: UUID?,
        data: @escaping @Sendable (_ tenant: Tenant, _ result: Any) throws -> any Encodable & Sendable = { tenant, _ in
            tenant
        },
        during change: () async throws -> Result
    ) async throws -> Result {
        let scopes = tenant.map { [nil, $0] } ?? [nil]
        let announced = AnnouncedDeliveries()
        let companion = ChangeCompanion { changed, result in
            // Subscribers are read as the change commits, and the batch requires that no
            // registration in their scopes commits first (each rewrites its scope's marker): a
            // webhook registered while the change is made is committed either before the change,
            // and announced, or after it.
            var records = WriteBatch()
            var deliveries: [PendingDelivery] = []
            for scope in scopes {
                let unchanged = try await self.scopeUnchanged(scope)
                records.require(unchanged.marker, unchanged.condition)
                deliveries += try await self.webhooks(tenant: scope).filter { $0.events.contains(event) }
                    .map { PendingDelivery(id: UUID(), to: $0) }
            }
            announced.latest.withLock { $0 = deliveries }
            guard !deliveries.isEmpty else { return records }
            let now = Date()
            let payload = try Self.payload(event, tenant: changed.id, time: now, data: try data(changed, result))
            for pending in deliveries {
                let delivery = WebhookDelivery(
                    id: pending.id,
                    webhookId: pending.webhookId,
                    tenantId: changed.id,
                    event: event,
                    payload: payload,
                    status: .pending,
                    attempts: 0,
                    nextAttemptAt: now,
                    createdAt: now,
                    updatedAt: now
                )
                records.put(Self.deliveryKey(delivery), try EdgeRecordCodec.encode(delivery))
                records.put(Self.pendingKey(pending.id), try EdgeRecordCodec.encode(pending))
            }
            return records
        }
        defer {
            if !companion.close() {
                announced.latest.withLock { $0 }.forEach(self.start)
            }
        }
        return try await companion.accompanying(change)
    }

    private static func payload(
        _ event: WebhookEvent,
        tenant: UUID,
        time: Date,
        data: some Encodable & Sendable
    ) throws -> String {
        let envelope = Envelope(event: event, tenantId: tenant, time: time, data: data)
        return String(decoding: try AdminAPI.encoder.jsonText(envelope), as: UTF8.self)
    }

    /// Starts sending every delivery a previous process left pending; call once at start.
    public func resumePending() async throws {
        for pending in try await EdgeRecordCodec.all(PendingDelivery.self, prefix: Self.pendingPrefix, in: self.store) {
            self.start(pending)
        }
    }

    // MARK: - Delivery

    /// What the pending index records: the delivery, and where and with which secret it goes,
    /// copied from the webhook so that deleting the tenant's registrations does not stop the
    /// deliveries already made (deleting the webhook itself deletes them).
    struct PendingDelivery: Sendable, Codable {
        var id: UUID
        var webhookId: UUID
        var url: String
        /// The webhook's sealed secret, for ``Webhook/sealingContext``.
        var sealedSecret: Data

        init(id: UUID, to webhook: Webhook) {
            self.id = id
            self.webhookId = webhook.id
            self.url = webhook.url
            self.sealedSecret = webhook.sealedSecret
        }

        var sealingContext: String { Webhook.sealingContext(self.webhookId) }
    }

    /// The deliveries of the last batch that took an announcement's companion.
    private final class AnnouncedDeliveries: Sendable {
        let latest = Mutex<[PendingDelivery]>([])
    }

    private struct Envelope<Payload: Encodable>: Encodable {
        var event: WebhookEvent
        var tenantId: UUID?
        var time: Date
        var data: Payload
    }

    private func start(_ pending: PendingDelivery) {
        guard self.inFlight.withLock({ $0.insert(pending.id).inserted }) else { return }
        Task {
            defer { _ = self.inFlight.withLock { $0.remove(pending.id) } }
            do {
                try await self.deliver(pending)
            } catch {
                // The delivery stays pending in the store; the next start resumes it.
                self.logger.error(
                    "webhook delivery interrupted",
                    metadata: ["webhook.delivery.id": "\(pending.id)", "error.message": "\(error)"]
                )
            }
        }
    }

    /// Attempts the delivery until it succeeds or runs out of attempts, storing it after each.
    private func deliver(_ pending: PendingDelivery) async throws {
        let key =
            Self.deliveryPrefix + pending.webhookId.uuidString.lowercased() + "/"
            + pending.id.uuidString.lowercased()
        while true {
            guard let stored = try await self.store.get(key) else {
                // The webhook was deleted with its deliveries.
                try await self.store.delete(Self.pendingKey(pending.id))
                return
            }
            var delivery = try EdgeRecordCodec.decode(WebhookDelivery.self, from: stored.bytes, key: key)
            guard delivery.status == .pending else {
                try await self.store.delete(Self.pendingKey(pending.id))
                return
            }
            if let due = delivery.nextAttemptAt, due > Date() {
                // Nothing cancels delivery tasks: a thrown cancellation could only end the pause early.
                try? await Task.sleep(for: .milliseconds(Int(due.timeIntervalSinceNow * 1000)))
            }
            let outcome = await self.attempt(delivery, as: pending)
            delivery.attempts += 1
            delivery.updatedAt = Date()
            delivery.lastStatusCode = outcome.statusCode
            delivery.lastError = outcome.error
            var batch = WriteBatch()
            if outcome.succeeded {
                delivery.status = .succeeded
                delivery.nextAttemptAt = nil
                delivery.lastError = nil
            } else if outcome.final || delivery.attempts > self.configuration.retryDelays.count {
                delivery.status = .failed
                delivery.nextAttemptAt = nil
            } else {
                let delay = self.configuration.retryDelays[delivery.attempts - 1]
                delivery.nextAttemptAt = Date().addingTimeInterval(delay.timeInterval)
            }
            // Only over the record read before the attempt: deleting the webhook during the
            // attempt deleted it, and the next turn of the loop sees that.
            batch.require(key, .version(stored.version))
            batch.put(key, try EdgeRecordCodec.encode(delivery))
            if delivery.status != .pending {
                batch.delete(Self.pendingKey(delivery.id))
            }
            do {
                try await self.store.batch(batch)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                continue
            }
            guard delivery.status == .pending else {
                self.logger.info(
                    "webhook delivery finished",
                    metadata: [
                        "webhook.delivery.id": "\(delivery.id)",
                        "webhook.delivery.status": "\(delivery.status.rawValue)",
                        "webhook.delivery.attempts": "\(delivery.attempts)",
                    ]
                )
                return
            }
        }
    }

    private struct Outcome {
        var succeeded: Bool
        var statusCode: Int?
        var error: String?
        /// No later attempt can do better: the delivery fails now.
        var final = false
        /// No connection was made, so nothing was sent.
        var unreachable = false
    }

    private func attempt(_ delivery: WebhookDelivery, as pending: PendingDelivery) async -> Outcome {
        let secret: [UInt8]
        do {
            guard let secrets = self.secrets else {
                return Outcome(succeeded: false, error: "no secret key is configured to open the webhook secret")
            }
            secret = try secrets.open(Array(pending.sealedSecret), context: pending.sealingContext)
        } catch {
            return Outcome(succeeded: false, error: "the webhook secret does not open: \(error)")
        }
        guard let destination = Destination(url: pending.url) else {
            return Outcome(succeeded: false, error: "\(pending.url) is not an http or https URL", final: true)
        }
        let addresses: [String]
        switch await self.connection(to: destination) {
        case .pinned(let pinned): addresses = pinned
        case .refused(let reason): return Outcome(succeeded: false, error: "refused: \(reason)", final: true)
        case .unresolved(let reason): return Outcome(succeeded: false, error: reason)
        }
        // The next address only when this one could not be reached: once connected, the
        // receiver may have the request, and only a later attempt may send it again.
        var unreachable: [String] = []
        for address in addresses {
            let client = self.pinnedClient(host: destination.host, address: address)
            let outcome = await self.send(delivery, secret: secret, url: pending.url, with: client)
            try? await client.shutdown()
            guard outcome.unreachable else { return outcome }
            unreachable.append("\(address): \(outcome.error ?? "unreachable")")
        }
        return Outcome(
            succeeded: false,
            error: "no address of \(destination.host) answered (\(unreachable.joined(separator: "; ")))"
        )
    }

    private func send(
        _ delivery: WebhookDelivery,
        secret: [UInt8],
        url: String,
        with client: HTTPClient
    ) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "storefront-edge-webhooks")
        request.headers.add(name: "Webhook-Id", value: delivery.id.uuidString)
        request.headers.add(
            name: "Webhook-Signature",
            value: Self.signature(payload: delivery.payload, secret: secret, time: Date())
        )
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        do {
            let response = try await client.execute(
                request,
                timeout: .nanoseconds(Int64(self.configuration.timeout.timeInterval * 1e9))
            )
            // Drained so the connection can be reused; receivers have no say beyond their status.
            _ = try await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            return Outcome(
                succeeded: (200..<300).contains(code),
                statusCode: code,
                error: (200..<300).contains(code) ? nil : "the receiver answered \(code)"
            )
        } catch {
            return Outcome(succeeded: false, error: "\(error)", unreachable: Self.isConnectionFailure(error))
        }
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.
    static func signature(payload: String, secret: [UInt8], time: Date) -> String {
        let timestamp = Int(time.timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(timestamp).\(payload)".utf8),
            using: SymmetricKey(data: secret)
        )
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    private static func generateSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// The condition that no registration or deletion in `tenant`'s scope (`nil`: the
    /// platform's) commits before the batch that requires it: its marker as it is now.
    private func scopeUnchanged(_ tenant: UUID?) async throws -> (marker: String, condition: WritePrecondition) {
        let marker = Self.scopeMarkerKey(tenant)
        return (marker, try await self.store.get(marker).map { .version($0.version) } ?? .absent)
    }

    /// `edge/webhooks/platform/` or `edge/webhooks/<tenant id>/`.
    private static func scopePrefix(_ tenant: UUID?) -> String {
        Self.webhookPrefix + Self.scopeName(tenant) + "/"
    }

    private static func scopeMarkerKey(_ tenant: UUID?) -> String {
        Self.scopeMarkerPrefix + Self.scopeName(tenant)
    }

    private static func scopeName(_ tenant: UUID?) -> String {
        tenant?.uuidString.lowercased() ?? "platform"
    }

    private static func webhookKey(_ webhook: Webhook) -> String {
        Self.scopePrefix(webhook.tenantId) + webhook.id.uuidString.lowercased()
    }

    private static func deliveryKey(_ delivery: WebhookDelivery) -> String {
        Self.deliveryPrefix + delivery.webhookId.uuidString.lowercased() + "/" + delivery.id.uuidString.lowercased()
    }

    private static func pendingKey(_ id: UUID) -> String {
        Self.pendingPrefix + id.uuidString.lowercased()
    }
}
