public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL
import NIOTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The data plane: HTTPS for every tenant's store, plus the plain-HTTP listener that redirects to it.
///
/// Plain SwiftNIO channel handlers rather than a framework, because a cached page must be
/// answered on the event loop with no task hop (see `anchors/perf/RESULTS.md`).
/// The HTTPS port has one listener per event loop (`SO_REUSEPORT`), so a connection is accepted
/// on the loop that serves it; that option also lets another process of the same user bind the
/// port. Each HTTPS connection runs `NIOSSLServerHandler` (its certificate's context chosen by the
/// ClientHello's SNI name). Then ALPN picks HTTP/2 (``StorefrontHTTP2Handler``, which speaks the
/// protocol itself for all of the connection's streams) or HTTP/1.1 (``StorefrontRequestHandler``,
/// which reads requests with ``HTTP1RequestParser`` and writes responses itself). ``Limits``
/// bound what one client can hold.
///
/// Start with ``start(configuration:tlsConfiguration:responder:group:logger:)``; stop with
/// ``shutdown(gracePeriod:)``, which stops accepting, lets requests in flight finish up to the
/// grace period, then closes what is left.
public final class StorefrontServer: Sendable {
    /// Where to listen and what to allow.
    public struct Configuration: Sendable {
        /// The HTTPS listener's host.
        public var host: String
        /// The HTTPS listener's port; 0 picks a free one (see ``StorefrontServer/port``).
        public var port: Int
        /// The plain-HTTP redirect listener's host and port, or `nil` for none.
        public var redirectListener: (host: String, port: Int)? {
            get { self.redirectHost.map { ($0, self.redirectPort) } }
            set {
                self.redirectHost = newValue?.host
                self.redirectPort = newValue?.port ?? 0
            }
        }
        /// The limits for every connection.
        public var limits: Limits
        /// The peers whose `X-Forwarded-For` and `X-Forwarded-Host` are believed.
        public var trustedProxies: TrustedProxies
        /// Where every response is logged, if anywhere.
        public var accessLog: AccessLog?

        private var redirectHost: String?
        private var redirectPort: Int

        public init(
            host: String,
            port: Int,
            redirectListener: (host: String, port: Int)? = nil,
            limits: Limits = Limits(),
            trustedProxies: TrustedProxies = .none,
            accessLog: AccessLog? = nil
        ) {
            self.host = host
            self.port = port
            self.redirectHost = redirectListener?.host
            self.redirectPort = redirectListener?.port ?? 0
            self.limits = limits
            self.trustedProxies = trustedProxies
            self.accessLog = accessLog
        }
    }

    /// What a reload can change on a running server.
    final class ReloadableSettings: Sendable {
        private let state: Mutex<(trustedProxies: TrustedProxies, accessLog: AccessLog?)>

        init(trustedProxies: TrustedProxies, accessLog: AccessLog?) {
            self.state = Mutex((trustedProxies, accessLog))
        }

        var current: (trustedProxies: TrustedProxies, accessLog: AccessLog?) {
            get { self.state.withLock { $0 } }
            set { self.state.withLock { $0 = newValue } }
        }
    }

    /// Sent to every connection's pipeline at shutdown: finish the request in flight, then close.
    struct QuiesceEvent: Sendable {}

    /// The bound HTTPS port.
    public let port: Int
    /// The bound plain-HTTP port, when there is a redirect listener.
    public let redirectPort: Int?

    private let listeners: [any Channel]
    private let tracker: ConnectionTracker
    /// The settings a reload may change; each new connection reads them once.
    private let reloadable: ReloadableSettings
    private let logger: Logger

    private init(
        port: Int,
        redirectPort: Int?,
        listeners: [any Channel],
        tracker: ConnectionTracker,
        reloadable: ReloadableSettings,
        logger: Logger
    ) {
        self.port = port
        self.redirectPort = redirectPort
        self.listeners = listeners
        self.tracker = tracker
        self.reloadable = reloadable
        self.logger = logger
    }

