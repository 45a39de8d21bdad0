public import Foundation

/// Stores the TLS certificates tenants upload for their custom domains, with the private keys
/// sealed by ``SecretBox``.
///
/// One certificate per custom domain, under `certificate/<domain>`; the domain must be one of
/// the owning tenant's ``Tenant/customDomains``. The repository stores what its caller
/// validated: it has no X.509 parser, so checking that the key fits the chain, that the names
/// cover the domain and that the certificate is current is the uploader's job (the edge's
/// `CertificateRepository.upload(chainPEM:privateKeyPEM:domain:tenant:now:)` does it).
///
/// A certificate goes with its domain: releasing a domain (``TenantRepository/update(_:_:)``,
/// ``TenantRepository/removeCustomDomain(_:from:)``) or deleting the tenant deletes it in the
/// same batch, so a domain never passes to its next owner with the previous owner's key.
///
/// Every change also rewrites one marker key in the same batch; ``generation()`` reads its
/// version, so a server holding the certificates in memory can poll that one key and reload
/// only when it moved.
public struct CertificateRepository: Sendable {
    /// The largest chain accepted, in bytes of PEM; a leaf with a few intermediates is far smaller.
    public static let maximumChainBytes = 64 * 1024
    /// The largest private key accepted, in bytes of PEM; an RSA-8192 key is about 6.5 KiB.
    public static let maximumPrivateKeyBytes = 16 * 1024

    let records: RecordStore
    let secrets: SecretBox?

    /// Stores or replaces the certificate of one of `tenant`'s custom domains.
    ///
    /// - Parameters:
    ///   - domain: The custom domain; compared case-insensitively, without a trailing dot.
    ///   - chainPEM: The leaf certificate, then any intermediates, stored as given.
    ///   - privateKeyPEM: The leaf's private key, stored sealed.
    ///   - notAfter: The end of the leaf's validity, for listings and renewal reminders.
    /// - Returns: The stored certificate's summary.
    /// - Throws: ``TenantStoreError`` `.secretKeyUnavailable` when no ``SecretBox`` was given to
    ///   ``TenantData`` (nothing is stored then, least of all the key in plain text),
    ///   `.validationFailed` for an empty or oversized chain or key, `.notFound` when the tenant is
    ///   absent or deleted or does not have the domain.
    @discardableResult
    public func put(
        domain: String,
        tenant: UUID,
        chainPEM: String,
        privateKeyPEM: String,
        notAfter: Date
    ) async throws -> CertificateSummary {
        let secrets = try self.requireSecrets()
        var problems = ProblemList()
        Self.checkPEM(chainPEM, maximumBytes: Self.maximumChainBytes, at: "chainPEM", into: &problems)
        Self.checkPEM(privateKeyPEM, maximumBytes: Self.maximumPrivateKeyBytes, at: "privateKeyPEM", into: &problems)
        try problems.throwIfAny("certificate is invalid")

        let domain = Self.normalised(domain)
        let sealed = try secrets.seal(
            Array(privateKeyPEM.utf8),
            context: StoredCertificate.sealingContext(domain: domain, tenant: tenant)
        )
        let stored = StoredCertificate(
            id: RecordID(),
            domain: domain,
            tenantId: tenant,
            chainPEM: chainPEM,
            sealedPrivateKey: Data(sealed),
            uploadedAt: Date(),
            notAfter: notAfter
        )
        _ = try await self.records.mutateTenant(tenant) { mutation in
            // Checked against the tenant version the batch is pinned to, so a domain released
            // meanwhile fails the batch and the retry refuses it.
            guard mutation.tenant.customDomains.contains(domain) else {
                throw TenantStoreError.notFound("tenant \(tenant.keyComponent) has no custom domain '\(domain)'")
            }
            try mutation.put(StoreKey.certificate(domain), stored)
            try mutation.put(StoreKey.certificateGeneration, CertificateGeneration(changedAt: stored.uploadedAt))
        }
        return stored.summary
    }

    /// The certificate of `domain` with its private key opened; `nil` when it has none.
    ///
    /// - Throws: ``TenantStoreError`` `.secretKeyUnavailable` when no ``SecretBox`` was given,
    ///   `.decryptionFailed` when the key was sealed with another secret key or altered.
    public func get(domain: String) async throws -> DomainCertificate? {
        let domain = Self.normalised(domain)
        guard let stored = try await self.records.read(StoredCertificate.self, at: StoreKey.certificate(domain)) else {
            return nil
        }
        let secrets = try self.requireSecrets()
        let key = try secrets.open(
            Array(stored.value.sealedPrivateKey),
            context: StoredCertificate.sealingContext(domain: stored.value.domain, tenant: stored.value.tenantId)
        )
        return DomainCertificate(
            summary: stored.value.summary,
            chainPEM: stored.value.chainPEM,
            privateKeyPEM: String(decoding: key, as: UTF8.self)
        )
    }

