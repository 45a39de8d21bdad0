import Foundation

/// The value of a global unique-index key (`idx/…`): which tenant, and for API keys which key,
/// holds the indexed name.
struct IndexEntry: Sendable, Hashable, Codable {
    var tenantId: UUID
    var keyId: RecordID?

    init(tenantId: UUID, keyId: RecordID? = nil) {
        self.tenantId = tenantId
        self.keyId = keyId
    }
}