    /// Binds the listeners and serves the certificates of `certificates`, chosen per SNI.
    ///
    /// Knowing the store lets the server answer 421 when a request's host is not covered by the
    /// certificate its connection got.
    public static func start(
        configuration: Configuration,
        certificates: CertificateStore,
        responder: any StorefrontResponder,
        group: any EventLoopGroup,
        metrics: EdgeMetrics? = nil,
        logger: Logger = Logger(label: "edge.storefront-server", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> StorefrontServer {
        try await Self.start(
            configuration: configuration,
            tls: .perServerName(certificates),
            responder: responder,
            group: group,
            metrics: metrics,
            logger: logger
        )
    }

    /// Binds the listeners and serves every connection with one TLS configuration.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and the limits.
    ///   - tlsConfiguration: The HTTPS configuration; it must offer ALPN `h2` and `http/1.1`.
    ///   - responder: Answers every storefront request.
    ///   - group: The event loops to run on.
    ///   - metrics: Where to count handshakes and responses, if anywhere.
    ///   - logger: For connection-level events; silent when none is given.
    public static func start(
        configuration: Configuration,
        tlsConfiguration: TLSConfiguration,
        responder: any StorefrontResponder,
        group: any EventLoopGroup,
        metrics: EdgeMetrics? = nil,
        logger: Logger = Logger(label: "edge.storefront-server", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> StorefrontServer {
        try await Self.start(
            configuration: configuration,
            tls: .single(try NIOSSLContext(configuration: tlsConfiguration)),
            responder: responder,
            group: group,
            metrics: metrics,
            logger: logger
        )
    }

    /// Where a connection's TLS context comes from.
    private enum TLSContexts: Sendable {
        /// One context for every connection.
        case single(NIOSSLContext)
        /// The context of the certificate the store serves for the connection's SNI name.
        case perServerName(CertificateStore)
    }

    private static func start(
        configuration: Configuration,
        tls: TLSContexts,
        responder: any StorefrontResponder,
        group: any EventLoopGroup,
        metrics: EdgeMetrics?,
        logger: Logger
    ) async throws -> StorefrontServer {
        let limits = configuration.limits
        let tracker = ConnectionTracker(maxConnections: limits.maxConnections)
        let reloadable = ReloadableSettings(
            trustedProxies: configuration.trustedProxies,
            accessLog: configuration.accessLog
        )

        let configureConnection: @Sendable (any Channel) throws -> Void = { channel in
            try Self.configureHTTPS(
                channel,
                tls: tls,
                reloadable: reloadable.current,
                limits: limits,
                metrics: metrics,
                responder: responder,
                logger: logger
            )
        }
        // One listener per event loop, all on one port: each loop accepts the connections it
        // serves. A single listener hands every other connection to the other loop and back,
        // three cross-thread hops before its handshake can start.
        var listeners: [any Channel] = []
        do {
            var port = configuration.port
            for loop in group.makeIterator() {
                let listener = try await Self.bootstrap(
                    group: loop,
                    tracker: tracker,
                    limits: limits,
                    configure: configureConnection
                )
                .serverChannelOption(Self.reusePort, value: 1)
                .bind(host: configuration.host, port: port).get()
                tracker.addListener(listener)
                listeners.append(listener)
                port = listener.localAddress?.port ?? port
            }
        } catch {
            for listener in listeners {
                try? await listener.close()
            }
            throw error
        }
        let httpsListeners = listeners
        let httpsPort = listeners.first?.localAddress?.port ?? configuration.port
        var redirectPort: Int?
        if let redirect = configuration.redirectListener {
            do {
                let http = try await Self.bootstrap(group: group, tracker: tracker, limits: limits) { channel in
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(readTimeout: limits.idleTimeout),
                        IdleCloseHandler()
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withErrorHandling: true
                    )
                    try channel.pipeline.syncOperations.addHandler(HTTPRedirectHandler(httpsPort: httpsPort))
                }
                .bind(host: redirect.host, port: redirect.port).get()
                tracker.addListener(http)
                listeners.append(http)
                redirectPort = http.localAddress?.port
            } catch {
                for listener in httpsListeners {
                    try? await listener.close()
                }
                throw error
            }
        }
        logger.info(
            "storefront server listening",
            metadata: [
                "server.https.port": "\(httpsPort)", "server.http.port": "\(redirectPort.map(String.init) ?? "none")",
            ]
        )
        return StorefrontServer(
            port: httpsPort,
            redirectPort: redirectPort,
            listeners: listeners,
            tracker: tracker,
            reloadable: reloadable,
            logger: logger
        )
    }

    /// Applies new trusted proxies and access log to connections accepted from now on; open
    /// ones keep theirs.
    public func reload(trustedProxies: TrustedProxies, accessLog: AccessLog?) {
        self.reloadable.current = (trustedProxies, accessLog)
    }

    /// Stops accepting, lets requests in flight finish for up to `gracePeriod`, then closes every connection.
    public func shutdown(gracePeriod: Duration) async {
        for listener in self.listeners {
            try? await listener.close()
        }
        let open = self.tracker.openConnections
        self.logger.info("storefront server draining", metadata: ["server.connections": "\(open.count)"])
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(QuiesceEvent())
        }
        let tracker = self.tracker
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tracker.waitUntilAllClosed() }
            group.addTask { try? await Task.sleep(for: gracePeriod) }
            await group.next()
            group.cancelAll()
        }
        for connection in self.tracker.openConnections {
            try? await connection.close()
        }
        await tracker.waitUntilAllClosed()
        self.logger.info("storefront server stopped")
    }

