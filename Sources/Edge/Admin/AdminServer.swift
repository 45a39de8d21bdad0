import Hummingbird
import HummingbirdTLS
public import Logging
public import NIOSSL
public import Prometheus
import ServiceLifecycle
import Synchronization

/// The control plane's listener: the admin API, health, readiness and Prometheus metrics, over HTTPS.
///
/// A Hummingbird 2 application (DESIGN.md: routing and testing convenience matter more than
/// microseconds here); the storefront's hot path never passes through it.
///
/// - `GET /healthz`: `200` while the process serves at all.
/// - `GET /readyz`: `200` once the storefront listens and until shutdown starts, else `503`,
///   so a load balancer stops sending shoppers before the listener closes.
/// - `GET /metrics`: the Prometheus text exposition of the registry.
///
/// Start with ``start(host:port:api:tlsConfiguration:registry:beforeScrape:readiness:logger:)``,
/// stop with ``stop()``.
public final class AdminServer: Sendable {
    /// Whether the edge should get traffic, shared with whoever starts and stops the storefront.
    public final class Readiness: Sendable {
        private let ready = Atomic(false)

        public init() {}

        /// Whether the storefront takes requests.
        public var isReady: Bool { self.ready.load(ordering: .relaxed) }

        /// Marks the storefront as taking requests, or not.
        public func set(_ ready: Bool) {
            self.ready.store(ready, ordering: .relaxed)
        }
    }

    /// The bound port.
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// The routes, separate from the listener so tests can drive them with HummingbirdTesting.
    static func router(
        api: AdminAPI?,
        registry: PrometheusCollectorRegistry,
        beforeScrape: @escaping @Sendable () -> Void,
        readiness: Readiness
    ) -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        api?.register(on: router)
        router.get("healthz") { _, _ in
            Self.text(.ok, "ok\n")
        }
        router.get("readyz") { _, _ in
            readiness.isReady ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "not ready\n")
        }
        router.get("metrics") { _, _ -> Response in
            beforeScrape()
            var buffer = ByteBuffer()
            buffer.writeBytes(registry.emitToBuffer())
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: buffer)
            )
        }
        return router
    }

    /// Binds the admin listener and serves until ``stop()``.
    ///
    /// - Parameters:
    ///   - host: The address to bind.
    ///   - port: The port; 0 picks a free one (see ``port``).
    ///   - api: The admin API served under `/api`, if any.
    ///   - tlsConfiguration: The certificate the admin listener presents; its ALPN list is
    ///     replaced by `http/1.1`, the only protocol this listener speaks.
    ///   - registry: The registry `/metrics` shows.
    ///   - beforeScrape: Runs before every scrape, to publish values that are sampled, not counted.
    ///   - readiness: What `/readyz` reports.
    /// - Throws: When the listener cannot be bound.
    public static func start(
        host: String,
        port: Int,
        api: AdminAPI? = nil,
        tlsConfiguration: TLSConfiguration,
        registry: PrometheusCollectorRegistry,
        beforeScrape: @escaping @Sendable () -> Void = {},
        readiness: Readiness,
        logger: Logger
    ) async throws -> AdminServer {
        var tls = tlsConfiguration
        tls.applicationProtocols = ["http/1.1"]
        let (bound, boundContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: Self.router(api: api, registry: registry, beforeScrape: beforeScrape, readiness: readiness),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "edge-admin"),
            onServerRunning: { channel in
                boundContinuation.yield(channel.localAddress?.port ?? port)
                boundContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [application],
                gracefulShutdownSignals: [],
                logger: logger
            )
        )
        let task = Task(executorPreference: EventLoopTaskExecutor.shared) {
            defer { boundContinuation.finish() }
            try await group.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let boundPort = await iterator.next() else {
            // The application stopped before it listened: its error says why (e.g. the port is taken).
            try await task.value
            throw AdminServerError(message: "the admin listener on \(host):\(port) stopped before it listened")
        }
        return AdminServer(port: boundPort, group: group, task: task)
    }

    /// Stops the listener; requests in flight get a moment to finish.
    public func stop() async {
        await self.group.triggerGracefulShutdown()
        _ = try? await self.task.value
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// The admin listener could not start.
public struct AdminServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    public var description: String { self.message }
}
