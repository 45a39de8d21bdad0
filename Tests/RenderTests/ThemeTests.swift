import Foundation
import Render
import TenantStore
import Testing

@Suite struct ThemeTests {
    @Test func builtInThemesLoad() throws {
        let themes = try ThemeLibrary.builtIn()
        #expect(themes.themeNames == ["base", "premium"])
        let premium = try #require(themes.theme(named: "premium"))
        #expect(premium.templateNames.contains("home"))
        #expect(themes.theme(named: "nope") == nil)
    }

    @Test func brandingReachesTheThemeStylesheet() throws {
        let branding = Branding(
            colors: Branding.Colors(primary: "#123456", secondary: "#abc", accent: "#ff8800"),
            fonts: Branding.Fonts(heading: "Playfair Display", body: "Inter;}body{color:red")
        )
        let renderer = Fixtures.renderer(Fixtures.storefront(branding: branding))
        let css = String(decoding: renderer.stylesheet.asset.body, as: UTF8.self)
        #expect(css.contains("--color-primary:#123456"))
        #expect(css.contains("--color-secondary:#aabbcc"))
        #expect(css.contains("--color-accent:#ff8800"))
        #expect(css.contains("--font-heading:\"Playfair Display\",system-ui"))
        #expect(css.contains("--font-body:\"Interbodycolorred\",system-ui"))
        #expect(css.contains("--color-on-primary:#ffffff"))
        let html = renderer.render(.home).text
        #expect(html.contains("<link rel=\"stylesheet\" href=\"\(renderer.stylesheet.asset.path)\">"))
        let asset = try #require(renderer.asset(at: renderer.stylesheet.asset.path))
        #expect(asset.contentType == "text/css; charset=utf-8")
    }

    @Test func lowContrastBrandingWarns() {
        let pale = Branding(colors: Branding.Colors(primary: "#ffee99", accent: "#1f4e79"))
        let warnings = Fixtures.renderer(Fixtures.storefront(branding: pale)).warnings
        #expect(warnings.map(\.role) == ["primary"])
        #expect(warnings[0].ratio < 4.5)
        #expect(warnings[0].description.contains("below WCAG AA"))
        let strong = Branding(colors: Branding.Colors(primary: "#1f4e79", accent: "#8a2c0a"))
        #expect(Fixtures.renderer(Fixtures.storefront(branding: strong)).warnings.isEmpty)
    }

    @Test func assetsAreMinifiedFingerprintedAndGzipped() throws {
        let renderer = Fixtures.renderer()
        #expect(renderer.assets.count == 3)
        for asset in renderer.assets {
            #expect(asset.path == "/assets/\(asset.fingerprint)/\(asset.file)")
            #expect(asset.fingerprint.count == 16)
            #expect(asset.gzipBody.starts(with: [0x1f, 0x8b]))
            #expect(asset.gzipBody.count < asset.body.count)
            #expect(renderer.asset(at: asset.path) == asset)
        }
        #expect(Asset.cacheControl == "public, max-age=31536000, immutable")
        let css = try #require(renderer.assets.first { $0.file == "storefront.css" })
        let text = String(decoding: css.body, as: UTF8.self)
        #expect(!text.contains("/*"))
        #expect(!text.contains("\n"))
        #expect(text.contains(".container{width:min(1200px,100% - 2rem);margin-inline:auto}"))
        let script = try #require(renderer.assets.first { $0.file == "storefront.js" })
        #expect(!String(decoding: script.body, as: UTF8.self).contains("// "))
        #expect(renderer.asset(at: "/assets/0000000000000000/storefront.css") == nil)
    }

    @Test func premiumStylesheetDiffersFromBase() {
        let base = Fixtures.renderer(theme: "base").assets[0]
        let premium = Fixtures.renderer(theme: "premium").assets[0]
        #expect(base.fingerprint != premium.fingerprint)
        #expect(String(decoding: premium.body, as: UTF8.self).contains(".premium-hero"))
    }
}
