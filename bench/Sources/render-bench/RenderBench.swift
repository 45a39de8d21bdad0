import Foundation
import Render
import TenantStore

/// Times the hot paths of Render on one core: the home page with 24 products, a product page,
/// compiling every built-in theme from its files, and preparing a 1000-product storefront
/// (`Renderer.init` renders every product card once). Writes results/render.json.
/// `render-bench pages --out DIR` writes the demo pages for the screenshot script instead.
@main
struct RenderBench {
    static func main() throws {
        let arguments = CommandLine.arguments
        if arguments.dropFirst().first == "pages" {
            try DemoPages.write(to: Self.value(after: "--out", in: arguments) ?? "results/pages")
            return
        }
        let quick = arguments.contains("--quick")
        let output = Self.value(after: "--out", in: arguments) ?? "results/render.json"
        let iterations = quick ? 3_000 : 20_000

        let compileSamples = try (0..<(quick ? 10 : 30)).map { _ in
            try Self.time { _ = try ThemeLibrary.builtIn() }
        }
        let themes = try ThemeLibrary.builtIn()
        let renderer = Renderer(theme: themes.theme(named: "base")!, storefront: Self.storefront())
        let premium = Renderer(theme: themes.theme(named: "premium")!, storefront: Self.storefront())

        let home = Self.measure(iterations: iterations) { renderer.render(.home).body.count }
        let product = Self.measure(iterations: iterations) { renderer.render(.product(slug: "frame-7")).body.count }
        let premiumHome = Self.measure(iterations: iterations) { premium.render(.home).body.count }

        let large = Self.storefront(productCount: 1_000)
        let prepareSamples = (0..<(quick ? 5 : 15)).map { _ in
            Self.time { _ = Renderer(theme: themes.theme(named: "base")!, storefront: large) }
        }

        let homeBytes = renderer.render(.home).body.count
        let results: [(String, Double)] = [
            ("home_p50_us", Self.percentile(home, 0.50)),
            ("home_p99_us", Self.percentile(home, 0.99)),
            ("product_p50_us", Self.percentile(product, 0.50)),
            ("product_p99_us", Self.percentile(product, 0.99)),
            ("premium_home_p50_us", Self.percentile(premiumHome, 0.50)),
            ("compile_theme_ms", Self.percentile(compileSamples, 0.50) / 1_000),
            ("prepare_1000_products_ms", Self.percentile(prepareSamples, 0.50) / 1_000),
        ]
        let targets: [(String, String, Bool)] = [
            ("home_p50_us", "< 150", Self.percentile(home, 0.50) < 150),
            ("home_p99_us", "< 500", Self.percentile(home, 0.99) < 500),
            ("compile_theme_ms", "< 20", Self.percentile(compileSamples, 0.50) / 1_000 < 20),
        ]

        var json = "{\n  \"benchmark\": \"render\",\n  \"iterations\": \(iterations),\n"
        json += "  \"home_products\": 24,\n  \"home_bytes\": \(homeBytes),\n"
        for (name, value) in results {
            json += "  \"\(name)\": \(Self.rounded(value)),\n"
        }
        json += "  \"targets\": {\n"
        json += targets.map { "    \"\($0.0)\": {\"rule\": \"\($0.1)\", \"met\": \($0.2)}" }.joined(separator: ",\n")
        json += "\n  }\n}\n"
        try json.write(toFile: output, atomically: true, encoding: .utf8)

        for (name, value) in results {
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0), Self.rounded(value))
        }
        for (name, rule, met) in targets {
            print("target \(name) \(rule): \(met ? "met" : "MISSED")")
        }
        print("wrote \(output)")
    }

    static func storefront(productCount: Int = 48) -> Storefront {
        let tenant = Tenant(
            id: UUID(),
            companyName: "Acme Optics",
            subdomain: "acme",
            customDomains: [],
            status: .active,
            createdAt: Date(),
            updatedAt: Date(),
            contentVersion: 1
        )
        let categories = ["sunglasses", "optical", "sport", "kids"].enumerated().map { index, slug in
            ProductCategory(slug: slug, name: slug.capitalized, description: "All \(slug).", position: index)
        }
        let products = (0..<productCount).map { index in
            Product(
                slug: "frame-\(index)",
                name: "Frame \(index) Classic",
                description: "A light acetate frame, hand made.\nComes with a case.",
                priceMinor: 9_900 + index * 250,
                currency: "EUR",
                images: ["/images/frame-\(index).jpg", "/images/frame-\(index)-side.jpg"],
                categorySlug: categories[index % 4].slug,
                attributes: [
                    "frameShape": index % 2 == 0 ? "round" : "aviator", "colour": "black", "material": "acetate",
                ],
                featured: index < 24
            )
        }
        return Storefront(
            tenant: tenant,
            features: Features(consultation: true, vto: true, faceAnalysis: true, recommendations: true),
            products: products,
            categories: categories,
            platformDomain: "localhost"
        )
    }

    static func measure(iterations: Int, _ body: () -> Int) -> [Double] {
        var sink = 0
        for _ in 0..<(iterations / 10) {
            sink &+= body()
        }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        let clock = ContinuousClock()
        for _ in 0..<iterations {
            let start = clock.now
            sink &+= body()
            samples.append(Self.microseconds(clock.now - start))
        }
        precondition(sink > 0)
        return samples
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return Self.microseconds(clock.now - start)
    }

    static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    }

    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
    }

    static func rounded(_ value: Double) -> Double {
        (value * 10).rounded() / 10
    }

    static func value(after flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}
