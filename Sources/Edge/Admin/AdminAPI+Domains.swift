import Foundation
import HTTPTypes
import Hummingbird
import SwiftASN1
import TenantStore
import X509

/// `/api/tenants/{id}/domains`: a tenant's custom domains with the state of their certificates;
/// attach and detach a domain; upload (validated) and delete a domain's certificate.
extension AdminAPI {
    /// A custom domain and its certificate, `null` when it has none.
    struct DomainStatus: Encodable, Sendable {
        var domain: String
        var certificate: CertificateStatus?

        private enum CodingKeys: String, CodingKey {
            case domain
            case certificate
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.domain, forKey: .domain)
            // `null` rather than absent, so a client sees the field it is waiting for.
            try container.encode(self.certificate, forKey: .certificate)
        }
    }

    /// What an operator needs to know about a domain's certificate.
    struct CertificateStatus: Encodable, Sendable {
        var uploadedAt: Date
        var notAfter: Date
        var expired: Bool
        /// Whether the leaf's names cover the domain; `null` when the stored chain cannot be read.
        var coversDomain: Bool?
    }

    struct AttachDomain: Decodable, Sendable {
        var domain: String
    }

    struct CertificateUpload: Decodable, Sendable {
        var chainPEM: String
        var privateKeyPEM: String
    }

    func registerDomainRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/domains") { _, context in
            let id = try Self.tenantID(context, .read)
            let tenant = try await self.data.tenants.tenant(id)
            var statuses: [DomainStatus] = []
            for domain in tenant.customDomains.sorted() {
                statuses.append(try await self.domainStatus(domain))
            }
            return try Self.json(AdminPage(items: statuses, nextCursor: nil))
        }
        api.post("tenants/:id/domains") { request, context in
            let id = try Self.tenantID(context, .write)
            let body = try await Self.decode(AttachDomain.self, from: request, context: context)
            let domain = normalisedDomain(body.domain)
            let attached = try await self.data.tenants.tenant(id).customDomains.contains(domain)
            _ = try await self.data.tenants.addCustomDomain(domain, to: id)
            let status = try await self.domainStatus(domain)
            guard attached else {
                return try Self.json(
                    status,
                    status: .created,
                    headers: [.location: "/api/tenants/\(id.uuidString.lowercased())/domains/\(domain)"]
                )
            }
            return try Self.json(status)
        }
        api.delete("tenants/:id/domains/:domain") { _, context in
            let id = try Self.tenantID(context, .write)
            let domain = normalisedDomain(try context.parameters.require("domain"))
            _ = try await self.data.tenants.removeCustomDomain(domain, from: id)
            return Response(status: .noContent)
        }
        api.put("tenants/:id/domains/:domain/certificate") { request, context in
            let id = try Self.tenantID(context, .write)
            let domain = try await self.attachedDomain(context, tenant: id)
            let upload = try await Self.decode(CertificateUpload.self, from: request, context: context)
            do {
                try await self.data.certificates.upload(
                    chainPEM: upload.chainPEM,
                    privateKeyPEM: upload.privateKeyPEM,
                    domain: domain,
                    tenant: id
                )
            } catch let error as CertificateValidationError {
                throw AdminProblem.unprocessable(
                    error.message,
                    errors: [ValidationProblem(pointer: Self.pointer(of: error.code), message: error.description)]
                )
            }
            return try Self.json(try await self.domainStatus(domain))
        }
        api.delete("tenants/:id/domains/:domain/certificate") { _, context in
            let id = try Self.tenantID(context, .write)
            let domain = try await self.attachedDomain(context, tenant: id)
            try await self.data.certificates.delete(domain: domain, tenant: id)
            return Response(status: .noContent)
        }
    }

    /// The `{domain}` path parameter, normalised; `404` unless the tenant has it.
    private func attachedDomain(_ context: AdminRequestContext, tenant: UUID) async throws -> String {
        let domain = normalisedDomain(try context.parameters.require("domain"))
        guard try await self.data.tenants.tenant(tenant).customDomains.contains(domain) else {
            throw AdminProblem.notFound("the tenant has no custom domain '\(domain)'")
        }
        return domain
    }

    private func domainStatus(_ domain: String, now: Date = Date()) async throws -> DomainStatus {
        // A certificate whose key no longer opens (another secret key) is still worth listing:
        // the operator needs to see it to replace it.
        let certificate: DomainCertificate?
        do {
            certificate = try await self.data.certificates.get(domain: domain)
        } catch let error as TenantStoreError where error.code == .decryptionFailed {
            certificate = nil
        }
        guard let certificate else { return DomainStatus(domain: domain, certificate: nil) }
        return DomainStatus(
            domain: domain,
            certificate: CertificateStatus(
                uploadedAt: certificate.summary.uploadedAt,
                notAfter: certificate.summary.notAfter,
                expired: certificate.summary.notAfter <= now,
                coversDomain: Self.leaf(of: certificate.chainPEM, covers: domain)
            )
        )
    }

    /// Re-read from the stored chain rather than assumed from the upload check, so a listing
    /// tells the truth about certificates stored by other means (`edge certs`, the store API).
    private static func leaf(of chainPEM: String, covers domain: String) -> Bool? {
        let names: SubjectAlternativeNames
        do {
            guard let document = try PEMDocument.parseMultiple(pemString: chainPEM).first else { return nil }
            names =
                try Certificate(pemDocument: document).extensions.subjectAlternativeNames ?? SubjectAlternativeNames()
        } catch {
            return nil
        }
        return names.contains { name in
            guard case .dnsName(let dnsName) = name else { return false }
            return CertificateBundle.name(dnsName, covers: domain)
        }
    }

    /// The upload field a failed certificate check is about.
    private static func pointer(of code: CertificateValidationError.Code) -> String {
        switch code {
        case .malformedPrivateKey, .keyMismatch: "/privateKeyPEM"
        case .invalidDomain: ""
        default: "/chainPEM"
        }
    }
}
