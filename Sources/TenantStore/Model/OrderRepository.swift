public import Foundation

/// Places and lists a tenant's orders. An order is acknowledged only once its write is durable.
public struct OrderRepository: Sendable {
    /// The most lines one order may have.
    public static let maximumLines = 100
    /// The largest quantity of one line.
    public static let maximumQuantity = 999

    let records: RecordStore

    /// Prices `request` from the tenant's catalog and stores it as a new `received` order.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` (pointers into the request, e.g.
    ///   `/items/1/productSlug` for an unknown product), `.conflict` when the tenant is suspended,
    ///   `.notFound` for an absent or deleted tenant.
    public func place(_ request: OrderRequest, tenant: UUID) async throws -> Order {
        var problems = ProblemList()
        Self.validate(request, into: &problems)
        try problems.throwIfAny("order is invalid")
        let id = RecordID()
        return try await self.records.mutateTenant(tenant) { mutation in
            guard mutation.tenant.status == .active else {
                throw TenantStoreError.conflict("the store is \(mutation.tenant.status.rawValue) and takes no orders")
            }
            let order = try await self.price(request, id: id, tenant: tenant)
            try mutation.put(StoreKey.orders(of: tenant) + id.descendingKey, order)
            return order
        }.result
    }

    /// One order.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func order(_ id: RecordID, tenant: UUID) async throws -> Order {
        guard let order = try await self.records.read(Order.self, at: StoreKey.orders(of: tenant) + id.descendingKey)
        else {
            throw TenantStoreError.notFound("order \(id) not found")
        }
        return order.value
    }

    /// The tenant's orders, newest first.
    public func orders(tenant: UUID, limit: Int = 50, after cursor: String? = nil) async throws -> Page<Order> {
        try await self.records.page(Order.self, prefix: StoreKey.orders(of: tenant), after: cursor, limit: limit)
    }

    /// Moves an order to `status`.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    @discardableResult
    public func setStatus(_ status: Order.Status, order id: RecordID, tenant: UUID) async throws -> Order {
        let key = StoreKey.orders(of: tenant) + id.descendingKey
        return try await self.records.mutateTenant(tenant) { mutation in
            guard var order = try await self.records.read(Order.self, at: key) else {
                throw TenantStoreError.notFound("order \(id) not found")
            }
            guard order.value.status != status else { return order.value }
            order.value.status = status
            mutation.require(key, .version(order.version))
            try mutation.put(key, order.value)
            return order.value
        }.result
    }

    private func price(_ request: OrderRequest, id: RecordID, tenant: UUID) async throws -> Order {
        var problems = ProblemList()
        var items: [Order.Item] = []
        var currency: String?
        var total = 0
        for (index, line) in request.items.enumerated() {
            let pointer = JSONPointer.root.appending("items").appending(index)
            let key = StoreKey.products(of: tenant) + line.productSlug
            guard let product = try await self.records.read(Product.self, at: key)?.value else {
                problems.add(pointer.appending("productSlug"), "no product '\(line.productSlug)' in this store")
                continue
            }
            if let currency, currency != product.currency {
                problems.add(pointer, "priced in \(product.currency), but the order is in \(currency)")
            }
            currency = currency ?? product.currency
            let (lineTotal, lineOverflow) = product.priceMinor.multipliedReportingOverflow(by: line.quantity)
            let (sum, sumOverflow) = total.addingReportingOverflow(lineTotal)
            if lineOverflow || sumOverflow {
                problems.add(pointer.appending("quantity"), "the order total is too large")
            }
            total = sum
            items.append(
                Order.Item(
                    productSlug: product.slug,
                    name: product.name,
                    quantity: line.quantity,
                    unitPriceMinor: product.priceMinor
                )
            )
        }
        try problems.throwIfAny("order is invalid")
        return Order(
            id: id,
            items: items,
            totalMinor: total,
            currency: currency ?? "",
            customer: request.customer,
            status: .received,
            createdAt: id.timestamp
        )
    }

    private static func validate(_ request: OrderRequest, into problems: inout ProblemList) {
        let items = JSONPointer.root.appending("items")
        if request.items.isEmpty || request.items.count > Self.maximumLines {
            problems.add(items, "must have 1–\(Self.maximumLines) items")
        }
        for (index, line) in request.items.enumerated() {
            problems.check(line.productSlug, .slug, at: items.appending(index).appending("productSlug"))
            if !(1...Self.maximumQuantity).contains(line.quantity) {
                problems.add(items.appending(index).appending("quantity"), "must be from 1 to \(Self.maximumQuantity)")
            }
        }
        let customer = JSONPointer.root.appending("customer")
        problems.check(request.customer.name, .text(maxLength: 200), at: customer.appending("name"))
        problems.check(request.customer.email, .email, at: customer.appending("email"))
        problems.check(
            request.customer.address,
            .text(maxLength: 1000, multiline: true),
            at: customer.appending("address")
        )
    }
}
