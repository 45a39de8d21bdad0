import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import NIOFoundationCompat
public import TenantStore

/// The admin API (`/api/…` on the admin listener): tenants, configuration, templates, catalog,
/// domains and certificates, API keys, provisioning, preview, shopper data, audit, webhooks.
///
/// Every route sits behind the same chain: problem+json errors ▸ rate limit per client address
/// ▸ authentication (JWT or API key) ▸ rate limit per credential ▸ audit of mutating calls.
/// Routes authorize with ``Principal/authorize(tenant:_:)`` before touching a tenant, so a caller
/// scoped to another tenant gets `404`. Each concern registers its routes from its own
/// `AdminAPI+….swift` file.
public struct AdminAPI: Sendable {
    /// Limits for the admin API.
    public struct Configuration: Sendable {
        /// Requests a credential may send at once.
        public var credentialBurst: Int
        /// Requests per second a credential regains.
        public var credentialRatePerSecond: Double
        /// Requests a client address may send at once (counted before authentication).
        public var addressBurst: Int
        /// Requests per second a client address regains.
        public var addressRatePerSecond: Double
        /// Webhook retries, destinations and delivery retention, unless a dispatcher is given.
        public var webhooks: WebhookDispatcher.Configuration
        /// How long a finished provisioning job stays visible before housekeeping removes it.
        public var jobRetention: Duration
        /// How long an audit event stays before housekeeping removes it.
        public var auditRetention: Duration

        public init(
            credentialBurst: Int = 200,
            credentialRatePerSecond: Double = 100,
            addressBurst: Int = 400,
            addressRatePerSecond: Double = 200,
            webhooks: WebhookDispatcher.Configuration = .init(),
            jobRetention: Duration = .seconds(7 * 24 * 3600),
            auditRetention: Duration = .seconds(90 * 24 * 3600)
        ) {
            self.credentialBurst = credentialBurst
            self.credentialRatePerSecond = credentialRatePerSecond
            self.addressBurst = addressBurst
            self.addressRatePerSecond = addressRatePerSecond
            self.webhooks = webhooks
            self.jobRetention = jobRetention
            self.auditRetention = auditRetention
        }
    }

    let data: TenantData
    let tokens: OperatorTokens
    let storefront: StorefrontService
    let configuration: Configuration
    let provisioner: Provisioner
    let webhooks: WebhookDispatcher

    /// - Parameters:
    ///   - data: The tenant data, with the secret box for certificates and webhook secrets.
    ///   - tokens: Verifies operator tokens.
    ///   - storefront: Renders previews and provisioning checks with the live templates; its
    ///     order events go to `webhooks`.
    ///   - webhooks: Delivers webhook events; by default one over the storefront's store with
    ///     `data`'s secret box and the default retry schedule.
    ///   - logger: For provisioning jobs and webhook deliveries, which outlive their requests.
    public init(
        data: TenantData,
        tokens: OperatorTokens,
        storefront: StorefrontService,
        configuration: Configuration = .init(),
        webhooks: WebhookDispatcher? = nil,
        logger: Logger = Logger(label: "edge.admin")
    ) {
        self.data = data
        self.tokens = tokens
        self.storefront = storefront
        self.configuration = configuration
        self.provisioner = Provisioner(data: data, storefront: storefront, logger: logger)
        let webhooks =
            webhooks
            ?? WebhookDispatcher(
                store: storefront.store,
                secrets: data.secrets,
                configuration: configuration.webhooks,
                logger: logger
            )
        self.webhooks = webhooks
        storefront.events.announceOrders { tenant, place in
            try await webhooks.announcing(
                .orderCreated,
                tenant: tenant,
                data: { _, result in
                    // An order's mutation returns the order it stores.
                    guard let order = result as? Order else {
                        throw AdminProblem(status: .internalServerError, detail: "the order to announce is missing")
                    }
                    return order
                },
                during: place
            )
        }
    }

