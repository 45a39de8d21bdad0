import Edge
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Render
import TenantStore
import Testing

/// What an admin API test works with: the data behind the API, the demo tenants, and a token
/// for every role.
struct AdminFixture: Sendable {
    /// The data the API serves, with a secret box, so certificates can be stored.
    let data: TenantData
    let tokens: OperatorTokens
    /// A seeded demo tenant (Acme Optics, with the demo custom domain); the tenant-scoped tokens
    /// are scoped to it.
    let tenant: Tenant
    /// Another seeded demo tenant, for checking that a caller scoped to ``tenant`` sees nothing of it.
    let otherTenant: Tenant
    /// A `platform-admin` token.
    let platformAdmin: String
    /// A `tenant-admin` token for ``tenant``.
    let tenantAdmin: String
    /// A `viewer` token for ``tenant``.
    let viewer: String
    /// A `tenant-admin` token for ``otherTenant``.
    let otherTenantAdmin: String

    /// The token of `role`, scoped to ``tenant`` for the tenant roles.
    func token(_ role: Principal.Role) -> String {
        switch role {
        case .platformAdmin: self.platformAdmin
        case .tenantAdmin: self.tenantAdmin
        case .viewer: self.viewer
        }
    }

    /// `/api/tenants/<tenant>` followed by `suffix`, e.g. `path("/products")`.
    func path(_ suffix: String = "", of tenant: Tenant? = nil) -> String {
        "/api/tenants/\((tenant ?? self.tenant).id.uuidString.lowercased())\(suffix)"
    }
}

/// Runs `body` against a fresh admin API over a fresh store seeded with the demo tenants, with
/// no sockets (HummingbirdTesting's `.router` mode); the store is removed afterwards.
func withAdminAPI<Value: Sendable>(
    configuration: AdminAPI.Configuration = .init(),
    _ body: @Sendable (any TestClientProtocol, AdminFixture) async throws -> Value
) async throws -> Value {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("admin-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try FileKeyValueStore.open(directory: directory + "/store")
    defer {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
    let data = TenantData(store: store, platformDomain: "localhost", secrets: SecretBox(key: .random()))
    try await DemoTenants.seed(into: data, platformDomain: "localhost")
    let tenants = try await data.tenants.list(limit: 10).items.sorted { $0.subdomain < $1.subdomain }
    let tenant = try #require(tenants.first { !$0.customDomains.isEmpty })
    let otherTenant = try #require(tenants.first { $0.id != tenant.id })

    // An empty environment, so a signing key set on the machine cannot leak into the tests.
    let tokens = try await OperatorTokens(dataDirectory: directory, environment: [:])
    func sign(_ role: Principal.Role, _ tenant: Tenant?) async throws -> String {
        try await tokens.sign(
            role: role,
            tenant: tenant?.id,
            subject: "test-\(role.rawValue)",
            lifetime: .seconds(3600)
        )
    }
    let fixture = AdminFixture(
        data: data,
        tokens: tokens,
        tenant: tenant,
        otherTenant: otherTenant,
        platformAdmin: try await sign(.platformAdmin, nil),
        tenantAdmin: try await sign(.tenantAdmin, tenant),
        viewer: try await sign(.viewer, tenant),
        otherTenantAdmin: try await sign(.tenantAdmin, otherTenant)
    )

    let storefront = try StorefrontService(
        store: store,
        platformDomain: "localhost",
        themes: try ThemeLibrary.builtIn(),
        cache: PageCache(budgetBytes: 16 << 20),
        logger: Logger(label: "admin-tests") { _ in SwiftLogNoOpLogHandler() }
    )
    let router = Router(context: AdminRequestContext.self)
    AdminAPI(data: data, tokens: tokens, storefront: storefront, configuration: configuration).register(on: router)
    // A handler that keeps metadata: the audit log reads the request id from the logger's
    // metadata, and the no-op handler drops it.
    var logger = Logger(label: "admin-tests")
    logger.logLevel = .critical
    let app = Application(router: router, logger: logger)
    return try await app.test(.router) { client in
        try await body(client, fixture)
    }
}

extension TestClientProtocol {
    /// Sends a request as the holder of `token`, with `json` (any `Encodable`, or a `String`
    /// sent as is) as an `application/json` body.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        json: (any Encodable & Sendable)? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let text = json as? String {
            body = ByteBuffer(string: text)
        } else if let json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            body = ByteBuffer(bytes: try encoder.encode(json))
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await self.execute(uri: uri, method: method, headers: headers, body: body)
    }

    /// Sends `text` as is, with `contentType`.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        text: String,
        contentType: String
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await self.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: text))
    }
}

extension TestResponse {
    /// The body as JSON; `null` when there is none.
    var json: JSONValue {
        get throws {
            guard self.body.readableBytes > 0 else { return .null }
            return try JSONValue(parsing: Data(self.body.readableBytesView))
        }
    }

    /// The `pointer`s of a problem+json body's field errors.
    var problemPointers: [String] {
        get throws {
            try self.json["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        }
    }
}

extension JSONValue {
    /// The `items` of an ``AdminPage``-shaped body.
    var items: [JSONValue] { self["items"]?.arrayValue ?? [] }

    var numberValue: Double? {
        if case .number(let number) = self { number } else { nil }
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }
}
