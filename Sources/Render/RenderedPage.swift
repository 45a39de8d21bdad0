/// A rendered response body with the headers that belong to it.
public struct RenderedPage: Sendable, Hashable {
    /// The HTTP status: 200, 404 for ``StorefrontPage/notFound`` and unknown slugs, 503 for
    /// ``StorefrontPage/unavailable``.
    public var status: Int
    /// The `Content-Type` value.
    public var contentType: String
    /// The response body.
    public var body: [UInt8]

    /// Creates a rendered page.
    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The body compressed with gzip, for a cache that keeps both encodings; an empty result
    /// means compression failed and only the identity body should be served.
    public func gzipBody() -> [UInt8] {
        Gzip.compress(self.body)
    }
}
