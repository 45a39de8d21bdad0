public import Foundation

/// Identifies one cached page: which tenant, which content version, which route and query.
///
/// The content version is the invalidation mechanism: any change to a tenant's configuration,
/// templates, catalog or domains bumps it, so new requests build keys that miss, and entries
/// under the old version are never looked up again and age out under the byte budget.
///
/// The response encoding is deliberately not part of the key. One render yields one
/// ``CachedPage`` holding both the identity and the gzip body, charged once against the
/// budget; the request's negotiated encoding picks a ``CachedPage/Representation`` at serve
/// time. Keying by encoding would render every page twice (once per encoding) or store it
/// twice.
public struct CacheKey: Sendable, Hashable {
    /// The tenant the page belongs to.
    public var tenantID: UUID
    /// The tenant's content version when the page was rendered.
    public var contentVersion: UInt64
    /// The request path, as the router normalised it (e.g. `/products/aviator`).
    public var route: String
    /// The query in canonical form; see ``normalizeQuery(_:keeping:)``.
    public var query: String

    /// Creates a key for a request without a query.
    public init(tenantID: UUID, contentVersion: UInt64, route: String) {
        self.tenantID = tenantID
        self.contentVersion = contentVersion
        self.route = route
        self.query = ""
    }

    /// Creates a key, normalising `rawQuery` (the part after `?`, without the `?`).
    ///
    /// Pass `keeping` with the parameter names the route reads: other parameters cannot then
    /// multiply cache entries (`?utm_source=…`, or a client appending random values).
    public init(
        tenantID: UUID,
        contentVersion: UInt64,
        route: String,
        rawQuery: some StringProtocol,
        keeping names: Set<String>? = nil
    ) {
        self.tenantID = tenantID
        self.contentVersion = contentVersion
        self.route = route
        self.query = Self.normalizeQuery(rawQuery, keeping: names)
    }

    /// Puts a query in canonical form: parameters sorted by name then value (byte order),
    /// empty parameters dropped, and, when `names` is given, only those parameters kept.
    ///
    /// Names and values are compared as sent, without percent-decoding: two spellings of one
    /// value become two entries, which wastes a little memory but can never serve one query's
    /// page for another.
    public static func normalizeQuery(_ rawQuery: some StringProtocol, keeping names: Set<String>? = nil) -> String {
        // Most requests have no query; splitting nothing still cost every cache hit a conversion.
        guard !rawQuery.isEmpty else { return "" }
        var parameters = String(rawQuery).split(separator: "&")
        if let names {
            parameters.removeAll { parameter in
                let name = parameter.prefix { $0 != "=" }
                return !names.contains(String(name))
            }
        }
        guard parameters.count > 1 else {
            return parameters.first.map(String.init) ?? ""
        }
        parameters.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return parameters.joined(separator: "&")
    }
}