    /// `SO_REUSEPORT`, which lets every event loop's listener bind the HTTPS port; NIO names no
    /// such option itself.
    private static let reusePort = ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT))

    private static func bootstrap(
        group: any EventLoopGroup,
        tracker: ConnectionTracker,
        limits: Limits,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard tracker.register(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try configure(channel)
                }
            }
    }

    private static func configureHTTPS(
        _ channel: any Channel,
        tls: TLSContexts,
        reloadable: (trustedProxies: TrustedProxies, accessLog: AccessLog?),
        limits: Limits,
        metrics: EdgeMetrics?,
        responder: any StorefrontResponder,
        logger: Logger
    ) throws {
        let peerAddress = channel.remoteAddress?.ipAddress
        // A connection gets the idle timeout to finish its handshake. One timer rather than
        // `IdleStateHandler`, which would sit in the pipeline until the protocol is chosen and
        // then have to be taken out again.
        let handshakeDeadline = channel.eventLoop.assumeIsolated().scheduleTask(in: limits.idleTimeout) {
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in handshakeDeadline.cancel() }
        // What the ClientHello asked for and what it got; `nil` with one context for everyone.
        let served = NIOLoopBoundBox<(serverName: String?, certificate: CertificateBundle)?>(
            nil,
            eventLoop: channel.eventLoop
        )
        let alpn = ApplicationProtocolNegotiationHandler { result in
            handshakeDeadline.cancel()
            return channel.eventLoop.makeCompletedFuture {
                // Last for now, so directly above the TLS handler once ALPN's handler is gone.
                try channel.pipeline.syncOperations.addHandler(TLSCloseHandler(lingerTimeout: limits.lingerTimeout))
                let connection = ConnectionContext(
                    peerAddress: peerAddress,
                    serverName: served.value?.serverName,
                    certificate: served.value?.certificate,
                    trustedProxies: reloadable.trustedProxies,
                    observer: ResponseObserver(metrics: metrics, accessLog: reloadable.accessLog)
                )
                let http2: Bool
                switch result {
                case .negotiated("h2"):
                    http2 = true
                case .negotiated("http/1.1"), .fallback:
                    http2 = false
                case .negotiated:
                    channel.close(promise: nil)
                    return
                }
                metrics?.recordHandshake(http2: http2)
                try Self.addProtocolHandler(
                    to: channel,
                    http2: http2,
                    limits: limits,
                    responder: responder,
                    connection: connection,
                    logger: logger
                )
            }
        }
        switch tls {
        case .single(let context):
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        case .perServerName(let certificates):
            // NIOSSL does not tell a server the SNI name, so it is read from the ClientHello, and
            // the TLS handler with that name's certificate goes in after it.
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(
                    SNIHandler { result in
                        let serverName: String? = if case .hostname(let name) = result { name } else { nil }
                        do {
                            let (context, certificate) = try certificates.serverContext(forServerName: serverName)
                            served.value = (serverName, certificate)
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLServerHandler(context: context),
                                position: .before(alpn)
                            )
                        } catch {
                            logger.error(
                                "no TLS context for the server name",
                                metadata: ["tls.server_name": "\(serverName ?? "none")", "error": "\(error)"]
                            )
                            channel.close(promise: nil)
                        }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                )
            )
        }
        try channel.pipeline.syncOperations.addHandler(alpn)
    }

    /// Puts the handler of the protocol ALPN chose on `channel`.
    static func addProtocolHandler(
        to channel: any Channel,
        http2: Bool,
        limits: Limits,
        responder: any StorefrontResponder,
        connection: ConnectionContext,
        logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        if http2 {
            // `StorefrontHTTP2Handler` closes an idle connection itself, with GOAWAY and
            // close_notify, when this reports the connection silent.
            try pipeline.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout), position: .first)
            try pipeline.addHandler(
                StorefrontHTTP2Handler(responder: responder, limits: limits, connection: connection, logger: logger)
            )
        } else {
            // StorefrontRequestHandler reads the requests, keeps its own header-read and
            // keep-alive deadline, and writes the responses.
            try pipeline.addHandler(
                StorefrontRequestHandler(responder: responder, limits: limits, connection: connection, logger: logger)
            )
        }
    }
}
