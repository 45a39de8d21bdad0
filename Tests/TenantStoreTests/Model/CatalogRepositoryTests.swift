import TenantStore
import Testing

extension ModelTests {
    @Suite struct CatalogRepositoryTests {
        @Test func createsReadsUpdatesAndDeletesProducts() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                var product = Product(
                    slug: "aviator-gold",
                    name: "Aviator Gold",
                    description: "Classic.\nTimeless.",
                    priceMinor: 12_900,
                    currency: "EUR",
                    images: ["/img/aviator.jpg", "https://cdn.example.com/aviator-2.jpg"],
                    categorySlug: "sunglasses",
                    attributes: ["frame shape": "aviator", "colour": "gold"],
                    featured: true
                )
                let created = try await data.catalog.createProduct(product, tenant: id)
                #expect(try await data.catalog.product("aviator-gold", tenant: id) == created)

                let duplicate = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.createProduct(product, tenant: id)
                }
                #expect(duplicate?.code == .conflict)

                product.priceMinor = 9900
                let updated = try await data.catalog.updateProduct(product, tenant: id)
                #expect(updated.createdAt == created.createdAt)
                #expect(updated.updatedAt >= created.updatedAt)
                #expect(try await data.catalog.product("aviator-gold", tenant: id).priceMinor == 9900)

                try await data.catalog.deleteProduct("aviator-gold", tenant: id)
                let missing = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.product("aviator-gold", tenant: id)
                }
                #expect(missing?.code == .notFound)
                let updateMissing = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.updateProduct(product, tenant: id)
                }
                #expect(updateMissing?.code == .notFound)
            }
        }

        @Test func validatesEveryProductField() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let product = Product(
                    slug: "Bad_Slug",
                    name: "",
                    description: "bell\u{7}",
                    priceMinor: -1,
                    currency: "euro",
                    images: ["ok.jpg", "/fine.jpg"],
                    categorySlug: "-cat",
                    attributes: ["": "x", "shape": String(repeating: "x", count: 501)]
                )
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.createProduct(product, tenant: id)
                }
                #expect(error?.code == .validationFailed)
                #expect(
                    pointers(error) == [
                        "/slug", "/name", "/description", "/priceMinor", "/currency", "/images/0", "/categorySlug",
                        "/attributes/", "/attributes/shape",
                    ]
                )
            }
        }

        @Test func listsProductsInPagesPerTenantOnly() async throws {
            try await withTenantData { data, _ in
                let a = try await data.tenants.create(companyName: "A", subdomain: "tenant-a").id
                let b = try await data.tenants.create(companyName: "B", subdomain: "tenant-b").id
                try await data.catalog.saveProducts((0..<25).map { product("a-\($0)") }, tenant: a)
                try await data.catalog.saveProducts((0..<5).map { product("b-\($0)") }, tenant: b)
                try await data.catalog.createProduct(product("shared"), tenant: b)

                var slugs: [String] = []
                var cursor: String?
                repeat {
                    let page = try await data.catalog.products(tenant: a, limit: 10, after: cursor)
                    slugs += page.items.map(\.slug)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(slugs.count == 25)
                #expect(slugs == slugs.sorted())
                #expect(slugs.allSatisfy { $0.hasPrefix("a-") })

                let missing = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.product("shared", tenant: a)
                }
                #expect(missing?.code == .notFound)
                let notOurs = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.deleteProduct("shared", tenant: a)
                }
                #expect(notOurs?.code == .notFound)
                #expect(try await data.catalog.product("shared", tenant: b).slug == "shared")
            }
        }

        @Test func saveProductsIsOneWriteWithOneBump() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let before = try await data.tenants.tenant(id).contentVersion
                let saved = try await data.catalog.saveProducts((0..<50).map { product("p\($0)") }, tenant: id)
                #expect(saved.count == 50)
                #expect(try await data.tenants.tenant(id).contentVersion == before + 1)

                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.saveProducts([product("ok"), product("BAD")], tenant: id)
                }
                #expect(pointers(error) == ["/1/slug"])
                let duplicates = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.saveProducts([product("x"), product("x")], tenant: id)
                }
                #expect(duplicates?.code == .invalidArgument)
            }
        }

        @Test func categoriesAreOrderedByPositionThenSlug() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createCategory(
                    ProductCategory(slug: "sport", name: "Sport", position: 2),
                    tenant: id
                )
                try await data.catalog.createCategory(
                    ProductCategory(slug: "optical", name: "Optical", position: 1),
                    tenant: id
                )
                try await data.catalog.createCategory(
                    ProductCategory(slug: "kids", name: "Kids", position: 2),
                    tenant: id
                )
                #expect(try await data.catalog.categories(tenant: id).map(\.slug) == ["optical", "kids", "sport"])

                try await data.catalog.updateCategory(
                    ProductCategory(slug: "sport", name: "Sport", position: 0),
                    tenant: id
                )
                #expect(try await data.catalog.categories(tenant: id).first?.slug == "sport")

                let duplicate = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.createCategory(ProductCategory(slug: "kids", name: "Kids"), tenant: id)
                }
                #expect(duplicate?.code == .conflict)
                let invalid = await #expect(throws: TenantStoreError.self) {
                    try await data.catalog.createCategory(
                        ProductCategory(slug: "", name: " ", position: 9_999_999),
                        tenant: id
                    )
                }
                #expect(pointers(invalid) == ["/slug", "/name", "/position"])
                try await data.catalog.deleteCategory("kids", tenant: id)
                #expect(try await data.catalog.categories(tenant: id).map(\.slug) == ["sport", "optical"])
            }
        }
    }
}
