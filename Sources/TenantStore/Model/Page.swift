/// One page of a listing, in the listing's order.
///
/// Pass ``nextCursor`` as `after:` to the same listing to read the next page; a cursor is opaque
/// and only meaningful to the listing that produced it.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page.
    public var items: [Item]
    /// Where the next page starts; `nil` when this page is the last.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
extension Page: Encodable where Item: Encodable {}
extension Page: Decodable where Item: Decodable {}
