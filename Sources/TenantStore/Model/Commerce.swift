/// The typed `commerce` configuration document: catalog, payment and shipping settings.
public struct Commerce: Sendable, Hashable, Codable {
    /// The payment methods a tenant may offer.
    public static let supportedPaymentMethods: Set<String> = [
        "card", "paypal", "invoice", "cash-on-delivery", "bank-transfer",
    ]

    /// Where and for how much a tenant ships.
    public struct Shipping: Sendable, Hashable, Codable {
        /// ISO 3166 region codes such as `DE` or `US-CA`.
        public var regions: [String]
        /// The shipping charge in major units of ``currency``.
        public var flatRate: Double?
        /// Orders at or above this amount ship free.
        public var freeAbove: Double?
        /// ISO 4217 code.
        public var currency: String?

        public init(regions: [String] = [], flatRate: Double? = nil, freeAbove: Double? = nil, currency: String? = nil)
        {
            self.regions = regions
            self.flatRate = flatRate
            self.freeAbove = freeAbove
            self.currency = currency
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.regions = try container.decodeIfPresent([String].self, forKey: .regions) ?? []
            self.flatRate = try container.decodeIfPresent(Double.self, forKey: .flatRate)
            self.freeAbove = try container.decodeIfPresent(Double.self, forKey: .freeAbove)
            self.currency = try container.decodeIfPresent(String.self, forKey: .currency)
        }
    }

    public var catalogId: String?
    /// Category slugs shown in the storefront navigation, in order.
    public var categories: [String]
    /// Values from ``supportedPaymentMethods``.
    public var paymentMethods: [String]
    public var shipping: Shipping?

    public init(
        catalogId: String? = nil,
        categories: [String] = [],
        paymentMethods: [String] = [],
        shipping: Shipping? = nil
    ) {
        self.catalogId = catalogId
        self.categories = categories
        self.paymentMethods = paymentMethods
        self.shipping = shipping
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.catalogId = try container.decodeIfPresent(String.self, forKey: .catalogId)
        self.categories = try container.decodeIfPresent([String].self, forKey: .categories) ?? []
        self.paymentMethods = try container.decodeIfPresent([String].self, forKey: .paymentMethods) ?? []
        self.shipping = try container.decodeIfPresent(Shipping.self, forKey: .shipping)
    }
}
