/// A tenant's configuration documents, as stored, with typed views for the renderer.
///
/// Every section was validated when it was written, so the typed views decode; a section that
/// is not set reads as `nil` (or, for ``features``, every flag off).
public struct TenantConfiguration: Sendable, Hashable {
    /// The sections that are set.
    public let sections: [ConfigurationKey: JSONValue]
    /// The tenant's content version when this was read: an entity tag for the configuration,
    /// to pass back as `ifContentVersion` for a conditional write.
    public let contentVersion: UInt64
    public let branding: Branding?
    public let features: Features
    public let commerce: Commerce?
    public let integrations: Integrations?

    init(sections: [ConfigurationKey: JSONValue], contentVersion: UInt64) throws {
        self.sections = sections
        self.contentVersion = contentVersion
        self.branding = try sections[.branding]?.decode(as: Branding.self)
        self.features = try sections[.features]?.decode(as: Features.self) ?? Features()
        self.commerce = try sections[.commerce]?.decode(as: Commerce.self)
        self.integrations = try sections[.integrations]?.decode(as: Integrations.self)
    }

    /// The whole configuration as one document keyed by section name.
    public var document: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: self.sections.map { ($0.key.rawValue, $0.value) }))
    }
}
