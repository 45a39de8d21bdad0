public import Foundation

/// Stores and lists the consultation leads of a tenant. A lead is acknowledged only once its
/// write is durable.
public struct LeadRepository: Sendable {
    let records: RecordStore

    /// Stores a new lead.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.conflict` when the tenant is
    ///   suspended, `.notFound` for an absent or deleted tenant.
    public func submit(_ request: LeadRequest, tenant: UUID) async throws -> Lead {
        var problems = ProblemList()
        request.validate(into: &problems)
        try problems.throwIfAny("lead is invalid")
        let id = RecordID()
        let lead = Lead(
            id: id,
            name: request.name,
            email: request.email,
            phone: request.phone,
            message: request.message,
            productSlug: request.productSlug,
            createdAt: id.timestamp
        )
        _ = try await self.records.mutateTenant(tenant) { mutation in
            guard mutation.tenant.status == .active else {
                throw TenantStoreError.conflict("the store is \(mutation.tenant.status.rawValue) and takes no requests")
            }
            try mutation.put(StoreKey.leads(of: tenant) + id.descendingKey, lead)
        }
        return lead
    }

    /// One lead.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func lead(_ id: RecordID, tenant: UUID) async throws -> Lead {
        guard let lead = try await self.records.read(Lead.self, at: StoreKey.leads(of: tenant) + id.descendingKey)
        else {
            throw TenantStoreError.notFound("lead \(id) not found")
        }
        return lead.value
    }

    /// The tenant's leads, newest first.
    public func leads(tenant: UUID, limit: Int = 50, after cursor: String? = nil) async throws -> Page<Lead> {
        try await self.records.page(Lead.self, prefix: StoreKey.leads(of: tenant), after: cursor, limit: limit)
    }
}
