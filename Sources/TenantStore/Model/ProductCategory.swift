/// A product category of a tenant's catalog (`/categories/<slug>`). Named so that it cannot be
/// confused with the Objective-C runtime's `Category` that Foundation re-exports on Darwin.
public struct ProductCategory: Sendable, Hashable, Codable, Identifiable {
    /// `[a-z0-9-]`, unique per tenant.
    public var slug: String
    public var name: String
    /// Plain text; may be empty.
    public var description: String
    /// Navigation order: lower first, ties by slug.
    public var position: Int

    public var id: String { self.slug }

    public init(slug: String, name: String, description: String = "", position: Int = 0) {
        self.slug = slug
        self.name = name
        self.description = description
        self.position = position
    }

    func validate(into problems: inout ProblemList) {
        problems.check(self.slug, .slug, at: .root.appending("slug"))
        problems.check(self.name, .text(maxLength: 200), at: .root.appending("name"))
        if !self.description.isEmpty {
            problems.check(
                self.description,
                .text(maxLength: 2000, multiline: true),
                at: .root.appending("description")
            )
        }
        if !(-1_000_000...1_000_000).contains(self.position) {
            problems.add(.root.appending("position"), "must be from -1000000 to 1000000")
        }
    }
}
