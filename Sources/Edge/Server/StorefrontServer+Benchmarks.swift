import Logging
public import NIOCore

extension StorefrontServer {
    /// Puts the storefront's HTTP/1.1 or HTTP/2 handler on `channel` as the server does once
    /// ALPN has chosen the protocol, answering every `GET` and `HEAD` with `page` the way a
    /// cache hit is answered: negotiated encoding, `ETag`, `304`.
    ///
    /// For `bench/run micro`, which measures the transports' share of a cache hit (reading the
    /// request, writing the status line, fields and body, or the HEADERS and DATA frames) on an
    /// `EmbeddedChannel`, apart from TLS, sockets and the lookups. Behind an SPI because the
    /// benchmarks are a package of their own and nothing else should build a connection
    /// without TLS.
    @_spi(Benchmarks)
    public static func addProtocolHandler(
        to channel: any Channel,
        http2: Bool,
        answering page: CachedPage,
        limits: Limits = Limits()
    ) throws {
        let connection = ConnectionContext(
            peerAddress: "127.0.0.1",
            serverName: nil,
            certificate: nil,
            trustedProxies: try TrustedProxies(parsing: [])
        )
        try Self.addProtocolHandler(
            to: channel,
            http2: http2,
            limits: limits,
            responder: PageResponder(page: page),
            connection: connection,
            logger: Logger(label: "edge.benchmark")
        )
    }
}

/// Answers every request with one cached page, through the same response builder as a hit.
private struct PageResponder: StorefrontResponder {
    let page: CachedPage

    func immediateResponse(to request: StorefrontRequest) -> StorefrontResponse? {
        var response = StorefrontService.response(from: self.page, to: request)
        response.cacheStatus = .hit
        return response
    }

    func respond(to request: StorefrontRequest) async -> StorefrontResponse {
        StorefrontService.response(from: self.page, to: request)
    }
}
