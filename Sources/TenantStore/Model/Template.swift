public import Foundation

/// A storefront template of one tenant: a built-in theme's settings plus optional partials that
/// override the theme's own. Exactly one of a tenant's templates is active.
public struct Template: Sendable, Hashable, Codable, Identifiable {
    /// The most partials one template may override.
    public static let maximumPartials = 100
    /// The largest partial source, in UTF-8 bytes.
    public static let maximumPartialBytes = 256 * 1024

    /// A slug, e.g. `base` or `premium`; unique per tenant.
    public var name: String
    /// Theme settings; always a JSON object.
    public var config: JSONValue
    /// Mustache partials by name that replace the theme's.
    public var source: [String: String]?
    public var isActive: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public var id: String { self.name }

    public init(
        name: String,
        config: JSONValue = [:],
        source: [String: String]? = nil,
        isActive: Bool = false,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.name = name
        self.config = config
        self.source = source
        self.isActive = isActive
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    func validate(into problems: inout ProblemList) {
        problems.check(self.name, .slug, at: .root.appending("name"))
        if self.config.objectValue == nil {
            problems.add(.root.appending("config"), "expected object, got \(self.config.typeName)")
        }
        guard let source = self.source else { return }
        let pointer = JSONPointer.root.appending("source")
        if source.count > Self.maximumPartials {
            problems.add(pointer, "must have at most \(Self.maximumPartials) partials")
        }
        for (name, text) in source.sorted(by: { $0.key < $1.key }) {
            problems.check(name, .partialName, at: pointer.appending(name))
            if text.utf8.count > Self.maximumPartialBytes {
                problems.add(pointer.appending(name), "must be at most \(Self.maximumPartialBytes) bytes")
            }
        }
    }
}