    /// The OpenAPI 3.1 document of this API, as served at `/api/openapi.json`.
    public static let openAPIDocument: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { preconditionFailure("openapi.json is missing from the Edge module's resources") }
        return ByteBuffer(data: data)
    }()

    /// Adds the `/api` routes to `router`.
    public func register(on router: Router<AdminRequestContext>) {
        router.get("api/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: Self.openAPIDocument)
            )
        }
        let addressLimiter = RateLimiter(
            burst: self.configuration.addressBurst,
            ratePerSecond: self.configuration.addressRatePerSecond
        )
        let credentialLimiter = RateLimiter(
            burst: self.configuration.credentialBurst,
            ratePerSecond: self.configuration.credentialRatePerSecond
        )
        let api = router.group("api")
            .add(middleware: AdminProblemMiddleware())
            .add(
                middleware: AdminRateLimitMiddleware(limiter: addressLimiter, advertises: false) {
                    $0.clientAddress ?? "unknown"
                }
            )
            .add(middleware: AdminAuthenticator(tokens: self.tokens, apiKeys: self.data.apiKeys))
            .add(
                middleware: AdminRateLimitMiddleware(limiter: credentialLimiter, advertises: true) {
                    $0.principal?.credential
                }
            )
            .add(middleware: AdminAuditMiddleware(audit: self.data.audit))
        self.registerTenantRoutes(on: api)
        self.registerConfigurationRoutes(on: api)
        self.registerTemplateRoutes(on: api)
        self.registerCatalogRoutes(on: api)
        self.registerDomainRoutes(on: api)
        self.registerAPIKeyRoutes(on: api)
        self.registerShopperDataRoutes(on: api)
        self.registerAuditRoutes(on: api)
        self.registerProvisioningRoutes(on: api)
        self.registerDraftRoutes(on: api)
        self.registerPreviewRoutes(on: api)
        self.registerWebhookRoutes(on: api)
    }
}

// MARK: - Helpers shared by the route files

extension AdminAPI {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The deepest JSON nesting a request body may have.
    static let maximumJSONDepth = 32

    /// A JSON response.
    static func json(
        _ value: some Encodable,
        status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) throws
        -> Response
    {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let body = ByteBuffer(bytes: try Self.encoder.jsonText(value))
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The request body decoded as `T`, after checking it is JSON no deeper than ``maximumJSONDepth``.
    static func decode<T: Decodable>(
        _ type: T.Type,
        from request: Request,
        context: AdminRequestContext
    ) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        try Self.checkDepth(buffer.readableBytesView)
        return try Self.decoder.decode(T.self, fromJSON: buffer.readableBytesView)
    }

    /// Refuses deeply nested JSON before a recursive decoder walks it.
    static func checkDepth(_ data: some Sequence<UInt8>) throws {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > Self.maximumJSONDepth {
                    throw AdminProblem.badRequest("the JSON body is nested deeper than \(Self.maximumJSONDepth) levels")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }

    /// The `{id}` path parameter as a tenant id the caller may access.
    static func tenantID(_ context: AdminRequestContext, _ access: Principal.Access) throws -> UUID {
        let principal = try context.requirePrincipal()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw AdminProblem.notFound("no such tenant")
        }
        try principal.authorize(tenant: id, access)
        return id
    }

    /// `limit` (1…1000, default 100) and `cursor` query parameters.
    static func paging(_ request: Request) throws -> (limit: Int, cursor: String?) {
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...1000).contains(value) else {
                throw AdminProblem.badRequest(
                    "limit must be a whole number from 1 to 1000",
                    errors: [ValidationProblem(pointer: "/limit", message: "must be 1…1000")]
                )
            }
            limit = value
        }
        return (limit, query["cursor"].map(String.init))
    }
}

/// A page of results: the items and the cursor of the next page, if any.
struct AdminPage<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var nextCursor: String?
}
