import Foundation
import Render
import TenantStore
import Testing

@Suite struct FeatureFlagTests {
    static let markers = ["consultation", "face-analyzer", "try-on", "recommendations", "analytics"]

    static func components(_ features: Features, page: StorefrontPage, theme: String = "base") -> Set<String> {
        let storefront = Fixtures.storefront(
            features: features,
            integrations: Integrations(googleAnalytics: "G-TEST123", facebook: "1234567")
        )
        let html = Fixtures.renderer(theme: theme, storefront).render(page).text
        return Set(Self.markers.filter { html.contains("data-component=\"\($0)\"") })
    }

    @Test(arguments: ["base", "premium"])
    func everyFlagOffRendersNoComponent(theme: String) {
        for (page, _) in Fixtures.allPages {
            #expect(Self.components(Features(), page: page, theme: theme).isEmpty, "\(page)")
        }
    }

    @Test(arguments: ["base", "premium"])
    func eachFlagAddsExactlyItsComponent(theme: String) {
        #expect(Self.components(Features(consultation: true), page: .home, theme: theme) == ["consultation"])
        #expect(Self.components(Features(faceAnalysis: true), page: .home, theme: theme) == ["face-analyzer"])
        #expect(
            Self.components(Features(faceAnalysis: true), page: .category(slug: "optical"), theme: theme) == [
                "face-analyzer"
            ]
        )
        #expect(Self.components(Features(vto: true), page: .product(slug: "frame-0"), theme: theme) == ["try-on"])
        #expect(
            Self.components(Features(recommendations: true), page: .product(slug: "frame-0"), theme: theme) == [
                "recommendations"
            ]
        )
        #expect(Self.components(Features(analytics: true), page: .home, theme: theme) == ["analytics"])
    }

    @Test func everyFlagOnRendersEveryComponentButNotOnTheUnavailablePage() {
        let all = Features(consultation: true, vto: true, faceAnalysis: true, recommendations: true, analytics: true)
        #expect(
            Self.components(all, page: .product(slug: "frame-0")) == [
                "consultation", "try-on", "recommendations", "analytics",
            ]
        )
        #expect(Self.components(all, page: .unavailable).isEmpty)
    }

    @Test func analyticsNeedsAnIdentifier() {
        let storefront = Fixtures.storefront(features: Features(analytics: true))
        let html = Fixtures.renderer(storefront).render(.home).text
        #expect(!html.contains("data-component=\"analytics\""))
        let configured = Self.components(Features(analytics: true), page: .home)
        #expect(configured == ["analytics"])
    }

    @Test func consultationPostsToTheAPIWithLabelledFields() {
        let storefront = Fixtures.storefront(features: Features(consultation: true))
        let html = Fixtures.renderer(storefront).render(.home).text
        #expect(html.contains("action=\"/api/consultation\" method=\"post\""))
        #expect(html.contains("<label for=\"consultation-email\">Email</label>"))
    }

    @Test func tryOnUsesTheProductOverlay() {
        var products = Fixtures.products()
        products[0].attributes["overlay"] = "/images/frame-0-overlay.png"
        let storefront = Fixtures.storefront(features: Features(vto: true), products: products)
        let html = Fixtures.renderer(storefront).render(.product(slug: "frame-0")).text
        #expect(html.contains("class=\"try-on-overlay\" src=\"/images/frame-0-overlay.png\""))
    }
}
