public import Foundation
public import NIOCore

/// One storefront request, as the transport hands it over: HTTP/1.1 and HTTP/2 alike.
public struct StorefrontRequest: Sendable {
    /// `GET`, `HEAD`, `POST`…
    public var method: String
    /// The raw `Host` header or `:authority`, not yet normalised.
    public var authority: String
    /// The path, without the query.
    public var path: String
    /// The raw query string after `?`, if any.
    public var query: String?
    /// Request headers, names lowercased.
    public var headers: [(name: String, value: String)]
    /// The peer's address, for rate limits and logs.
    public var clientAddress: String?
    /// The request body (bounded by the transport), for `POST`s.
    public var body: ByteBuffer?
    /// ``authority`` normalized, when the transport already did it (it checks the host against
    /// the connection's certificate); `nil` when not done or not a host name.
    var normalizedHost: HostName?

    public init(
        method: String,
        authority: String,
        path: String,
        query: String?,
        headers: [(name: String, value: String)],
        clientAddress: String?,
        body: ByteBuffer?
    ) {
        self.method = method
        self.authority = authority
        self.path = path
        self.query = query
        self.headers = headers
        self.clientAddress = clientAddress
        self.body = body
    }

    /// The first value of a header, by lowercase name.
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name == name }?.value
    }
}

/// The answer to a ``StorefrontRequest``.
public struct StorefrontResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers; the transport adds `Date`, `Content-Length` and HSTS.
    public var headers: [(name: String, value: String)]
    /// The body; shared with the page cache, never copied.
    public var body: ByteBuffer
    /// The tenant that answered, for the access log; `nil` when the host names none.
    public var tenantID: UUID?
    /// How the page cache took part, for the access log.
    public var cacheStatus: CacheStatus
    /// The cached page the response was made from; the fields of its representation in
    /// ``encoding`` are sent before ``headers``. The page rather than a copy of that
    /// representation, so that the response holds one reference where the copy held four.
    var page: CachedPage?
    /// Which of ``page``'s representations the response sends: one the page has.
    var encoding = ContentEncoding.identity

    /// The first value of a header field, by name in any case: the representation's or one of
    /// ``headers``.
    public func header(_ name: String) -> String? {
        let lowercased = name.lowercased()
        var found: String?
        self.page?.withRepresentation(for: self.encoding) { representation in
            representation.forEachField { fieldName, value in
                if found == nil, HeaderFieldName.equal(fieldName, lowercased) { found = value }
            }
        }
        return found ?? self.headers.first { HeaderFieldName.equal($0.name, lowercased) }?.value
    }

    /// How the page cache took part in a response.
    public enum CacheStatus: String, Sendable {
        /// Answered from the cache on the event loop.
        case hit
        /// Answered after reading the store: rendered, or a page another request had just rendered.
        case miss
        /// Not a cacheable response: a submission, a cart, an error.
        case bypass
    }

    public init(
        status: Int,
        headers: [(name: String, value: String)],
        body: ByteBuffer,
        tenantID: UUID? = nil,
        cacheStatus: CacheStatus = .bypass
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.tenantID = tenantID
        self.cacheStatus = cacheStatus
    }
}

/// What the HTTP/1.1 and HTTP/2 handlers call for every storefront request.
///
/// The split keeps the hot path on the event loop: ``immediateResponse(to:)`` answers a cache
/// hit synchronously, with no task hop; only a miss goes through ``respond(to:)``.
public protocol StorefrontResponder: Sendable {
    /// The response when it is available right now (a cached page), or `nil`.
    func immediateResponse(to request: StorefrontRequest) -> StorefrontResponse?
    /// The response, rendering or writing as needed.
    func respond(to request: StorefrontRequest) async -> StorefrontResponse
}
