import TenantStore
import Testing

extension ModelTests {
    @Suite struct OrderRepositoryTests {
        private let customer = Order.Customer(name: "Jo Doe", email: "jo@example.com", address: "1 Main St\n12345 Town")

        @Test func pricesOrdersFromTheCatalog() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createProduct(product("aviator", priceMinor: 12_900), tenant: id)
                try await data.catalog.createProduct(product("case", priceMinor: 1_500), tenant: id)
                let order = try await data.orders.place(
                    OrderRequest(
                        items: [.init(productSlug: "aviator", quantity: 2), .init(productSlug: "case", quantity: 1)],
                        customer: customer
                    ),
                    tenant: id
                )
                #expect(order.totalMinor == 27_300)
                #expect(order.currency == "EUR")
                #expect(order.status == .received)
                #expect(order.items.map(\.unitPriceMinor) == [12_900, 1_500])
                #expect(order.items.first?.name == "Frame aviator")
                #expect(try await data.orders.order(order.id, tenant: id) == order)

                let shipped = try await data.orders.setStatus(.shipped, order: order.id, tenant: id)
                #expect(shipped.status == .shipped)
                #expect(try await data.orders.order(order.id, tenant: id).status == .shipped)
            }
        }

        @Test func reportsEveryProblemOfARequest() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.orders.place(
                        OrderRequest(
                            items: [.init(productSlug: "Bad", quantity: 0), .init(productSlug: "ok", quantity: 1000)],
                            customer: .init(name: "", email: "not-an-email", address: "")
                        ),
                        tenant: id
                    )
                }
                #expect(
                    pointers(error) == [
                        "/items/0/productSlug", "/items/0/quantity", "/items/1/quantity", "/customer/name",
                        "/customer/email", "/customer/address",
                    ]
                )
                let empty = await #expect(throws: TenantStoreError.self) {
                    try await data.orders.place(OrderRequest(items: [], customer: customer), tenant: id)
                }
                #expect(pointers(empty) == ["/items"])
            }
        }

        @Test func rejectsUnknownProductsAndMixedCurrencies() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createProduct(product("eur"), tenant: id)
                try await data.catalog.createProduct(product("usd", currency: "USD"), tenant: id)
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.orders.place(
                        OrderRequest(
                            items: [
                                .init(productSlug: "eur", quantity: 1), .init(productSlug: "missing", quantity: 1),
                                .init(productSlug: "usd", quantity: 1),
                            ],
                            customer: customer
                        ),
                        tenant: id
                    )
                }
                #expect(pointers(error) == ["/items/1/productSlug", "/items/2"])
                #expect(try await data.orders.orders(tenant: id).items.isEmpty)
            }
        }

        @Test func aSuspendedStoreTakesNoOrders() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createProduct(product("p"), tenant: id)
                try await data.tenants.suspend(id)
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.orders.place(
                        OrderRequest(items: [.init(productSlug: "p", quantity: 1)], customer: customer),
                        tenant: id
                    )
                }
                #expect(error?.code == .conflict)
            }
        }

        @Test func listsNewestFirstInPages() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createProduct(product("p"), tenant: id)
                var placed: [RecordID] = []
                for quantity in 1...7 {
                    let request = OrderRequest(items: [.init(productSlug: "p", quantity: quantity)], customer: customer)
                    placed.append(try await data.orders.place(request, tenant: id).id)
                }
                var listed: [RecordID] = []
                var cursor: String?
                repeat {
                    let page = try await data.orders.orders(tenant: id, limit: 3, after: cursor)
                    listed += page.items.map(\.id)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(listed == placed.reversed())
            }
        }
    }
}
