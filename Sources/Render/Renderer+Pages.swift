import TenantStore

extension Renderer {
    func base(page: String, title: String, description: String, path: String, index: Bool = true) -> [String: Any] {
        var context = self.prepared.common
        let storeName = self.storefront.displayName
        context["page"] = page
        context["seo"] = [
            "title": title == storeName ? storeName : "\(title) | \(storeName)",
            "description": description,
            "canonical": self.storefront.origin + path,
            "ogType": "website",
            "index": index,
        ]
        return context
    }

    func homeContext() -> [String: Any] {
        let name = self.storefront.displayName
        var context = self.base(page: "home", title: name, description: "Shop \(name) online.", path: "/")
        context["hero"] = [
            "heading": name,
            "tagline": "Discover our collection",
            "cta": self.prepared.categoryLinks.first?["url"] ?? "/search?q=",
        ]
        context["categories"] = self.prepared.categoryLinks
        context["hasCategories"] = !self.prepared.categoryLinks.isEmpty
        let cards = self.prepared.homeCards
        context["products"] = cards
        context["productsHTML"] = PreparedContext.html(of: cards)
        context["hasProducts"] = !cards.isEmpty
        return context
    }

    func categoryContext(slug: String, sort: ProductSort, page: Int) -> [String: Any]? {
        guard let category = self.prepared.categories.first(where: { $0.slug == slug }) else { return nil }
        let path = "/categories/" + Formatting.percentEncoded(slug)
        let description =
            category.description.isEmpty ? "\(category.name) at \(self.storefront.displayName)" : category.description
        var context = self.base(
            page: "category",
            title: category.name,
            description: Formatting.summary(description),
            path: page > 1 ? path + "?page=\(page)" : path
        )
        let members = sort.sorted(self.storefront.products.filter { $0.categorySlug == slug })
        let (slice, pagination) = self.paginate(
            members,
            page: page,
            path: path,
            query: sort == .featured ? "" : "sort=\(sort.rawValue)&"
        )
        context["category"] = ["name": category.name, "description": category.description, "url": path]
        context["categories"] = self.prepared.categoryLinks.map { link in
            var link = link
            link["current"] = (link["slug"] as? String) == slug
            return link
        }
        let cards = slice.compactMap { self.prepared.card($0.slug) }
        context["products"] = cards
        context["productsHTML"] = PreparedContext.html(of: cards)
        context["hasProducts"] = !slice.isEmpty
        context["pagination"] = pagination
        context["sortOptions"] = ProductSort.allCases.map { option in
            ["value": option.rawValue, "label": option.label, "selected": option == sort] as [String: Any]
        }
        return context
    }

    func searchContext(query: String, page: Int) -> [String: Any] {
        let trimmed = query.trimmingWhitespace()
        let title = trimmed.isEmpty ? "Search" : "Search results for “\(trimmed)”"
        var context = self.base(
            page: "search",
            title: title,
            description: title,
            path: "/search?q=" + Formatting.percentEncoded(trimmed),
            index: false
        )
        let matches = trimmed.isEmpty ? [] : self.search(trimmed)
        let (slice, pagination) = self.paginate(
            matches,
            page: page,
            path: "/search",
            query: "q=" + Formatting.percentEncoded(trimmed) + "&"
        )
        context["query"] = trimmed
        context["resultCount"] = matches.count
        let cards = slice.compactMap { self.prepared.card($0.slug) }
        context["products"] = cards
        context["productsHTML"] = PreparedContext.html(of: cards)
        context["hasProducts"] = !slice.isEmpty
        context["pagination"] = pagination
        return context
    }

    func cartContext(_ lines: [OrderRequest.Line]) -> [String: Any] {
        var context = self.base(
            page: "cart",
            title: "Your cart",
            description: "Your shopping cart",
            path: "/cart",
            index: false
        )
        context["cart"] = self.cartSummary(lines)
        return context
    }

    func checkoutContext(_ lines: [OrderRequest.Line]) -> [String: Any] {
        var context = self.base(
            page: "checkout",
            title: "Checkout",
            description: "Checkout",
            path: "/checkout",
            index: false
        )
        context["cart"] = self.cartSummary(lines)
        let methods = self.storefront.commerce?.paymentMethods ?? []
        context["paymentMethods"] = (methods.isEmpty ? ["card"] : methods).enumerated().map { index, method in
            ["value": method, "label": Self.paymentLabel(method), "checked": index == 0] as [String: Any]
        }
        let regions = self.storefront.commerce?.shipping?.regions ?? []
        context["regions"] = regions.map { ["name": $0] }
        context["hasRegions"] = !regions.isEmpty
        return context
    }

