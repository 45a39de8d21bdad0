public import Foundation
public import TenantStore

extension CertificateRepository {
    /// Validates a certificate a tenant uploads for one of its custom domains and stores it, the
    /// private key sealed; servers running a ``TenantCertificateSynchronizer`` serve it on their
    /// next handshake for the domain once they have polled.
    ///
    /// The checks are those of ``CertificateBundle/validated(chainPEM:privateKeyPEM:for:now:)``:
    /// the chain and key parse, the key belongs to the leaf, the leaf's names cover `domain`, and
    /// `now` lies within its validity. TenantStore cannot check any of that itself (it has no
    /// X.509 parser), so this is the way in for uploads; ``put(domain:tenant:chainPEM:privateKeyPEM:notAfter:)``
    /// stores whatever it is given.
    ///
    /// - Parameters:
    ///   - chainPEM: The leaf certificate, then any intermediates, in PEM.
    ///   - privateKeyPEM: The leaf's private key in PEM.
    ///   - domain: One of the tenant's custom domains; case and a trailing dot are ignored.
    ///   - tenant: The tenant that owns `domain`.
    ///   - now: The moment validity is checked at.
    /// - Returns: The stored certificate's summary.
    /// - Throws: ``CertificateValidationError`` when a check fails (nothing is stored then), or
    ///   ``TenantStoreError`` from ``put(domain:tenant:chainPEM:privateKeyPEM:notAfter:)``: `.notFound`
    ///   when the tenant does not have the domain, `.secretKeyUnavailable` without a secret key.
    @discardableResult
    public func upload(
        chainPEM: String,
        privateKeyPEM: String,
        domain: String,
        tenant: UUID,
        now: Date = Date()
    ) async throws -> CertificateSummary {
        let bundle = try CertificateBundle.validated(
            chainPEM: chainPEM,
            privateKeyPEM: privateKeyPEM,
            for: domain,
            now: now
        )
        return try await self.put(
            domain: domain,
            tenant: tenant,
            chainPEM: chainPEM,
            privateKeyPEM: privateKeyPEM,
            notAfter: bundle.notValidAfter
        )
    }
}
