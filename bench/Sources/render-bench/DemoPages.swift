import Foundation
import Render
import TenantStore

/// Writes the demo tenants' pages and assets as a static site, for the screenshot script:
/// `{out}/{theme}/index.html`, `{out}/{theme}/product.html`, `{out}/assets/…`, `{out}/images/…`.
enum DemoPages {
    static func write(to directory: String) throws {
        let root = URL(filePath: directory)
        let themes = try ThemeLibrary.builtIn()
        let storefront = Self.storefront()
        try Self.images(storefront.products.count, into: root.appending(path: "images"))
        for name in themes.themeNames {
            let renderer = Renderer(theme: themes.theme(named: name)!, storefront: storefront)
            let pages = root.appending(path: name)
            try FileManager.default.createDirectory(at: pages, withIntermediateDirectories: true)
            try Data(renderer.render(.home).body).write(to: pages.appending(path: "index.html"))
            try Data(renderer.render(.product(slug: "frame-1")).body).write(to: pages.appending(path: "product.html"))
            for asset in renderer.assets {
                let file = root.appending(path: String(asset.path.dropFirst()))
                try FileManager.default.createDirectory(
                    at: file.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try Data(asset.body).write(to: file)
            }
        }
    }

    static func storefront() -> Storefront {
        let tenant = Tenant(
            id: UUID(),
            companyName: "Lumen Eyewear",
            subdomain: "lumen",
            customDomains: [],
            status: .active,
            createdAt: Date(),
            updatedAt: Date(),
            contentVersion: 1
        )
        let categories = [
            ProductCategory(slug: "sunglasses", name: "Sunglasses", description: "Shades for every day.", position: 1),
            ProductCategory(
                slug: "optical",
                name: "Optical",
                description: "Frames for prescription lenses.",
                position: 2
            ),
            ProductCategory(slug: "sport", name: "Sport", position: 3),
        ]
        let shapes = ["round", "aviator", "rectangle", "cat-eye"]
        let products = (0..<12).map { index in
            Product(
                slug: "frame-\(index)",
                name: ["Aria", "Bowen", "Cleo", "Dune", "Elio", "Fern"][index % 6]
                    + " \(shapes[index % 4].capitalized)",
                description: "Hand-made acetate frame with spring hinges.\nIncludes a case and cloth.",
                priceMinor: 12_900 + index * 1_000,
                currency: "EUR",
                images: ["/images/frame-\(index).svg"],
                categorySlug: categories[index % 3].slug,
                attributes: ["Frame shape": shapes[index % 4], "Colour": "Tortoise", "Material": "Acetate"],
                featured: index < 8
            )
        }
        return Storefront(
            tenant: tenant,
            branding: Branding(
                colors: Branding.Colors(primary: "#14532d", secondary: "#f0fdf4", accent: "#b45309"),
                fonts: Branding.Fonts(heading: "Georgia")
            ),
            features: Features(consultation: true, vto: true, faceAnalysis: true, recommendations: true),
            commerce: Commerce(paymentMethods: ["card", "paypal"]),
            products: products,
            categories: categories,
            platformDomain: "localhost"
        )
    }

    /// Simple SVG frames, so the screenshots show products without shipping image files.
    private static func images(_ count: Int, into directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let hues = [20, 140, 200, 280, 340, 50]
        for index in 0..<count {
            let hue = hues[index % hues.count]
            let svg = """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400">
                <rect width="400" height="400" fill="hsl(\(hue) 40% 92%)"/>
                <g fill="none" stroke="hsl(\(hue) 45% 30%)" stroke-width="14">
                <circle cx="130" cy="200" r="62"/><circle cx="270" cy="200" r="62"/>
                <path d="M192 196 q8 -14 16 0 M68 190 L30 170 M332 190 L370 170"/></g></svg>
                """
            try Data(svg.utf8).write(to: directory.appending(path: "frame-\(index).svg"))
        }
    }
}
