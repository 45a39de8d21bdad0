/// The name of one configuration document of a tenant; each has its own schema.
public enum ConfigurationKey: String, Sendable, Hashable, Codable, CaseIterable {
    /// Company name, logo, favicon, colours and fonts: see ``Branding``.
    case branding
    /// Which storefront components are on: see ``Features``.
    case features
    /// Catalog, payment and shipping settings: see ``Commerce``.
    case commerce
    /// Third-party integrations: see ``Integrations``.
    case integrations

    var schema: Schema {
        switch self {
        case .branding:
            .object([
                "companyName": .string(.text(maxLength: 255)),
                "logo": .string(.urlOrPath),
                "favicon": .string(.urlOrPath),
                "colors": .object([
                    "primary": .string(.hexColor),
                    "secondary": .string(.hexColor),
                    "accent": .string(.hexColor),
                ]),
                "fonts": .object([
                    "heading": .string(.fontFamily),
                    "body": .string(.fontFamily),
                ]),
            ])
        case .features:
            .object([
                "consultation": .bool,
                "vto": .bool,
                "faceAnalysis": .bool,
                "recommendations": .bool,
                "analytics": .bool,
            ])
        case .commerce:
            .object([
                "catalogId": .string(.catalogID),
                "categories": .array(of: .string(.slug), maxCount: 500, uniqueItems: true),
                "paymentMethods": .array(of: .string(.paymentMethod), maxCount: 16, uniqueItems: true),
                "shipping": .object([
                    "regions": .array(of: .string(.region), maxCount: 300, uniqueItems: true),
                    "flatRate": .number(minimum: 0, maximum: 1_000_000_000),
                    "freeAbove": .number(minimum: 0, maximum: 1_000_000_000),
                    "currency": .string(.currency),
                ]),
            ])
        case .integrations:
            .object([
                "googleAnalytics": .string(.googleAnalyticsID),
                "facebook": .string(.facebookPixelID),
                "zapier": .string(.httpsURL),
            ])
        }
    }

    /// Validates `document` as this section, with pointers relative to `pointer`.
    func validate(_ document: JSONValue, at pointer: JSONPointer, into problems: inout ProblemList) {
        self.schema.validate(document, at: pointer, into: &problems)
    }
}
