public import Foundation

/// A product in a tenant's catalog, addressed by its slug (`/products/<slug>`).
public struct Product: Sendable, Hashable, Codable, Identifiable {
    /// The most images one product may list.
    public static let maximumImages = 20
    /// The most attributes one product may have.
    public static let maximumAttributes = 50
    /// The highest price in minor units (a billion in major units of a two-decimal currency).
    public static let maximumPriceMinor = 100_000_000_000

    /// `[a-z0-9-]`, unique per tenant.
    public var slug: String
    public var name: String
    /// Plain text; may be empty.
    public var description: String
    /// The price in the currency's minor unit (cents for EUR), so no rounding ever happens.
    public var priceMinor: Int
    /// ISO 4217 code.
    public var currency: String
    /// `http(s)` URLs or absolute paths; the first is the main image.
    public var images: [String]
    public var categorySlug: String?
    /// Free-form facts such as frame shape or colour, used by filters and try-on.
    public var attributes: [String: String]
    /// Shown on the storefront's home page.
    public var featured: Bool
    /// Set by the repository.
    public var createdAt: Date
    /// Set by the repository.
    public var updatedAt: Date

    public var id: String { self.slug }

    public init(
        slug: String,
        name: String,
        description: String = "",
        priceMinor: Int,
        currency: String,
        images: [String] = [],
        categorySlug: String? = nil,
        attributes: [String: String] = [:],
        featured: Bool = false,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.slug = slug
        self.name = name
        self.description = description
        self.priceMinor = priceMinor
        self.currency = currency
        self.images = images
        self.categorySlug = categorySlug
        self.attributes = attributes
        self.featured = featured
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// What the catalog would refuse in this product, located from the product itself (e.g.
    /// `/priceMinor`); empty when it would be accepted. Lets an importer report every invalid
    /// line of a file before it writes any of them.
    public var validationProblems: [ValidationProblem] {
        var problems = ProblemList()
        self.validate(at: .root, into: &problems)
        return problems.problems
    }

    func validate(at pointer: JSONPointer, into problems: inout ProblemList) {
        problems.check(self.slug, .slug, at: pointer.appending("slug"))
        problems.check(self.name, .text(maxLength: 200), at: pointer.appending("name"))
        if !self.description.isEmpty {
            problems.check(
                self.description,
                .text(maxLength: 10_000, multiline: true),
                at: pointer.appending("description")
            )
        }
        if !(0...Self.maximumPriceMinor).contains(self.priceMinor) {
            problems.add(pointer.appending("priceMinor"), "must be from 0 to \(Self.maximumPriceMinor)")
        }
        problems.check(self.currency, .currency, at: pointer.appending("currency"))
        if self.images.count > Self.maximumImages {
            problems.add(pointer.appending("images"), "must have at most \(Self.maximumImages) images")
        }
        for (index, image) in self.images.enumerated() {
            problems.check(image, .urlOrPath, at: pointer.appending("images").appending(index))
        }
        if let categorySlug = self.categorySlug {
            problems.check(categorySlug, .slug, at: pointer.appending("categorySlug"))
        }
        if self.attributes.count > Self.maximumAttributes {
            problems.add(pointer.appending("attributes"), "must have at most \(Self.maximumAttributes) attributes")
        }
        for (name, value) in self.attributes.sorted(by: { $0.key < $1.key }) {
            let attribute = pointer.appending("attributes").appending(name)
            if let message = FieldRule.text(maxLength: 64).problem(with: name) {
                problems.add(attribute, "attribute name \(message)")
            }
            problems.check(value, .text(maxLength: 500), at: attribute)
        }
    }
}
