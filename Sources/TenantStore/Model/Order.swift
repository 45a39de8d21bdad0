public import Foundation

/// An order a shopper placed in a tenant's store, with prices copied from the catalog at the time.
public struct Order: Sendable, Hashable, Codable, Identifiable {
    /// Where an order is in fulfilment.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case received
        case confirmed
        case shipped
        case completed
        case cancelled
    }

    /// One line: a product, how many, and its price when ordered.
    public struct Item: Sendable, Hashable, Codable {
        public var productSlug: String
        /// The product's name when ordered.
        public var name: String
        /// At least 1.
        public var quantity: Int
        /// The product's price in minor units when ordered.
        public var unitPriceMinor: Int

        public init(productSlug: String, name: String, quantity: Int, unitPriceMinor: Int) {
            self.productSlug = productSlug
            self.name = name
            self.quantity = quantity
            self.unitPriceMinor = unitPriceMinor
        }
    }

    /// Who ordered and where it goes.
    public struct Customer: Sendable, Hashable, Codable {
        public var name: String
        public var email: String
        /// The postal address as the shopper wrote it.
        public var address: String

        public init(name: String, email: String, address: String) {
            self.name = name
            self.email = email
            self.address = address
        }
    }

    /// Time-sortable; listings show the newest first.
    public var id: RecordID
    public var items: [Item]
    /// The sum of quantity × unit price over the items, in minor units.
    public var totalMinor: Int
    /// ISO 4217 code shared by every item.
    public var currency: String
    public var customer: Customer
    public var status: Status
    public var createdAt: Date

    public init(
        id: RecordID,
        items: [Item],
        totalMinor: Int,
        currency: String,
        customer: Customer,
        status: Status,
        createdAt: Date
    ) {
        self.id = id
        self.items = items
        self.totalMinor = totalMinor
        self.currency = currency
        self.customer = customer
        self.status = status
        self.createdAt = createdAt
    }
}

/// What a shopper submits to place an order: products and quantities only. Names and prices
/// come from the tenant's catalog, never from the shopper.
public struct OrderRequest: Sendable, Hashable, Codable {
    /// One requested product and quantity.
    public struct Line: Sendable, Hashable, Codable {
        public var productSlug: String
        public var quantity: Int

        public init(productSlug: String, quantity: Int) {
            self.productSlug = productSlug
            self.quantity = quantity
        }
    }

    public var items: [Line]
    public var customer: Order.Customer

    public init(items: [Line], customer: Order.Customer) {
        self.items = items
        self.customer = customer
    }
}
