import TenantStore

extension Renderer {
    /// How many related and recommended products a product page shows.
    static let relatedCount = 4

    func productContext(slug: String) -> [String: Any]? {
        guard let product = self.prepared.products[slug], var card = self.prepared.card(slug) else { return nil }
        let path = "/products/" + Formatting.percentEncoded(slug)
        let description =
            product.description.isEmpty ? "\(product.name) at \(self.storefront.displayName)" : product.description
        var context = self.base(
            page: "product",
            title: product.name,
            description: Formatting.summary(description),
            path: path
        )
        let images = product.images.compactMap(Formatting.safeURL)
        card["description"] = product.description
        card["paragraphs"] = product.description.split(whereSeparator: \.isNewline).map { ["text": String($0)] }
        card["images"] = images.enumerated().map { index, url in
            ["url": url, "alt": index == 0 ? product.name : "\(product.name), view \(index + 1)", "first": index == 0]
                as [String: Any]
        }
        card["attributes"] = product.attributes.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        card["hasAttributes"] = !product.attributes.isEmpty
        if let overlay = PreparedContext.attribute(
            of: product,
            named: ["overlay", "tryon", "tryonimage", "overlayimage"]
        )
        .flatMap(Formatting.safeURL) ?? images.first {
            card["overlay"] = overlay
        }
        if let category = product.categorySlug.flatMap({ slug in self.prepared.categories.first { $0.slug == slug } }) {
            card["categoryURL"] = "/categories/" + Formatting.percentEncoded(category.slug)
        }
        context["product"] = card

        let related = self.storefront.products
            .filter { $0.slug != slug && $0.categorySlug != nil && $0.categorySlug == product.categorySlug }
            .sorted { ($0.featured ? 0 : 1, $0.name) < ($1.featured ? 0 : 1, $1.name) }
            .prefix(Self.relatedCount)
        context["related"] = related.compactMap { self.prepared.card($0.slug) }
        context["hasRelated"] = !related.isEmpty
        if self.storefront.features.recommendations {
            let shown = Set(related.map(\.slug) + [slug])
            let recommended = self.recommendations(for: product, excluding: shown)
            context["recommendations"] = recommended.compactMap { self.prepared.card($0.slug) }
            context["hasRecommendations"] = !recommended.isEmpty
        }

        var seo = context["seo"] as? [String: Any] ?? [:]
        seo["ogType"] = "product"
        if let image = product.images.lazy.compactMap({ Formatting.absoluteURL($0, origin: self.storefront.origin) })
            .first
        {
            seo["ogImage"] = image
        }
        seo["jsonLD"] = self.productJSONLD(product, canonical: self.storefront.origin + path)
        context["seo"] = seo
        return context
    }

    /// "You may also like": other products scored by shared category and attribute values.
    func recommendations(for product: Product, excluding: Set<String>) -> [Product] {
        let attributes = self.prepared.attributeKeys[product.slug] ?? []
        let scored = self.storefront.products.compactMap { candidate -> (Int, Product)? in
            guard !excluding.contains(candidate.slug) else { return nil }
            var score = candidate.categorySlug != nil && candidate.categorySlug == product.categorySlug ? 2 : 0
            score += self.prepared.attributeKeys[candidate.slug]?.intersection(attributes).count ?? 0
            return score > 0 ? (score, candidate) : nil
        }
        return scored.sorted { ($1.0, $0.1.name) < ($0.0, $1.1.name) }.prefix(Self.relatedCount).map(\.1)
    }

    /// A schema.org `Product` as JSON that is safe to embed in `<script>` unescaped.
    func productJSONLD(_ product: Product, canonical: String) -> String {
        let images = product.images.compactMap { Formatting.absoluteURL($0, origin: self.storefront.origin) }
        var fields = [
            "\"@context\":\"https://schema.org\"",
            "\"@type\":\"Product\"",
            "\"name\":" + Formatting.jsonString(product.name),
            "\"sku\":" + Formatting.jsonString(product.slug),
            "\"url\":" + Formatting.jsonString(canonical),
        ]
        if !product.description.isEmpty {
            fields.append("\"description\":" + Formatting.jsonString(product.description))
        }
        if !images.isEmpty {
            fields.append("\"image\":[" + images.map(Formatting.jsonString).joined(separator: ",") + "]")
        }
        fields.append(
            "\"offers\":{\"@type\":\"Offer\",\"price\":"
                + Formatting.jsonString(Formatting.decimal(product.priceMinor, currency: product.currency))
                + ",\"priceCurrency\":" + Formatting.jsonString(product.currency)
                + ",\"availability\":\"https://schema.org/InStock\",\"url\":" + Formatting.jsonString(canonical) + "}"
        )
        return "{" + fields.joined(separator: ",") + "}"
    }
}
