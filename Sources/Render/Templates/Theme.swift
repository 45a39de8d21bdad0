import Mustache

/// A compiled theme: every template parsed once into a `MustacheLibrary`, plus its assets.
///
/// A theme is immutable and `Sendable`; one value is shared by every render of every tenant
/// that uses it. Tenant overrides produce a new `Theme` (see ``ThemeLibrary/compile(_:)``)
/// whose library holds the built-in templates with the tenant's partials laid over them, so
/// one tenant's overrides can never leak into another tenant's pages.
public struct Theme: Sendable {
    /// The theme's name: a built-in name, or the tenant template's name for an override.
    public let name: String
    /// The built-in theme this theme's templates and assets come from.
    public let builtInName: String
    /// The names of every template the theme holds (pages and partials).
    public var templateNames: [String] { self.sources.keys.sorted() }

    let sources: [String: String]
    let library: MustacheLibrary
    let assets: ThemeAssets

    init(
        name: String,
        builtInName: String,
        sources: [String: String],
        templates: [String: MustacheTemplate],
        assets: ThemeAssets
    ) {
        self.name = name
        self.builtInName = builtInName
        self.sources = sources
        self.library = MustacheLibrary(templates: templates)
        self.assets = assets
    }

    func render(_ context: [String: Any], template: String) -> String {
        self.library.render(context, withTemplate: template) ?? ""
    }
}

/// The static assets a theme ships: its stylesheet and its component script.
struct ThemeAssets: Sendable {
    let stylesheet: Asset
    let script: Asset
}
