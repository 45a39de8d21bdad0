public import Foundation
import Mustache
public import TenantStore

/// The built-in themes, compiled once at startup, and the compiler for tenant overrides.
///
/// ```swift
/// let themes = try ThemeLibrary.builtIn()
/// let theme = try themes.compile(tenantTemplate)   // throws RenderError with line/column
/// ```
///
/// Every theme except `base` extends `base`: it ships only the templates it replaces and a
/// stylesheet appended to base's. Parsing happens here and never at render time.
public struct ThemeLibrary: Sendable {
    /// The theme every other theme extends.
    public static let baseThemeName = "base"

    /// Size and nesting limits applied to tenant templates.
    public let limits: TemplateLimits

    private let themes: [String: Theme]

    /// The names of the built-in themes, sorted.
    public var themeNames: [String] { self.themes.keys.sorted() }

    /// Loads and compiles the themes shipped in the module's resources.
    public static func builtIn(limits: TemplateLimits = TemplateLimits()) throws(RenderError) -> ThemeLibrary {
        guard let directory = Bundle.module.url(forResource: "Themes", withExtension: nil) else {
            throw RenderError(
                code: .themeResources,
                message: "the Themes resource directory is missing from the bundle"
            )
        }
        return try ThemeLibrary(directory: directory, limits: limits)
    }

    /// Loads and compiles the themes in `directory`: one folder per theme holding
    /// `templates/*.mustache` and `assets/storefront.css` / `assets/storefront.js`.
    public init(directory: URL, limits: TemplateLimits = TemplateLimits()) throws(RenderError) {
        StorefrontHTML.registered
        self.limits = limits
        let names = try Self.contents(of: directory).filter { !$0.hasPrefix(".") }
        guard names.contains(Self.baseThemeName) else {
            throw RenderError(
                code: .themeResources,
                message: "theme '\(Self.baseThemeName)' is missing in \(directory.path)"
            )
        }
        let base = try Self.loadFiles(directory.appending(path: Self.baseThemeName))
        var themes: [String: Theme] = [:]
        for name in names {
            let own = name == Self.baseThemeName ? base : try Self.loadFiles(directory.appending(path: name))
            let sources = base.templates.merging(own.templates) { _, override in override }
            var stylesheet = base.stylesheet
            if name != Self.baseThemeName {
                stylesheet += "\n" + own.stylesheet
            }
            let assets = ThemeAssets(
                stylesheet: Asset(file: "storefront.css", text: stylesheet),
                script: Asset(file: "storefront.js", text: base.script + own.script)
            )
            var compiled: [String: MustacheTemplate] = [:]
            for (template, source) in sources {
                compiled[template] = try Self.parse(source, partial: template)
            }
            themes[name] = Theme(name: name, builtInName: name, sources: sources, templates: compiled, assets: assets)
        }
        self.themes = themes
    }

    /// The built-in theme called `name`, if there is one.
    public func theme(named name: String) -> Theme? {
        self.themes[name]
    }

    /// Compiles a tenant's template into a theme, or rejects it with a precise error.
    ///
    /// The built-in theme is `config.theme` when set, else the template's name when that is a
    /// built-in theme, else `base`. Each partial in `source` replaces the built-in template of
    /// the same name or adds a new one. Rejected: a syntax error (with line and column), a
    /// partial that includes itself directly or through others (swift-mustache would recurse
    /// until the stack overflows), nesting deeper than ``limits``, sources larger than
    /// ``limits``, a reference to a partial that neither the tenant nor the theme defines, and
    /// tags that would escape the theme's control (unescaped output, dynamic partial names,
    /// delimiter changes, pragmas).
    public func compile(_ template: Template) throws(RenderError) -> Theme {
        let builtInName =
            template.config["theme"]?.stringValue
            ?? (self.themes[template.name] == nil ? Self.baseThemeName : template.name)
        guard let builtIn = self.themes[builtInName] else {
            throw RenderError(code: .unknownTheme, message: "there is no built-in theme named '\(builtInName)'")
        }
        let overrides = template.source ?? [:]
        guard !overrides.isEmpty else { return builtIn }
        try self.limits.checkSizes(overrides)

        var sources = builtIn.sources
        var compiled: [String: MustacheTemplate] = [:]
        var tags: [String: [TemplateTag]] = [:]
        for (name, source) in overrides.sorted(by: { $0.key < $1.key }) {
            guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy(Self.isPartialNameByte) else {
                throw RenderError(
                    code: .syntax,
                    message: "partial names are 1–64 letters, digits, '_' or '-'",
                    partial: name
                )
            }
            compiled[name] = try Self.parse(source, partial: name)
            tags[name] = try TemplateTag.scan(source, partial: name, limits: self.limits)
            sources[name] = source
        }
        try PartialGraph(sources: sources, tenantTags: tags).check(limits: self.limits)
        for name in sources.keys where compiled[name] == nil {
            compiled[name] = builtIn.library.getTemplate(named: name)
        }
        return Theme(
            name: template.name,
            builtInName: builtInName,
            sources: sources,
            templates: compiled,
            assets: builtIn.assets
        )
    }

    private static func isPartialNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    static func parse(_ source: String, partial: String) throws(RenderError) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: source)
        } catch let error as MustacheTemplate.ParserError {
            throw RenderError(
                code: .syntax,
                message: "\(error.error) near '\(error.context.line.trimmingCharacters(in: .whitespaces))'",
                partial: partial,
                line: error.context.lineNumber,
                column: error.context.columnNumber
            )
        } catch {
            throw RenderError(code: .syntax, message: "\(error)", partial: partial)
        }
    }

    private struct ThemeFiles {
        var templates: [String: String] = [:]
        var stylesheet = ""
        var script = ""
    }

    private static func loadFiles(_ directory: URL) throws(RenderError) -> ThemeFiles {
        var files = ThemeFiles()
        let templates = directory.appending(path: "templates")
        for file in try Self.contents(of: templates) where file.hasSuffix(".mustache") {
            files.templates[String(file.dropLast(".mustache".count))] = try Self.read(templates.appending(path: file))
        }
        let assets = directory.appending(path: "assets")
        let assetFiles = try Self.contents(of: assets)
        if assetFiles.contains("storefront.css") {
            files.stylesheet = try Self.read(assets.appending(path: "storefront.css"))
        }
        if assetFiles.contains("storefront.js") {
            files.script = try Self.read(assets.appending(path: "storefront.js"))
        }
        return files
    }

    private static func contents(of directory: URL) throws(RenderError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw RenderError(code: .themeResources, message: "cannot list \(directory.path): \(error)")
        }
    }

    private static func read(_ file: URL) throws(RenderError) -> String {
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw RenderError(code: .themeResources, message: "cannot read \(file.path): \(error)")
        }
    }
}
