import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Render
import TenantStore
import Testing

@testable import Edge

/// The admin API over a real `FileKeyValueStore` in a temporary directory, for the provisioning,
/// preview and webhook tests; ``restarted()`` reopens the same store in a fresh instance.
struct AdminProvisioningHarness {
    static let themes = Result { try ThemeLibrary.builtIn() }
    static let secretKey = SecretKey.random()

    let directory: String
    let store: FileKeyValueStore
    let data: TenantData
    let cache: PageCache
    let storefront: StorefrontService
    let tokens: OperatorTokens
    let api: AdminAPI
    let webhookConfiguration: WebhookDispatcher.Configuration

    /// Runs `body` with a harness over a fresh store, removed afterwards.
    static func with<Result>(
        webhooks: WebhookDispatcher.Configuration = .init(),
        _ body: (Self) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("admin-provisioning-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try await Self(directory: directory, webhooks: webhooks)
        defer { harness.store.close() }
        return try await body(harness)
    }

    private init(directory: String, webhooks: WebhookDispatcher.Configuration) async throws {
        self.directory = directory
        self.webhookConfiguration = webhooks
        self.store = try FileKeyValueStore.open(directory: directory + "/store")
        self.data = TenantData(store: self.store, platformDomain: "localhost", secrets: SecretBox(key: Self.secretKey))
        self.cache = PageCache(budgetBytes: 64 << 20)
        let logger = Logger(label: "admin-provisioning-tests") { _ in SwiftLogNoOpLogHandler() }
        self.storefront = try StorefrontService(
            store: self.store,
            platformDomain: "localhost",
            themes: try Self.themes.get(),
            cache: self.cache,
            logger: logger
        )
        self.tokens = try await OperatorTokens(dataDirectory: directory, environment: [:])
        self.api = AdminAPI(
            data: self.data,
            tokens: self.tokens,
            storefront: self.storefront,
            webhooks: WebhookDispatcher(
                store: self.store,
                secrets: SecretBox(key: Self.secretKey),
                configuration: webhooks,
                logger: logger
            ),
            logger: logger
        )
    }

    /// A new process over the same data: the store closed and reopened, every object rebuilt.
    func restarted() async throws -> Self {
        self.store.close()
        return try await Self(directory: self.directory, webhooks: self.webhookConfiguration)
    }

    /// Runs `body` against this harness's admin API, without sockets.
    func test<Result: Sendable>(
        _ body: @Sendable (any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        let router = Router(context: AdminRequestContext.self)
        self.api.register(on: router)
        return try await Application(router: router).test(.router, body)
    }

    func token(_ role: Principal.Role = .platformAdmin, tenant: UUID? = nil) async throws -> String {
        try await self.tokens.sign(role: role, tenant: tenant, subject: "tests", lifetime: .seconds(600))
    }

    /// A tenant with one product, created directly in the store.
    func tenant(_ subdomain: String) async throws -> Tenant {
        let tenant = try await self.data.tenants.create(companyName: "Shop \(subdomain)", subdomain: subdomain)
        try await self.data.catalog.createProduct(
            Product(slug: "first-lamp", name: "First Lamp", priceMinor: 4200, currency: "EUR"),
            tenant: tenant.id
        )
        return tenant
    }

    /// The job's status document, polled until it stops running.
    func finishedJob(
        _ id: String,
        token: String,
        client: any TestClientProtocol
    ) async throws -> JSONValue {
        for _ in 0..<500 {
            let job = try await Self.call(client, .get, "/api/provision/status/\(id)", token: token)
            #expect(job.status == .ok)
            if job.json["status"]?.stringValue != "running" { return job.json }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("job \(id) still running")
        return nil
    }

    /// A request's status, headers and body.
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var json: JSONValue { (try? JSONValue(parsing: Data(self.body.utf8))) ?? nil }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String,
        json: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        ) { response in
            Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// A storefront request for `host` and `target`.
    static func request(
        _ host: String,
        _ target: String = "/",
        method: String = "GET",
        body: String? = nil
    )
        -> StorefrontRequest
    {
        StorefrontRequest(
            method: method,
            authority: host,
            path: target,
            query: nil,
            headers: body == nil ? [] : [("content-type", "application/json")],
            clientAddress: "127.0.0.1",
            body: body.map { ByteBuffer(string: $0) }
        )
    }
}
