import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import TenantStore
import Testing

@testable import Edge

/// Webhooks delivered to a real HTTP receiver on 127.0.0.1: signatures, retries, status, restarts.
@Suite struct AdminWebhookTests {
    typealias Harness = AdminProvisioningHarness

    /// Retries 50 ms apart, so a test sees several attempts in well under a second; receivers
    /// on loopback allowed.
    static let fastRetries = WebhookDispatcher.Configuration(
        retryDelays: Array(repeating: .milliseconds(50), count: 5),
        timeout: .seconds(5),
        allowPrivateNetworks: true
    )

    /// ``fastRetries`` with every host name resolving to `addresses` (by default 127.0.0.1), as a
    /// DNS answer pointing a public-looking name at this machine would.
    static func resolvingToLoopback(
        allowPrivateNetworks: Bool,
        addresses: [String] = ["127.0.0.1"]
    ) -> WebhookDispatcher.Configuration {
        var configuration = Self.fastRetries
        configuration.allowPrivateNetworks = allowPrivateNetworks
        configuration.resolve = { _ in addresses }
        return configuration
    }

    /// What the receiver was sent.
    struct Received: Sendable {
        var headers: HTTPFields
        /// The `Host` the request named.
        var authority: String?
        var body: String
        var json: JSONValue { (try? JSONValue(parsing: Data(self.body.utf8))) ?? nil }
    }

    /// Records every request and answers `500` to the first `failures` of them, `204` after.
    actor Receiver {
        private(set) var received: [Received] = []
        private var failures: Int

        init(failures: Int) {
            self.failures = failures
        }

        func record(_ request: Received) -> HTTPResponse.Status {
            self.received.append(request)
            guard self.failures > 0 else { return .noContent }
            self.failures -= 1
            return .internalServerError
        }

        /// The requests once there are at least `count` of them.
        func waitFor(_ count: Int) async throws -> [Received] {
            for _ in 0..<500 where self.received.count < count {
                try await Task.sleep(for: .milliseconds(20))
            }
            return self.received
        }
    }

