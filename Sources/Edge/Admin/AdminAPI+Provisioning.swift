import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Render
import TenantStore

/// `/api/tenants/{id}/provision` and `/api/provision/…`: provisioning jobs and their status,
/// create-and-provision in one call, deploying a draft, and the built-in themes.
///
/// A job runs in the background (`202` with its id) unless the caller asks `?wait=true`, which
/// runs it within the request: the fast path from nothing to a served first page.
extension AdminAPI {
    struct ProvisionStore: Decodable, Sendable {
        var companyName: String
        var subdomain: String
        var customDomains: [String]?
        /// A built-in theme to activate, e.g. `premium`.
        var theme: String?
        var branding: JSONValue?
        var features: JSONValue?
        var products: [ProductInput]?
    }

    struct JobAccepted: Encodable, Sendable {
        var jobId: UUID
        var statusUrl: String
    }

    struct StoreProvisioning: Encodable, Sendable {
        var jobId: UUID
        var statusUrl: String
        var tenant: Tenant
        /// The tenant's first API key; it is never shown again.
        var apiKey: String
        /// The finished job, with `?wait=true`.
        var job: ProvisioningJob?
    }

    struct DeployRequest: Decodable, Sendable {
        var tenantId: UUID
    }

    struct Deployed: Encodable, Sendable {
        var tenant: Tenant
        var contentVersion: UInt64
    }

    struct ThemeSummary: Encodable, Sendable {
        var name: String
        /// The theme's templates and partials.
        var templates: [String]
    }

    /// Picks up the work a previous process left unfinished: every provisioning job left
    /// `running` is resumed from its last completed step (or failed with "interrupted by
    /// restart" when a restart already interrupted it once), and every pending webhook delivery
    /// is sent again. Call once at start, before serving.
    public func resumeInterruptedJobs() async throws {
        try await self.provisioner.resumeInterrupted()
        try await self.webhooks.resumePending()
    }

