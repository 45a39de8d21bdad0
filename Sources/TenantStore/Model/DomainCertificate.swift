public import Foundation

/// A custom domain's certificate as listed: whose it is and how long it is valid, never the key.
public struct CertificateSummary: Sendable, Hashable, Codable {
    /// Identifies one upload: uploading again for the same domain gives a new id, so a reader
    /// can tell whether the certificate it loaded is still the current one without fetching it.
    public var id: RecordID
    /// The custom domain, normalised (lowercase, no trailing dot).
    public var domain: String
    public var tenantId: UUID
    public var uploadedAt: Date
    /// The end of the leaf certificate's validity, as the uploader read it.
    public var notAfter: Date

    public init(id: RecordID, domain: String, tenantId: UUID, uploadedAt: Date, notAfter: Date) {
        self.id = id
        self.domain = domain
        self.tenantId = tenantId
        self.uploadedAt = uploadedAt
        self.notAfter = notAfter
    }
}

/// A custom domain's certificate chain with its private key, decrypted: what the edge serves.
///
/// Its `description` leaves the key out, so logging a certificate does not leak it.
public struct DomainCertificate: Sendable, Hashable, CustomStringConvertible {
    /// The upload's id, domain, owner and dates.
    public var summary: CertificateSummary
    /// The leaf certificate, then any intermediates, in PEM.
    public var chainPEM: String
    /// The leaf's private key in PEM.
    public var privateKeyPEM: String

    public init(summary: CertificateSummary, chainPEM: String, privateKeyPEM: String) {
        self.summary = summary
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
    }

    public var description: String {
        "DomainCertificate(domain: \(self.summary.domain), tenant: \(self.summary.tenantId.keyComponent), "
            + "id: \(self.summary.id), privateKeyPEM: <redacted>)"
    }
}

/// The stored form of a certificate: the chain in plain text, the private key sealed by
/// ``SecretBox`` (JSON carries the sealed bytes as base64).
struct StoredCertificate: Sendable, Hashable, Codable {
    var id: RecordID
    var domain: String
    var tenantId: UUID
    var chainPEM: String
    var sealedPrivateKey: Data
    var uploadedAt: Date
    var notAfter: Date

    var summary: CertificateSummary {
        CertificateSummary(
            id: self.id,
            domain: self.domain,
            tenantId: self.tenantId,
            uploadedAt: self.uploadedAt,
            notAfter: self.notAfter
        )
    }

    /// What the sealed key is bound to: a sealed key copied into another domain's or tenant's
    /// record does not open there.
    static func sealingContext(domain: String, tenant: UUID) -> String {
        "certificate key of \(domain) (tenant \(tenant.keyComponent))"
    }
}

/// The value of ``StoreKey/certificateGeneration``. Pollers use the key's store version, which
/// every write raises, so writers need not read it first and never conflict on it.
struct CertificateGeneration: Sendable, Hashable, Codable {
    var changedAt: Date
}
