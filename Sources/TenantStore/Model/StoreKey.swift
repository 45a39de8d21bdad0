import Foundation

/// The key layout of the tenant data in the ``KeyValueStore``.
///
/// Everything a tenant owns lives under `t/<uuid>/`, so deleting a tenant is one prefix scan plus
/// its few global index entries. Global unique indexes (`idx/…`) are separate keys so that a
/// batch precondition (`.absent`) can claim them atomically. Audit events live outside the tenant
/// prefix because they must outlive the tenant. Certificates are keyed by domain outside it too,
/// so the edge loads them all with one scan; they are deleted with the tenant's domains.
enum StoreKey {
    /// Every top-level prefix the model writes; a migration visits exactly these.
    static let topLevelPrefixes = ["tenant/", "idx/", "t/", auditRoot, certificates, certificateGeneration]

    static let tenants = "tenant/"

    static func tenant(_ id: UUID) -> String {
        Self.tenants + id.keyComponent
    }

    static func subdomain(_ label: String) -> String {
        "idx/subdomain/" + label
    }

    static func domain(_ host: String) -> String {
        "idx/domain/" + host
    }

    static func apiKeyHash(_ hexDigest: String) -> String {
        "idx/apikey/" + hexDigest
    }

    static let certificates = "certificate/"

    static func certificate(_ domain: String) -> String {
        Self.certificates + domain
    }

    /// Rewritten with every certificate change; its version is the change marker pollers read.
    static let certificateGeneration = "certificate-generation"

    static func owned(by tenant: UUID) -> String {
        "t/\(tenant.keyComponent)/"
    }

    static func configuration(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "config/"
    }

    static func templates(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "template/"
    }

    static func products(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "product/"
    }

    static func categories(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "category/"
    }

    /// Orders are keyed by ``RecordID/descendingKey`` so a forward scan lists the newest first.
    static func orders(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "order/"
    }

    /// Keyed like orders: newest first.
    static func leads(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "lead/"
    }

    static func apiKeys(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "apikey/"
    }

    /// Every owner's audit events: `audit/<tenant or platform>/<newest-first event id>`.
    static let auditRoot = "audit/"

    /// Keyed by ``RecordID/descendingKey``: newest first. `nil` is the platform-level log.
    static func audit(of tenant: UUID?) -> String {
        "\(auditRoot)\(tenant?.keyComponent ?? "platform")/"
    }
}

extension UUID {
    /// The lowercase form, so that one tenant has exactly one key spelling.
    ///
    /// Spelled here from the bytes: Foundation's `uuidString` formats with `snprintf`, and with
    /// the `lowercased()` after it that was 1.4 % of the CPU of a config `PUT`, which builds
    /// several keys.
    var keyComponent: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: self.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var written = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[written] = UInt8(ascii: "-")
                        written += 1
                    }
                    text[written] = digits.utf8Start[Int(byte >> 4)]
                    text[written + 1] = digits.utf8Start[Int(byte & 0x0f)]
                    written += 2
                }
                return written
            }
        }
    }
}