    /// Removes finished provisioning jobs, webhook deliveries and audit events older than their
    /// retention (``Configuration/jobRetention``,
    /// ``WebhookDispatcher/Configuration/deliveryRetention``, ``Configuration/auditRetention``),
    /// now and then every `interval`, until the task is cancelled. Failures are logged and tried
    /// again at the next round.
    public func pruneHistory(every interval: Duration = .seconds(3600)) async {
        let logger = self.provisioner.logger
        while !Task.isCancelled {
            do {
                let now = Date()
                let jobs = try await self.provisioner.pruneFinished(
                    before: now.addingTimeInterval(-self.configuration.jobRetention.timeInterval)
                )
                let deliveries = try await self.webhooks.pruneHistory(now: now)
                let auditEvents = try await self.data.audit.prune(
                    before: now.addingTimeInterval(-self.configuration.auditRetention.timeInterval)
                )
                if jobs + deliveries + auditEvents > 0 {
                    logger.info(
                        "old history pruned",
                        metadata: [
                            "provisioning.jobs": "\(jobs)", "webhook.deliveries": "\(deliveries)",
                            "audit.events": "\(auditEvents)",
                        ]
                    )
                }
            } catch {
                logger.error("history pruning failed", metadata: ["error.message": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    func registerProvisioningRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.post("tenants/:id/provision") { request, context in
            let id = try Self.tenantID(context, .write)
            let tenant = try await self.data.tenants.tenant(id)
            if tenant.status == .suspended {
                // Provisioning activates the tenant, which only a platform admin may do.
                try context.requirePrincipal().requirePlatformAdmin()
            }
            let job = try await self.provisioner.create(tenant: id)
            if try Self.wait(request) {
                let finished = await self.provisioner.run(job)
                return try Self.json(finished)
            }
            self.provisioner.start(job)
            let accepted = JobAccepted(jobId: job.id, statusUrl: Self.statusURL(job.id))
            return try Self.json(accepted, status: .accepted, headers: [.location: accepted.statusUrl])
        }
        api.get("provision/status/:jobId") { _, context in
            let principal = try context.requirePrincipal()
            guard let id = context.parameters.get("jobId").flatMap(UUID.init(uuidString:)),
                let job = try await self.provisioner.job(id)
            else { throw AdminProblem.notFound("no such job") }
            do {
                try principal.authorize(tenant: job.tenantId, .read)
            } catch {
                throw AdminProblem.notFound("no such job")
            }
            return try Self.json(job)
        }
        api.post("provision/store") { request, context in
            try context.requirePrincipal().requirePlatformAdmin()
            let body = try await Self.decode(ProvisionStore.self, from: request, context: context)
            return try await self.provisionStore(body, wait: try Self.wait(request))
        }
        api.post("provision/deploy") { request, context in
            let body = try await Self.decode(DeployRequest.self, from: request, context: context)
            try context.requirePrincipal().authorize(tenant: body.tenantId, .write)
            guard let draft = try await self.data.drafts.draft(tenant: body.tenantId) else {
                throw AdminProblem.conflict("the tenant has no draft to deploy")
            }
            if let template = draft.template {
                // Refuse a template that would not compile before it replaces the live one.
                do {
                    _ = try await self.storefront.previewTheme(tenant: body.tenantId, draftTemplate: template)
                } catch let error as RenderError {
                    throw Self.templateProblem(error, pointer: "/template")
                }
            }
            let tenant = try await self.announcingConfigurationUpdate(tenant: body.tenantId, section: nil) {
                try await self.data.drafts.deploy(tenant: body.tenantId)
            }
            return try Self.json(Deployed(tenant: tenant, contentVersion: tenant.contentVersion))
        }
        api.get("provision/templates") { _, context in
            _ = try context.requirePrincipal()
            let themes = self.storefront.themes
            let items = themes.themeNames.compactMap { name in
                themes.theme(named: name).map { ThemeSummary(name: name, templates: $0.templateNames) }
            }
            return try Self.json(AdminPage(items: items, nextCursor: nil))
        }
    }

    /// Creates the tenant with its first key, configuration, theme and products, then provisions
    /// it. A failure before provisioning deletes the tenant again, so nothing half-made remains.
    func provisionStore(_ body: ProvisionStore, wait: Bool) async throws -> Response {
        var problems: [ValidationProblem] = []
        for (key, section) in [(ConfigurationKey.branding, body.branding), (.features, body.features)] {
            guard let section else { continue }
            problems += ConfigurationRepository.problems(in: section, as: key).map {
                ValidationProblem(pointer: "/\(key.rawValue)" + $0.pointer, message: $0.message)
            }
        }
        if let theme = body.theme, self.storefront.themes.theme(named: theme) == nil {
            problems.append(
                ValidationProblem(
                    pointer: "/theme",
                    message:
                        "no built-in theme '\(theme)'; themes are \(self.storefront.themes.themeNames.joined(separator: ", "))"
                )
            )
        }
        var products: [Product] = []
        for (index, input) in (body.products ?? []).enumerated() {
            switch input.product() {
            case .success(let product): products.append(product)
            case .failure(let report):
                problems += report.problems.map {
                    ValidationProblem(pointer: "/products/\(index)" + $0.pointer, message: $0.message)
                }
            }
        }
        guard problems.isEmpty else { throw AdminProblem.unprocessable("the store is invalid", errors: problems) }

        let created = try await self.createTenant(
            CreateTenant(companyName: body.companyName, subdomain: body.subdomain, customDomains: body.customDomains)
        )
        let id = created.tenant.id
        do {
            if let branding = body.branding {
                try await self.data.configuration.set(.branding, to: branding, tenant: id)
            }
            if let features = body.features {
                try await self.data.configuration.set(.features, to: features, tenant: id)
            }
            if let theme = body.theme {
                try await self.data.templates.save(Template(name: theme, isActive: true), tenant: id)
            }
            if !products.isEmpty {
                try await self.data.catalog.saveProducts(products, tenant: id)
            }
        } catch {
            // Best effort: the caller needs the original error; a tenant this leaves behind is
            // listed like any other and can be deleted.
            _ = try? await self.deleteTenant(id)
            throw error
        }
        let job = try await self.provisioner.create(tenant: id)
        var result = StoreProvisioning(
            jobId: job.id,
            statusUrl: Self.statusURL(job.id),
            tenant: created.tenant,
            apiKey: created.apiKey
        )
        let headers: HTTPFields = [.location: result.statusUrl]
        guard wait else {
            self.provisioner.start(job)
            return try Self.json(result, status: .accepted, headers: headers)
        }
        let finished = await self.provisioner.run(job)
        result.job = finished
        result.tenant = try await self.data.tenants.tenant(id)
        return try Self.json(result, status: .created, headers: headers)
    }

    static func statusURL(_ job: UUID) -> String {
        "/api/provision/status/\(job.uuidString.lowercased())"
    }

    /// Whether the request asks to run the job within the request (`?wait=true`).
    static func wait(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters["wait"] {
        case nil, "false", "0": return false
        case "true", "1": return true
        default:
            throw AdminProblem.badRequest(
                "wait must be true or false",
                errors: [ValidationProblem(pointer: "/wait", message: "must be true or false")]
            )
        }
    }

    /// A template that does not compile, as `422` located at `pointer`.
    static func templateProblem(_ error: RenderError, pointer: String) -> AdminProblem {
        AdminProblem.unprocessable(
            "the template does not compile",
            errors: [ValidationProblem(pointer: pointer, message: error.description)]
        )
    }
}