    /// Runs `body` with a live receiver at `http://127.0.0.1:<port>/hook`.
    func withReceiver<Result: Sendable>(
        failures: Int = 0,
        _ body: @Sendable (Receiver, String) async throws -> Result
    ) async throws -> Result {
        let receiver = Receiver(failures: failures)
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = await receiver.record(
                Received(headers: request.headers, authority: request.head.authority, body: String(buffer: bytes))
            )
            return Response(status: status)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body(receiver, "http://127.0.0.1:\(port)/hook")
        }
    }

    /// Checks `Webhook-Signature` against `secret`, the way a receiver would.
    static func verify(_ request: Received, secret: String) -> Bool {
        guard let header = request.headers[HTTPField.Name("Webhook-Signature")!] else { return false }
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let timestamp = fields["t"], let signature = fields["v1"],
            let seconds = TimeInterval(timestamp), abs(Date().timeIntervalSince1970 - seconds) < 300
        else { return false }
        let expected = HMAC<SHA256>.authenticationCode(
            for: Array("\(timestamp).\(request.body)".utf8),
            using: SymmetricKey(data: Array(secret.utf8))
        )
        return expected.map { String(format: "%02x", $0) }.joined() == signature
    }

    @Test func deliveryIsSignedAndRetriedUntilTheReceiverAccepts() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let tenant = try await harness.tenant("hooked")
            let admin = try await harness.token(.tenantAdmin, tenant: tenant.id)
            let secret = "a-very-secret-webhook-key"
            try await self.withReceiver(failures: 1) { receiver, url in
                try await harness.test { client in
                    let base = "/api/tenants/\(tenant.id)"
                    let registered = try await Harness.call(
                        client,
                        .post,
                        "\(base)/webhooks",
                        token: admin,
                        json: #"{"url":"\#(url)","events":["config.updated"],"secret":"\#(secret)"}"#
                    )
                    #expect(registered.status == .created, "\(registered.body)")
                    #expect(registered.json["secret"] == nil)
                    let id = try #require(registered.json["id"]?.stringValue)

                    let put = try await Harness.call(
                        client,
                        .put,
                        "\(base)/config/branding",
                        token: admin,
                        json: #"{"companyName":"Hooked Lamps"}"#
                    )
                    #expect(put.status == .ok)

                    let received = try await receiver.waitFor(2)
                    #expect(received.count == 2)
                    for request in received {
                        #expect(Self.verify(request, secret: secret))
                        #expect(!Self.verify(request, secret: "another-secret-entirely"))
                        #expect(request.json["event"]?.stringValue == "config.updated")
                        #expect(request.json["tenantId"]?.stringValue == tenant.id.uuidString)
                        #expect(request.json["data"]?["section"]?.stringValue == "branding")
                        #expect(request.json["time"]?.stringValue != nil)
                    }
                    // Both attempts are one delivery, with identical bytes.
                    let webhookID = HTTPField.Name("Webhook-Id")!
                    #expect(received[0].headers[webhookID] != nil)
                    #expect(received[0].headers[webhookID] == received[1].headers[webhookID])
                    #expect(received[0].body == received[1].body)

                    var delivery: JSONValue = nil
                    for _ in 0..<100 {
                        let list = try await Harness.call(
                            client,
                            .get,
                            "\(base)/webhooks/\(id)/deliveries",
                            token: admin
                        )
                        delivery = list.json["items"]?.arrayValue?.first ?? nil
                        if delivery["status"]?.stringValue != "pending" { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(delivery["status"]?.stringValue == "succeeded")
                    #expect(delivery["attempts"] == .number(2))
                    #expect(delivery["lastStatusCode"] == .number(204))
                    #expect(delivery["id"]?.stringValue == received[0].headers[webhookID])
                }
            }
        }
    }

    @Test func platformWebhookReceivesLifecycleAndOrderEvents() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let token = try await harness.token()
            try await self.withReceiver { receiver, url in
                try await harness.test { client in
                    let registered = try await Harness.call(
                        client,
                        .post,
                        "/api/webhooks",
                        token: token,
                        json: """
                            {"url":"\(url)","events":["tenant.created","tenant.suspended","tenant.deleted","order.created"]}
                            """
                    )
                    #expect(registered.status == .created, "\(registered.body)")
                    let secret = try #require(registered.json["secret"]?.stringValue)
                    let listed = try await Harness.call(client, .get, "/api/webhooks", token: token)
                    #expect(listed.json["items"]?.arrayValue?.count == 1)
                    #expect(listed.json["items"]?.arrayValue?.first?["secret"] == nil)
                    #expect(!listed.body.contains(secret))

                    let created = try await Harness.call(
                        client,
                        .post,
                        "/api/tenants",
                        token: token,
                        json: #"{"companyName":"Event Shop","subdomain":"events"}"#
                    )
                    #expect(created.status == .created)
                    let tenantID = try #require(
                        created.json["tenant"]?["id"]?.stringValue.flatMap(UUID.init(uuidString:))
                    )
                    try await harness.data.catalog.createProduct(
                        Product(slug: "mug", name: "Mug", priceMinor: 1200, currency: "EUR"),
                        tenant: tenantID
                    )
                    let order = await harness.storefront.respond(
                        to: Harness.request(
                            "events.localhost",
                            "/api/orders",
                            method: "POST",
                            body:
                                #"{"items":[{"productSlug":"mug","quantity":1}],"customer":{"name":"Ada","email":"ada@example.test","address":"1 Way"}}"#
                        )
                    )
                    #expect(order.status == 201)
                    let suspended = try await Harness.call(
                        client,
                        .put,
                        "/api/tenants/\(tenantID)",
                        token: token,
                        json: #"{"status":"suspended"}"#
                    )
                    #expect(suspended.status == .ok)
                    #expect(
                        try await Harness.call(client, .delete, "/api/tenants/\(tenantID)", token: token).status == .ok
                    )

                    let received = try await receiver.waitFor(4)
                    #expect(
                        Set(received.compactMap { $0.json["event"]?.stringValue })
                            == ["tenant.created", "order.created", "tenant.suspended", "tenant.deleted"]
                    )
                    for request in received {
                        #expect(Self.verify(request, secret: secret))
                        #expect(request.json["tenantId"]?.stringValue == tenantID.uuidString)
                    }
                }
            }
        }
    }

    @Test func registrationIsValidatedAndScopedToItsOwner() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let mine = try await harness.tenant("owner")
            let other = try await harness.tenant("stranger")
            let admin = try await harness.token(.tenantAdmin, tenant: mine.id)
            let otherAdmin = try await harness.token(.tenantAdmin, tenant: other.id)
            let viewer = try await harness.token(.viewer, tenant: mine.id)
            try await harness.test { client in
                let base = "/api/tenants/\(mine.id)/webhooks"
                let invalid = try await Harness.call(
                    client,
                    .post,
                    base,
                    token: admin,
                    json: #"{"url":"ftp://example.test/x","events":["nope"],"secret":"short"}"#
                )
                #expect(invalid.status == .unprocessableContent)
                let pointers = invalid.json["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue }
                #expect(pointers == ["/url", "/events/0", "/secret"])

                let json = #"{"url":"https://hooks.example.test/in","events":["order.created"]}"#
                #expect(try await Harness.call(client, .post, base, token: viewer, json: json).status == .forbidden)
                #expect(
                    try await Harness.call(client, .post, "/api/webhooks", token: admin, json: json).status
                        == .forbidden
                )
                let created = try await Harness.call(client, .post, base, token: admin, json: json)
                #expect(created.status == .created)
                let id = try #require(created.json["id"]?.stringValue)
                #expect(created.json["secret"]?.stringValue?.hasPrefix("whsec_") == true)

                let listed = try await Harness.call(client, .get, base, token: viewer)
                #expect(listed.json["items"]?.arrayValue?.count == 1)
                #expect(try await Harness.call(client, .get, base, token: otherAdmin).status == .notFound)
                let otherPath = "/api/tenants/\(other.id)/webhooks/\(id)"
                #expect(
                    try await Harness.call(client, .get, otherPath + "/deliveries", token: otherAdmin).status
                        == .notFound
                )
                #expect(try await Harness.call(client, .delete, otherPath, token: otherAdmin).status == .notFound)
                #expect(try await Harness.call(client, .delete, "\(base)/\(id)", token: admin).status == .noContent)
                #expect(
                    try await Harness.call(client, .get, "\(base)/\(id)/deliveries", token: admin).status == .notFound
                )
            }
        }
    }

    @Test func registrationsRacingForTheLastPlaceGetOneOfThem() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let tenant = try await harness.tenant("crowded")
            let webhooks = harness.api.webhooks
            let url = "https://hooks.example.test/in"
            for _ in 1..<WebhookDispatcher.maximumWebhooksPerScope {
                _ = try await webhooks.register(url: url, events: [.orderCreated], secret: nil, tenant: tenant.id)
            }
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        (try? await webhooks.register(url: url, events: [.orderCreated], secret: nil, tenant: tenant.id))
                            != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await webhooks.webhooks(tenant: tenant.id).count == WebhookDispatcher.maximumWebhooksPerScope)
            // Another scope is not affected.
            _ = try await webhooks.register(url: url, events: [.orderCreated], secret: nil, tenant: nil)
        }
    }

    @Test func deliveryGivesUpAfterTheLastAttempt() async throws {
        try await Harness.with(
            webhooks: WebhookDispatcher.Configuration(
                retryDelays: [.milliseconds(20), .milliseconds(20)],
                allowPrivateNetworks: true
            )
        ) { harness in
            let tenant = try await harness.tenant("unlucky")
            try await self.withReceiver(failures: 100) { receiver, url in
                let webhook = try await Self.configWebhookNotified(url: url, tenant: tenant.id, api: harness.api)
                #expect(try await receiver.waitFor(3).count == 3)
                let delivery = try await Self.finishedDelivery(of: webhook, in: harness.api)
                #expect(delivery?.status == .failed)
                #expect(delivery?.attempts == 3)
                #expect(delivery?.lastStatusCode == 500)
                #expect(delivery?.nextAttemptAt == nil)
            }
        }
    }

    @Test func pendingDeliveryIsSentAfterARestart() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let tenant = try await harness.tenant("restarted")
            try await self.withReceiver { receiver, url in
                let (webhook, _) = try await harness.api.webhooks.register(
                    url: url,
                    events: [.orderCreated],
                    secret: "sixteen-characters!",
                    tenant: tenant.id
                )
                // As a process that stored the delivery and died before its first attempt left it.
                let now = Date()
                let delivery = WebhookDelivery(
                    id: UUID(),
                    webhookId: webhook.id,
                    tenantId: tenant.id,
                    event: .orderCreated,
                    payload: #"{"event":"order.created"}"#,
                    status: .pending,
                    attempts: 0,
                    nextAttemptAt: now,
                    createdAt: now,
                    updatedAt: now
                )
                var batch = WriteBatch()
                batch.put(
                    WebhookDispatcher.deliveryPrefix + "\(webhook.id)/\(delivery.id)".lowercased(),
                    try EdgeRecordCodec.encode(delivery)
                )
                batch.put(
                    WebhookDispatcher.pendingPrefix + delivery.id.uuidString.lowercased(),
                    try EdgeRecordCodec.encode(WebhookDispatcher.PendingDelivery(id: delivery.id, to: webhook))
                )
                try await harness.store.batch(batch)

                let restarted = try await harness.restarted()
                defer { restarted.store.close() }
                try await restarted.api.resumeInterruptedJobs()
                let received = try await receiver.waitFor(1)
                #expect(received.count == 1)
                #expect(Self.verify(received[0], secret: "sixteen-characters!"))
                #expect(received[0].headers[HTTPField.Name("Webhook-Id")!] == delivery.id.uuidString)
                for _ in 0..<100 {
                    if try await restarted.api.webhooks.deliveries(of: webhook).first?.status == .succeeded { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await restarted.api.webhooks.deliveries(of: webhook).first?.status == .succeeded)
                let pending = try await restarted.store.scan(
                    prefix: WebhookDispatcher.pendingPrefix,
                    after: nil,
                    limit: 10
                )
                #expect(pending.entries.isEmpty)
            }
        }
    }

    /// A `config.updated` webhook of `tenant` at `url`, notified of one change to the tenant's
    /// branding.
    static func configWebhookNotified(url: String, tenant: UUID, api: AdminAPI) async throws -> Webhook {
        let (webhook, _) = try await api.webhooks.register(
            url: url,
            events: [.configUpdated],
            secret: "sixteen-characters!",
            tenant: tenant
        )
        _ = try await api.announcingConfigurationUpdate(tenant: tenant, section: .branding) {
            try await api.data.configuration.set(.branding, to: ["companyName": "Notified"], tenant: tenant)
        }
        return webhook
    }

    /// ``configWebhookNotified(url:tenant:api:)`` at `hooks.example.test` (no DNS record; the
    /// tests' resolvers answer for it) on the port of the receiver at `url`.
    static func namedWebhookNotified(
        receiver url: String,
        tenant: UUID,
        api: AdminAPI
    ) async throws -> (webhook: Webhook, port: Int) {
        let port = try #require(URLComponents(string: url)?.port)
        let webhook = try await Self.configWebhookNotified(
            url: "http://hooks.example.test:\(port)/hook",
            tenant: tenant,
            api: api
        )
        return (webhook, port)
    }

    /// Polls the webhook's newest delivery until it is no longer pending.
    static func finishedDelivery(of webhook: Webhook, in api: AdminAPI) async throws -> WebhookDelivery? {
        var deliveries: [WebhookDelivery] = []
        for _ in 0..<250 {
            deliveries = try await api.webhooks.deliveries(of: webhook)
            if let first = deliveries.first, first.status != .pending { return first }
            try await Task.sleep(for: .milliseconds(20))
        }
        return deliveries.first
    }

    @Test(arguments: [
        ("8.8.8.8", true), ("10.1.2.3", false), ("172.31.255.1", false), ("172.32.0.1", true),
        ("100.64.0.1", false), ("127.0.0.1", false), ("169.254.169.254", false), ("192.168.1.1", false),
        ("0.0.0.0", false), ("224.0.0.1", false), ("2606:4700::1", true), ("::1", false), ("::", false),
        ("fd00::1", false), ("fe80::1", false), ("ff02::1", false), ("::ffff:127.0.0.1", false),
        ("::ffff:8.8.8.8", true), ("64:ff9b::a00:1", false), ("64:ff9b::808:808", true),
    ])
    func publicAddresses(address: String, isPublic: Bool) throws {
        let bytes = try #require(IPNetwork.addressBytes(address))
        #expect(WebhookDispatcher.isPublic(bytes) == isPublic)
    }

    @Test func registrationRefusesReceiversThatAreNotPublic() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("guarded")
            let admin = try await harness.token(.tenantAdmin, tenant: tenant.id)
            try await harness.test { client in
                for url in [
                    "http://127.0.0.1:9443/api/tenants", "http://169.254.169.254/latest/meta-data/",
                    "https://[::1]/hook", "http://localhost:8080/hook", "http://shop.localhost./hook",
                    "http://[::ffff:10.0.0.1]/hook", "http://10.0.0.7/hook",
                ] {
                    let refused = try await Harness.call(
                        client,
                        .post,
                        "/api/tenants/\(tenant.id)/webhooks",
                        token: admin,
                        json: #"{"url":"\#(url)","events":["order.created"]}"#
                    )
                    #expect(refused.status == .unprocessableContent, "\(url)")
                    #expect(refused.json["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/url", "\(url)")
                }
                let named = try await Harness.call(
                    client,
                    .post,
                    "/api/tenants/\(tenant.id)/webhooks",
                    token: admin,
                    json: #"{"url":"https://hooks.example.test/in","events":["order.created"]}"#
                )
                #expect(named.status == .created)
            }
        }
    }

    /// `hooks.example.test` has no DNS record and the test resolver answers 127.0.0.1 for it:
    /// refused unless private networks are allowed, and then reached at that address only.
    @Test(arguments: [false, true])
    func aNamedReceiverIsJudgedAndReachedByTheAddressItResolvesTo(allowPrivateNetworks: Bool) async throws {
        try await Harness.with(webhooks: Self.resolvingToLoopback(allowPrivateNetworks: allowPrivateNetworks)) {
            harness in
            let tenant = try await harness.tenant("named")
            try await self.withReceiver { receiver, url in
                let (webhook, port) = try await Self.namedWebhookNotified(
                    receiver: url,
                    tenant: tenant.id,
                    api: harness.api
                )
                if allowPrivateNetworks {
                    let received = try await receiver.waitFor(1)
                    #expect(received.count == 1)
                    #expect(received.first?.authority == "hooks.example.test:\(port)")
                    #expect(try await Self.finishedDelivery(of: webhook, in: harness.api)?.status == .succeeded)
                } else {
                    let delivery = try #require(try await Self.finishedDelivery(of: webhook, in: harness.api))
                    #expect(delivery.status == .failed)
                    #expect(delivery.attempts == 1)
                    #expect(delivery.lastError?.contains("127.0.0.1, which is not a public address") == true)
                    #expect(await receiver.received.isEmpty)
                }
            }
        }
    }

    @Test func anAttemptTriesTheNextAddressWhenOneCannotBeReached() async throws {
        // Nothing listens on 127.0.0.2, so its connection is refused; the receiver is on 127.0.0.1.
        let configuration = Self.resolvingToLoopback(allowPrivateNetworks: true, addresses: ["127.0.0.2", "127.0.0.1"])
        try await Harness.with(webhooks: configuration) { harness in
            let tenant = try await harness.tenant("fallback")
            try await self.withReceiver { receiver, url in
                let (webhook, _) = try await Self.namedWebhookNotified(
                    receiver: url,
                    tenant: tenant.id,
                    api: harness.api
                )
                let delivery = try #require(try await Self.finishedDelivery(of: webhook, in: harness.api))
                #expect(delivery.status == .succeeded, "\(delivery.lastError ?? "")")
                #expect(delivery.attempts == 1)
                #expect(try await receiver.waitFor(1).count == 1)
            }
        }
    }

    @Test func aNameWithPublicAndPrivateAddressesIsReachedAtThePublicOnes() async throws {
        let configuration = Self.resolvingToLoopback(
            allowPrivateNetworks: false,
            addresses: ["10.0.0.7", "2606:4700::1", "127.0.0.1", "8.8.8.8"]
        )
        try await Harness.with(webhooks: configuration) { harness in
            let destination = try #require(WebhookDispatcher.Destination(url: "https://hooks.example.test/in"))
            guard case .pinned(let addresses) = await harness.api.webhooks.connection(to: destination) else {
                Issue.record("the destination was not pinned")
                return
            }
            #expect(addresses == ["2606:4700::1", "8.8.8.8"])
        }
    }

    @Test func deletingATenantDeletesItsWebhooksAfterTellingThem() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let tenant = try await harness.tenant("leaving")
            let bystander = try await harness.tenant("staying")
            let token = try await harness.token()
            try await self.withReceiver { receiver, url in
                let (webhook, _) = try await harness.api.webhooks.register(
                    url: url,
                    events: [.tenantDeleted],
                    secret: "sixteen-characters!",
                    tenant: tenant.id
                )
                let (kept, _) = try await harness.api.webhooks.register(
                    url: url,
                    events: [.tenantDeleted],
                    secret: "sixteen-characters!",
                    tenant: bystander.id
                )
                let deleted = try await harness.test { client in
                    try await Harness.call(client, .delete, "/api/tenants/\(tenant.id)", token: token).status
                }
                #expect(deleted == .ok)
                let received = try await receiver.waitFor(1)
                #expect(received.map { $0.json["event"]?.stringValue } == ["tenant.deleted"])
                #expect(try await harness.api.webhooks.webhooks(tenant: tenant.id).isEmpty)
                #expect(try await harness.api.webhooks.webhooks(tenant: bystander.id).map(\.id) == [kept.id])
                #expect(try await Self.finishedDelivery(of: webhook, in: harness.api)?.status == .succeeded)
            }
        }
    }

    /// A dispatcher of its own over `store`, with fast retries, for tests that watch the store beneath it.
    static func dispatcher(over store: any KeyValueStore) -> WebhookDispatcher {
        WebhookDispatcher(
            store: store,
            secrets: SecretBox(key: Harness.secretKey),
            configuration: Self.fastRetries,
            logger: Logger(label: "webhook-tests") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    /// Forwards to a store and keeps every batch it is given.
    final class BatchRecordingStore: KeyValueStore {
        let inner: FileKeyValueStore
        private let recorded = Mutex<[WriteBatch]>([])
        /// Run once, just before the next batch that writes a tenant reaches the store.
        private let interjection = Mutex<(@Sendable () async throws -> Void)?>(nil)

        init(_ inner: FileKeyValueStore) {
            self.inner = inner
        }

        var batches: [WriteBatch] { self.recorded.withLock { $0 } }

        nonisolated(nonsending) func get(_ key: String) async throws -> StoredValue? {
            try await self.inner.get(key)
        }

        func version(of key: String) -> UInt64? {
            self.inner.version(of: key)
        }

        func put(_ key: String, _ value: [UInt8]) async throws -> UInt64 {
            try await self.inner.put(key, value)
        }

        func delete(_ key: String) async throws -> UInt64 {
            try await self.inner.delete(key)
        }

        nonisolated(nonsending) func scan(prefix: String, after cursor: String?, limit: Int) async throws -> ScanPage {
            try await self.inner.scan(prefix: prefix, after: cursor, limit: limit)
        }

        func batch(_ batch: WriteBatch) async throws -> UInt64 {
            self.recorded.withLock { $0.append(batch) }
            if batch.operations.contains(where: { $0.key.hasPrefix("tenant/") }),
                let interjection = self.interjection.withLock({ $0.take() })
            {
                try await interjection()
            }
            return try await self.inner.batch(batch)
        }

        func beforeNextTenantBatch(_ interjection: @escaping @Sendable () async throws -> Void) {
            self.interjection.withLock { $0 = interjection }
        }
    }

    @Test func aWebhookRegisteredOrDeletedWhileAChangeIsMadeCountsWhenItCommitsFirst() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let store = BatchRecordingStore(harness.store)
            let data = TenantData(store: store, platformDomain: "localhost")
            let dispatcher = Self.dispatcher(over: store)
            let tenant = try await data.tenants.create(companyName: "Racing", subdomain: "racing")
            try await self.withReceiver { receiver, url in
                // The registration commits after the change read its subscribers, before the change's batch.
                store.beforeNextTenantBatch {
                    _ = try await dispatcher.register(
                        url: url,
                        events: [.configUpdated],
                        secret: nil,
                        tenant: tenant.id
                    )
                }
                _ = try await dispatcher.announcing(.configUpdated, tenant: tenant.id) {
                    try await data.configuration.set(.branding, to: ["companyName": "Raced"], tenant: tenant.id)
                }
                let received = try await receiver.waitFor(1)
                #expect(received.map { $0.json["event"]?.stringValue } == ["config.updated"])
                #expect(received.map { $0.json["tenantId"]?.stringValue } == [tenant.id.uuidString])

                // Deleted after the change read its subscribers: the change reads them again.
                let subscribed = try #require(try await dispatcher.webhooks(tenant: tenant.id).first)
                store.beforeNextTenantBatch {
                    try await dispatcher.delete(subscribed)
                }
                _ = try await dispatcher.announcing(.configUpdated, tenant: tenant.id) {
                    try await data.configuration.set(.branding, to: ["companyName": "Unheard"], tenant: tenant.id)
                }
                #expect(try await dispatcher.deliveries(of: subscribed).isEmpty)
                let pending = try await harness.store.scan(
                    prefix: WebhookDispatcher.pendingPrefix,
                    after: nil,
                    limit: 10
                )
                #expect(pending.entries.isEmpty)
            }
        }
    }

    @Test func aWebhookDeletedDuringAnAttemptLeavesNoDeliveryBehind() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let dispatcher = Self.dispatcher(over: harness.store)
            let data = TenantData(store: harness.store, platformDomain: "localhost")
            let tenant = try await data.tenants.create(companyName: "Held", subdomain: "held")
            let (entered, enter) = AsyncStream<Void>.makeStream()
            let (released, release) = AsyncStream<Void>.makeStream()
            let router = Router()
            router.post("hook") { _, _ -> Response in
                enter.yield()
                for await _ in released { break }
                return Response(status: .ok)
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let (webhook, _) = try await dispatcher.register(
                    url: "http://127.0.0.1:\(port)/hook",
                    events: [.configUpdated],
                    secret: nil,
                    tenant: tenant.id
                )
                _ = try await dispatcher.announcing(.configUpdated, tenant: tenant.id) {
                    try await data.configuration.set(.branding, to: ["companyName": "Held"], tenant: tenant.id)
                }
                for await _ in entered { break }
                try await dispatcher.delete(webhook)
                release.yield()
                // The attempt's outcome is not written over the deleted delivery; its pending record goes.
                var pending = 1
                for _ in 0..<200 where pending > 0 {
                    try await Task.sleep(for: .milliseconds(10))
                    pending = try await harness.store.scan(
                        prefix: WebhookDispatcher.pendingPrefix,
                        after: nil,
                        limit: 10
                    ).entries.count
                }
                #expect(pending == 0)
                #expect(try await dispatcher.deliveries(of: webhook).isEmpty)
            }
        }
    }

    @Test func anEventIsStoredInTheBatchOfItsChangeAndOnlyWhenItCommits() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let store = BatchRecordingStore(harness.store)
            let data = TenantData(store: store, platformDomain: "localhost")
            let dispatcher = Self.dispatcher(over: store)
            let tenant = try await data.tenants.create(companyName: "Atomic", subdomain: "atomic")
            try await self.withReceiver { receiver, url in
                _ = try await dispatcher.register(url: url, events: [.configUpdated], secret: nil, tenant: tenant.id)
                let announced: @Sendable (Tenant, Any) -> any Encodable & Sendable = { tenant, _ in
                    ["contentVersion": tenant.contentVersion]
                }
                let before = store.batches.count
                await #expect(throws: TenantStoreError.self) {
                    try await dispatcher.announcing(.configUpdated, tenant: tenant.id, data: announced) {
                        try await data.configuration.set(
                            .branding,
                            to: ["companyName": "Stale"],
                            tenant: tenant.id,
                            ifContentVersion: tenant.contentVersion + 5
                        )
                    }
                }
                #expect(store.batches.count == before, "a stale write commits nothing, so announces nothing")

                struct AfterCommit: Error {}
                await #expect(throws: AfterCommit.self) {
                    try await dispatcher.announcing(.configUpdated, tenant: tenant.id, data: announced) {
                        try await data.configuration.set(.branding, to: ["companyName": "Fresh"], tenant: tenant.id)
                        throw AfterCommit()
                    }
                }
                let written = store.batches.dropFirst(before).map { $0.operations.map(\.key) }
                #expect(written.count == 1, "the change and its deliveries are one batch: \(written)")
                let keys = written.first ?? []
                #expect(keys.contains { $0.hasPrefix("tenant/") })
                #expect(keys.filter { $0.hasPrefix(WebhookDispatcher.deliveryPrefix) }.count == 1)
                #expect(keys.filter { $0.hasPrefix(WebhookDispatcher.pendingPrefix) }.count == 1)

                // A change that committed is announced even though something after it failed.
                let received = try await receiver.waitFor(1)
                #expect(
                    received.map { $0.json["data"]?["contentVersion"] } == [.number(Double(tenant.contentVersion + 1))]
                )
            }
        }
    }

    @Test func finishedHistoryIsPrunedAfterItsRetention() async throws {
        try await Harness.with(webhooks: Self.fastRetries) { harness in
            let tenant = try await harness.tenant("tidy")
            try await self.withReceiver { _, url in
                let webhook = try await Self.configWebhookNotified(url: url, tenant: tenant.id, api: harness.api)
                #expect(try await Self.finishedDelivery(of: webhook, in: harness.api)?.status == .succeeded)
                let job = await harness.api.provisioner.run(try await harness.api.provisioner.create(tenant: tenant.id))
                #expect(job.status == .succeeded)

                #expect(try await harness.api.webhooks.pruneHistory() == 0)
                #expect(try await harness.api.provisioner.pruneFinished(before: Date().addingTimeInterval(-60)) == 0)
                let weekLater = Date().addingTimeInterval(8 * 24 * 3600)
                #expect(try await harness.api.webhooks.pruneHistory(now: weekLater) == 1)
                #expect(try await harness.api.webhooks.deliveries(of: webhook).isEmpty)
                #expect(try await harness.api.provisioner.pruneFinished(before: weekLater) == 1)
                #expect(try await harness.api.provisioner.job(job.id) == nil)
            }
        }
    }
}
