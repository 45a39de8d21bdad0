/// The typed `features` configuration document: which storefront components are shown.
///
/// A flag that is absent (or `null`) in the document is off.
public struct Features: Sendable, Hashable, Codable {
    public var consultation: Bool
    public var vto: Bool
    public var faceAnalysis: Bool
    public var recommendations: Bool
    public var analytics: Bool

    public init(
        consultation: Bool = false,
        vto: Bool = false,
        faceAnalysis: Bool = false,
        recommendations: Bool = false,
        analytics: Bool = false
    ) {
        self.consultation = consultation
        self.vto = vto
        self.faceAnalysis = faceAnalysis
        self.recommendations = recommendations
        self.analytics = analytics
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.consultation = try container.decodeIfPresent(Bool.self, forKey: .consultation) ?? false
        self.vto = try container.decodeIfPresent(Bool.self, forKey: .vto) ?? false
        self.faceAnalysis = try container.decodeIfPresent(Bool.self, forKey: .faceAnalysis) ?? false
        self.recommendations = try container.decodeIfPresent(Bool.self, forKey: .recommendations) ?? false
        self.analytics = try container.decodeIfPresent(Bool.self, forKey: .analytics) ?? false
    }
}
