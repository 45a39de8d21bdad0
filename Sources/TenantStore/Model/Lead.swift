public import Foundation

/// A consultation request a shopper submitted in a tenant's store.
public struct Lead: Sendable, Hashable, Codable, Identifiable {
    /// Time-sortable; listings show the newest first.
    public var id: RecordID
    public var name: String
    public var email: String
    public var phone: String?
    public var message: String
    /// The product the shopper asked about, if any.
    public var productSlug: String?
    public var createdAt: Date

    public init(
        id: RecordID,
        name: String,
        email: String,
        phone: String? = nil,
        message: String,
        productSlug: String? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
        self.message = message
        self.productSlug = productSlug
        self.createdAt = createdAt
    }
}

/// What a shopper submits to request a consultation.
public struct LeadRequest: Sendable, Hashable, Codable {
    public var name: String
    public var email: String
    public var phone: String?
    public var message: String
    public var productSlug: String?

    public init(name: String, email: String, phone: String? = nil, message: String, productSlug: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.message = message
        self.productSlug = productSlug
    }

    func validate(into problems: inout ProblemList) {
        problems.check(self.name, .text(maxLength: 200), at: .root.appending("name"))
        problems.check(self.email, .email, at: .root.appending("email"))
        if let phone = self.phone {
            problems.check(phone, .phone, at: .root.appending("phone"))
        }
        problems.check(self.message, .text(maxLength: 5000, multiline: true), at: .root.appending("message"))
        if let productSlug = self.productSlug {
            problems.check(productSlug, .slug, at: .root.appending("productSlug"))
        }
    }
}
