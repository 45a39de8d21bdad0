import Foundation
import Render
import TenantStore
import Testing

@Suite struct TenantTemplateTests {
    static func compile(
        _ source: [String: String],
        name: String = "custom",
        theme: String? = nil
    ) throws(RenderError) -> Theme {
        let config: JSONValue = theme.map { ["theme": .string($0)] } ?? [:]
        return try Fixtures.themes.compile(Template(name: name, config: config, source: source))
    }

    static func rejection(_ source: [String: String]) -> RenderError? {
        do {
            _ = try Self.compile(source)
            return nil
        } catch {
            return error
        }
    }

    @Test func overrideReplacesAPartialOnTopOfTheChosenTheme() throws {
        let theme = try Self.compile(
            [
                "hero": "<section class=\"my-hero\">{{hero.heading}} {{>promo}}</section>",
                "promo": "<b>{{store.name}} sale</b>",
            ],
            theme: "premium"
        )
        #expect(theme.builtInName == "premium")
        let html = Renderer(theme: theme, storefront: Fixtures.storefront()).render(.home).text
        #expect(html.contains("<section class=\"my-hero\">Acme Optics <b>Acme Optics sale</b></section>"))
        #expect(html.contains("premium-card"), "the rest of premium stays")
    }

    @Test func noSourceMeansTheBuiltInTheme() throws {
        let theme = try Fixtures.themes.compile(Template(name: "premium"))
        #expect(theme.name == "premium")
        #expect(theme.builtInName == "premium")
        #expect(throws: RenderError.self) {
            try Fixtures.themes.compile(Template(name: "x", config: ["theme": "nope"]))
        }
    }

    @Test func syntaxErrorsCarryLineAndColumn() throws {
        let error = try #require(Self.rejection(["hero": "<h1>\n  {{#open}}\n  text\n"]))
        #expect(error.code == .syntax)
        #expect(error.partial == "hero")
        #expect(error.line != nil && error.column != nil)
        let mismatched = try #require(Self.rejection(["hero": "ok\n{{#a}}x{{/b}}"]))
        #expect(mismatched.code == .syntax)
        #expect(mismatched.line == 2)
    }

    @Test func selfAndIndirectRecursionAreRejected() throws {
        let direct = try #require(Self.rejection(["hero": "x\n  {{>hero}}"]))
        #expect(direct.code == .recursivePartial)
        #expect(direct.partial == "hero")
        #expect(direct.line == 2)
        #expect(direct.column == 3)
        let indirect = try #require(Self.rejection(["a": "{{>b}}", "b": "{{>c}}", "c": "{{#x}}{{>a}}{{/x}}"]))
        #expect(indirect.code == .recursivePartial)
        #expect(indirect.message.contains("a → b → c → a"))
        let throughBuiltIn = try #require(Self.rejection(["search-form": "{{>header}}"]))
        #expect(throughBuiltIn.code == .recursivePartial)
        let viaParent = try #require(Self.rejection(["shell": "{{<shell}}{{/shell}}"]))
        #expect(viaParent.code == .recursivePartial)
    }

    @Test func tooDeepIsRejected() throws {
        let nested = String(repeating: "{{#a}}", count: 17) + String(repeating: "{{/a}}", count: 17)
        let sections = try #require(Self.rejection(["hero": nested]))
        #expect(sections.code == .tooDeep)
        var chain: [String: String] = [:]
        for level in 0..<12 {
            chain["p\(level)"] = level == 11 ? "end" : "{{>p\(level + 1)}}"
        }
        let partials = try #require(Self.rejection(chain))
        #expect(partials.code == .tooDeep)
    }

    @Test func tooLargeIsRejected() throws {
        let big = String(repeating: "x", count: 64 * 1024 + 1)
        let error = try #require(Self.rejection(["hero": big]))
        #expect(error.code == .tooLarge)
        #expect(error.partial == "hero")
        var many: [String: String] = [:]
        for index in 0..<9 {
            many["p\(index)"] = String(repeating: "y", count: 60 * 1024)
        }
        #expect(Self.rejection(many)?.code == .tooLarge)
    }

    @Test func unsafeTagsAndUnknownPartialsAreRejected() throws {
        #expect(Self.rejection(["hero": "{{{store.name}}}"])?.code == .unsupportedTag)
        #expect(Self.rejection(["hero": "{{& store.name}}"])?.code == .unsupportedTag)
        #expect(Self.rejection(["hero": "{{=<% %>=}}"])?.code == .unsupportedTag)
        #expect(Self.rejection(["hero": "{{>*dynamic}}"])?.code == .unsupportedTag)
        let unknown = try #require(Self.rejection(["hero": "a\nb {{> ../../etc/passwd}}"]))
        #expect(unknown.code == .unknownPartial)
        #expect(unknown.line == 2 && unknown.column == 3)
        #expect(Self.rejection(["../x": "hi"])?.code == .syntax)
    }

    @Test func oneTenantsOverridesNeverReachAnother() throws {
        let acme = try Self.compile(["hero": "<p>ACME-ONLY-HERO</p>", "promo": "x"], name: "acme")
        let globex = try Self.compile(["footer": "<footer>GLOBEX-ONLY-FOOTER</footer>"], name: "globex")
        let acmeHTML = Renderer(theme: acme, storefront: Fixtures.storefront()).render(.home).text
        let globexHTML = Renderer(
            theme: globex,
            storefront: Fixtures.storefront(tenant: Fixtures.tenant(subdomain: "globex"))
        )
        .render(.home).text
        let builtIn = Fixtures.renderer().render(.home).text
        #expect(acmeHTML.contains("ACME-ONLY-HERO") && !acmeHTML.contains("GLOBEX-ONLY-FOOTER"))
        #expect(globexHTML.contains("GLOBEX-ONLY-FOOTER") && !globexHTML.contains("ACME-ONLY-HERO"))
        #expect(!builtIn.contains("ACME-ONLY") && !builtIn.contains("GLOBEX-ONLY"))
        #expect(!globex.templateNames.contains("promo"))
    }

    @Test func productCardOverrideReachesEveryGrid() throws {
        let theme = try Self.compile(["product-card": "<li class=\"my-card\">{{name}} for {{price}}</li>"])
        let renderer = Renderer(theme: theme, storefront: Fixtures.storefront())
        #expect(renderer.render(.home).text.contains("<li class=\"my-card\">Frame 0 for €99.00</li>"))
        #expect(
            renderer.render(.category(slug: "optical")).text.contains("<li class=\"my-card\">Frame 1 for €100.00</li>")
        )
        #expect(
            renderer.render(.product(slug: "frame-0")).text.contains("<li class=\"my-card\">Frame 2 for €101.00</li>")
        )
    }

    @Test func tenantOutputIsStillEscaped() throws {
        let theme = try Self.compile(["hero": "<h1>{{store.name}}</h1>"])
        var tenant = Fixtures.tenant()
        tenant.companyName = Fixtures.hostile
        let html = Renderer(theme: theme, storefront: Fixtures.storefront(tenant: tenant)).render(.home).text
        #expect(html.contains("<h1>&lt;script&gt;"))
    }
}
