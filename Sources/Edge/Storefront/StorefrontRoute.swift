import Foundation
import Render
import TenantStore

/// What a storefront path asks for, decided from the path and query alone (no tenant data).
enum StorefrontRoute: Sendable, Hashable {
    /// A page the renderer draws; ``cacheRoute`` and ``cacheQuery`` name it in the page cache.
    case page(StorefrontPage)
    /// `/cart` or `/checkout`: built from the shopper's own lines, so never shared or cached.
    case personal(StorefrontPage)
    /// `/assets/{fingerprint}/{file}`.
    case asset(path: String)
    /// `/images/demo/{name}.svg`: the demo catalog's pictures.
    case demoImage(name: String)
    case robots
    case sitemap
    /// `POST /api/orders`.
    case placeOrder
    /// `POST /api/consultation`.
    case submitLead

    /// Query parameters each listing route reads; the others are dropped from cache keys.
    static let categoryParameters: Set<String> = ["sort", "page"]
    static let searchParameters: Set<String> = ["q", "page"]

    /// Parses a request path and raw query. Unknown paths map to the not-found page, which all
    /// of them share in the cache (keyed by ``notFoundRoute``, not by the path).
    init(path: String, query: String?) {
        let segments = Segments(path)
        let parameters = QueryParameters(query)
        switch (segments.count, segments.first) {
        case (1, ""):
            self = .page(.home)
        case (2, "products") where !segments.last.isEmpty:
            self = .page(.product(slug: String(segments.last)))
        case (2, "categories") where !segments.last.isEmpty:
            let sort = parameters["sort"].flatMap(ProductSort.init(rawValue:)) ?? .featured
            self = .page(.category(slug: String(segments.last), sort: sort, page: parameters.pageNumber))
        case (1, "search"):
            self = .page(.search(query: parameters["q"] ?? "", page: parameters.pageNumber))
        case (1, "cart"):
            self = .personal(.cart(parameters.cartLines))
        case (1, "checkout"):
            self = .personal(.checkout(parameters.cartLines))
        case (3, "assets"):
            self = .asset(path: path)
        case (3, "images") where segments.second == "demo" && segments.last.hasSuffix(".svg"):
            self = .demoImage(name: String(segments.last.dropLast(4)))
        case (1, "robots.txt"):
            self = .robots
        case (1, "sitemap.xml"):
            self = .sitemap
        case (2, "api") where segments.last == "orders":
            self = .placeOrder
        case (2, "api") where segments.last == "consultation":
            self = .submitLead
        default:
            self = .page(.notFound)
        }
    }

    /// What routing needs of the `/`-separated segments after the path's first `/`: how many,
    /// and the first, second and last. Found in one scan, without the array `split` builds,
    /// because every request is routed (`split` was 3 % of the server's CPU under load). The
    /// scan runs over the path's bytes and makes the three substrings at its end: stepping
    /// the UTF-8 view index by index and taking a substring per segment cost as much again.
    private struct Segments {
        let count: Int
        let first: Substring
        let second: Substring
        let last: Substring

        init(_ path: String) {
            var path = path
            let (count, first, second, last) = path.withUTF8 { bytes in
                let slash = UInt8(ascii: "/")
                var count = 0
                var first = 0..<0
                var second = 0..<0
                var last = 0..<0
                var boundary = bytes.firstIndex(of: slash)
                while let slashIndex = boundary {
                    let start = slashIndex + 1
                    boundary = bytes[start...].firstIndex(of: slash)
                    let segment = start..<(boundary ?? bytes.count)
                    count += 1
                    if count == 1 { first = segment }
                    if count == 2 { second = segment }
                    last = segment
                }
                return (count, first, second, last)
            }
            let utf8 = path.utf8
            func substring(_ offsets: Range<Int>) -> Substring {
                let start = utf8.index(utf8.startIndex, offsetBy: offsets.lowerBound)
                let end = utf8.index(start, offsetBy: offsets.count)
                return Substring(utf8[start..<end])
            }
            self.count = count
            self.first = substring(first)
            self.second = substring(second)
            self.last = substring(last)
        }
    }

    /// The route under which unknown paths share one cache entry.
    static let notFoundRoute = "#not-found"

    /// The page-cache route and the query parameters it depends on; `nil` when the response
    /// must not be cached (personal pages and submissions).
    func cacheIdentity(path: String) -> (route: String, parameters: Set<String>)? {
        switch self {
        case .page(.notFound):
            (Self.notFoundRoute, [])
        case .page(.category):
            (path, Self.categoryParameters)
        case .page(.search):
            (path, Self.searchParameters)
        case .page, .asset, .demoImage, .robots, .sitemap:
            (path, [])
        case .personal, .placeOrder, .submitLead:
            nil
        }
    }
}

/// A decoded `application/x-www-form-urlencoded` string: a URL query or a form body.
struct QueryParameters: Sendable {
    /// Name and value pairs in order, percent-decoded, `+` read as a space.
    let pairs: [(name: String, value: String)]

    init(_ raw: String?) {
        guard let raw, !raw.isEmpty else {
            self.pairs = []
            return
        }
        self.pairs = raw.split(separator: "&").map { parameter in
            let name = parameter.prefix { $0 != "=" }
            let value = parameter.dropFirst(name.count + 1)
            return (Self.decode(name), Self.decode(value))
        }
    }

    /// The first value for `name`.
    subscript(name: String) -> String? {
        self.pairs.first { $0.name == name }?.value
    }

    /// Every value for `name`, in order.
    func all(_ name: String) -> [String] {
        self.pairs.filter { $0.name == name }.map(\.value)
    }

    /// `?page=` as a positive number; anything else is the first page.
    var pageNumber: Int {
        self["page"].flatMap { Int($0) }.map { max(1, min($0, 10_000)) } ?? 1
    }

    /// Cart lines from `item=slug:quantity` pairs (the cart and checkout forms) and the product
    /// page's `add=slug&quantity=n`.
    var cartLines: [OrderRequest.Line] {
        var lines = self.all("item").compactMap(Self.line)
        if let slug = self["add"], !slug.isEmpty {
            let quantity = self["quantity"].flatMap { Int($0) } ?? 1
            if let index = lines.firstIndex(where: { $0.productSlug == slug }) {
                lines[index].quantity += quantity
            } else {
                lines.append(OrderRequest.Line(productSlug: slug, quantity: quantity))
            }
        }
        return lines
    }

    /// `slug:quantity` as an order line; a missing quantity means one.
    static func line(_ value: String) -> OrderRequest.Line? {
        let parts = value.split(separator: ":", maxSplits: 1)
        guard let slug = parts.first, !slug.isEmpty else { return nil }
        let quantity = parts.count > 1 ? Int(parts[1]) : 1
        return quantity.map { OrderRequest.Line(productSlug: String(slug), quantity: $0) }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension StorefrontRoute {
    /// Whether the route is a fingerprinted asset, whose bytes never change.
    var isAsset: Bool {
        if case .asset = self { return true }
        return false
    }
}