    /// The certificates of `tenant`'s custom domains, by domain.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when the tenant is absent or deleted.
    public func list(tenant: UUID) async throws -> [CertificateSummary] {
        let tenant = try await self.records.liveTenant(tenant)
        var summaries: [CertificateSummary] = []
        for domain in tenant.value.customDomains.sorted() {
            if let stored = try await self.records.read(StoredCertificate.self, at: StoreKey.certificate(domain)) {
                summaries.append(stored.value.summary)
            }
        }
        return summaries
    }

    /// Every stored certificate, by domain: what a server loads at start and compares against
    /// when ``generation()`` moves. Fetch the keys with ``get(domain:)``, one by one, so that one
    /// certificate that does not open does not keep the others from being served.
    public func all() async throws -> [CertificateSummary] {
        try await self.records.all(StoredCertificate.self, prefix: StoreKey.certificates).map(\.value.summary)
    }

    /// Deletes the certificate of one of `tenant`'s domains; its handshakes get the default
    /// certificate once servers have noticed.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when the tenant is absent or deleted or has no
    ///   certificate for `domain`.
    public func delete(domain: String, tenant: UUID) async throws {
        let domain = Self.normalised(domain)
        let key = StoreKey.certificate(domain)
        _ = try await self.records.mutateTenant(tenant) { mutation in
            guard let stored = try await self.records.read(StoredCertificate.self, at: key),
                stored.value.tenantId == tenant
            else {
                throw TenantStoreError.notFound("tenant \(tenant.keyComponent) has no certificate for '\(domain)'")
            }
            mutation.delete(key)
            try mutation.put(StoreKey.certificateGeneration, CertificateGeneration(changedAt: Date()))
        }
    }

    /// A number that grows with every change to any certificate, and stays put otherwise; 0 when
    /// there has never been one. Reading it costs one key lookup, cheap enough to poll.
    public func generation() async throws -> UInt64 {
        try await self.records.store.get(StoreKey.certificateGeneration)?.version ?? 0
    }

    private func requireSecrets() throws -> SecretBox {
        guard let secrets = self.secrets else {
            throw TenantStoreError(
                code: .secretKeyUnavailable,
                message: "certificates cannot be stored or read: no secret key is configured to seal private keys "
                    + "(set \(SecretKey.environmentVariable) or give TenantData a SecretBox)"
            )
        }
        return secrets
    }

    private static func checkPEM(_ pem: String, maximumBytes: Int, at field: String, into problems: inout ProblemList) {
        if pem.allSatisfy(\.isWhitespace) {
            problems.add(.root.appending(field), "must not be empty")
        } else if pem.utf8.count > maximumBytes {
            problems.add(.root.appending(field), "must be at most \(maximumBytes) bytes")
        }
    }

    /// Tenants' custom domains are stored lowercase without a trailing dot; callers may pass any
    /// spelling a client sent.
    static func normalised(_ domain: String) -> String {
        var domain = domain.lowercased()
        if domain.hasSuffix(".") { domain.removeLast() }
        return domain
    }
}

extension TenantMutation {
    /// Deletes the certificates of domains the tenant releases and marks the change for pollers,
    /// unconditionally (see the `WriteBatch` variant).
    mutating func deleteCertificates(of domains: [String]) throws {
        guard !domains.isEmpty else { return }
        for domain in domains {
            self.delete(StoreKey.certificate(domain))
        }
        try self.put(StoreKey.certificateGeneration, CertificateGeneration(changedAt: Date()))
    }
}

extension WriteBatch {
    /// Deletes the certificates of domains a deleted tenant releases and marks the change for
    /// pollers. Unconditional, even for domains without one: whether one exists could change
    /// between a read and this batch, and a missed marker would leave a server serving it.
    mutating func deleteCertificates(of domains: [String]) throws {
        guard !domains.isEmpty else { return }
        for domain in domains {
            self.delete(StoreKey.certificate(domain))
        }
        self.put(StoreKey.certificateGeneration, try RecordCodec.encode(CertificateGeneration(changedAt: Date())))
    }
}