    func confirmationContext(_ order: Order) -> [String: Any] {
        var context = self.base(
            page: "order-confirmation",
            title: "Order confirmed",
            description: "Order confirmed",
            path: "/orders/\(order.id)",
            index: false
        )
        context["order"] =
            [
                "id": order.id.description,
                "customerName": order.customer.name,
                "email": order.customer.email,
                "total": Formatting.money(order.totalMinor, currency: order.currency),
                "items": order.items.map { item in
                    [
                        "name": item.name,
                        "quantity": item.quantity,
                        "lineTotal": Formatting.money(item.unitPriceMinor * item.quantity, currency: order.currency),
                    ] as [String: Any]
                },
            ] as [String: Any]
        return context
    }

    func simpleContext(title: String, page: String) -> [String: Any] {
        var context = self.base(page: page, title: title, description: title, path: "/", index: false)
        if page == "unavailable" {
            context["features"] = [String: Any]()
            context.removeValue(forKey: "analytics")
        }
        return context
    }

    private func search(_ query: String) -> [Product] {
        let terms = query.lowercased().split(separator: " ").map(String.init)
        return self.storefront.products.filter { product in
            let haystack =
                ([product.name, product.description, product.categorySlug ?? ""] + product.attributes.values)
                .joined(separator: " ")
                .lowercased()
            return terms.allSatisfy { haystack.contains($0) }
        }
        .sorted {
            ($0.name.lowercased().contains(terms[0]) ? 0 : 1, $0.name) < (
                $1.name.lowercased().contains(terms[0]) ? 0 : 1, $1.name
            )
        }
    }

    private func paginate(_ products: [Product], page: Int, path: String, query: String) -> ([Product], [String: Any]?)
    {
        let pageCount = max(1, (products.count + Self.pageSize - 1) / Self.pageSize)
        let current = min(max(page, 1), pageCount)
        let start = (current - 1) * Self.pageSize
        let slice = Array(products[start..<min(start + Self.pageSize, products.count)])
        guard pageCount > 1 else { return (slice, nil) }
        func url(_ number: Int) -> String {
            let parameters = query + (number > 1 ? "page=\(number)" : "")
            let trimmed = parameters.hasSuffix("&") ? String(parameters.dropLast()) : parameters
            return trimmed.isEmpty ? path : path + "?" + trimmed
        }
        var pagination: [String: Any] = [
            "current": current,
            "count": pageCount,
            "pages": (1...pageCount).map { ["number": $0, "url": url($0), "current": $0 == current] as [String: Any] },
        ]
        if current > 1 {
            pagination["previous"] = url(current - 1)
        }
        if current < pageCount {
            pagination["next"] = url(current + 1)
        }
        return (slice, pagination)
    }

    private func cartSummary(_ lines: [OrderRequest.Line]) -> [String: Any] {
        var items: [[String: Any]] = []
        var subtotal = 0
        var currency = self.storefront.products.first?.currency ?? "USD"
        for line in lines where line.quantity > 0 {
            guard let product = self.prepared.products[line.productSlug],
                var card = self.prepared.card(line.productSlug)
            else { continue }
            currency = product.currency
            let quantity = min(line.quantity, 999)
            subtotal += product.priceMinor * quantity
            card["quantity"] = quantity
            card["lineTotal"] = Formatting.money(product.priceMinor * quantity, currency: product.currency)
            card["itemValue"] = "\(product.slug):\(quantity)"
            items.append(card)
        }
        var shippingMinor = 0
        if let shipping = self.storefront.commerce?.shipping, let flatRate = shipping.flatRate {
            let free = shipping.freeAbove.map { Double(subtotal) / 100 >= $0 } ?? false
            shippingMinor = free ? 0 : Int((flatRate * 100).rounded())
        }
        return [
            "items": items,
            "isEmpty": items.isEmpty,
            "subtotal": Formatting.money(subtotal, currency: currency),
            "shipping": shippingMinor == 0 ? "Free" : Formatting.money(shippingMinor, currency: currency),
            "total": Formatting.money(subtotal + shippingMinor, currency: currency),
        ]
    }

    private static func paymentLabel(_ method: String) -> String {
        switch method {
        case "card": "Credit or debit card"
        case "paypal": "PayPal"
        case "invoice": "Invoice"
        case "cash-on-delivery": "Cash on delivery"
        case "bank-transfer": "Bank transfer"
        default: method
        }
    }
}
