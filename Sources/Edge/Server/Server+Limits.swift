public import NIOCore

extension StorefrontServer {
    /// The bounds that keep one client from holding the server.
    ///
    /// Every limit answers a specific abuse: oversized headers (431) and bodies (413) bound
    /// memory per request, the header-read timeout defeats slowloris clients that trickle a
    /// request head, the idle timeout reclaims silent connections, and the connection cap
    /// bounds file descriptors and TLS state. The HTTP/2 values are advertised in SETTINGS.
    public struct Limits: Sendable, Hashable {
        /// The largest HTTP/1.1 request head (request line and header fields), in bytes.
        public var maxHeaderBytes: Int
        /// The largest request body, in bytes.
        public var maxBodyBytes: Int
        /// How long a client may take to send a complete request head.
        public var headerReadTimeout: TimeAmount
        /// How long a connection may stay silent before it is closed.
        public var idleTimeout: TimeAmount
        /// How long a client may keep its side of a TLS connection open after the server
        /// closed it (sent close_notify and FIN) before the socket is closed regardless.
        public var lingerTimeout: TimeAmount
        /// The most connections open at once; accepting pauses at the cap.
        public var maxConnections: Int
        /// `SETTINGS_MAX_CONCURRENT_STREAMS` for HTTP/2.
        public var http2MaxConcurrentStreams: Int
        /// `SETTINGS_MAX_HEADER_LIST_SIZE` for HTTP/2.
        public var http2MaxHeaderListSize: Int

        public init(
            maxHeaderBytes: Int = 16 * 1024,
            maxBodyBytes: Int = 1024 * 1024,
            headerReadTimeout: TimeAmount = .seconds(10),
            idleTimeout: TimeAmount = .seconds(60),
            lingerTimeout: TimeAmount = .seconds(5),
            maxConnections: Int = 10_000,
            http2MaxConcurrentStreams: Int = 100,
            http2MaxHeaderListSize: Int = 16 * 1024
        ) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.headerReadTimeout = headerReadTimeout
            self.idleTimeout = idleTimeout
            self.lingerTimeout = lingerTimeout
            self.maxConnections = maxConnections
            self.http2MaxConcurrentStreams = http2MaxConcurrentStreams
            self.http2MaxHeaderListSize = http2MaxHeaderListSize
        }
    }
}
