import Foundation
import Logging
import Render
import TenantStore

/// Runs provisioning jobs and keeps each one's record in the store, so that a job survives a
/// restart: ``resumeInterrupted()`` finds every job left `running` and resumes it from its last
/// completed step, or fails it visibly.
///
/// The record is written when the job starts and after every step, which is what bounds the
/// work a restart repeats to one step. Every step is idempotent (reads, renders, a status
/// update), so repeating the interrupted one is safe.
///
/// Thread-safe; jobs run concurrently, each in its own task.
final class Provisioner: Sendable {
    /// The store key prefix of job records: `edge/jobs/<job id>`.
    static let prefix = "edge/jobs/"
    /// A job found running after this many restarts already is failed instead of resumed: a job
    /// whose step takes the process down would otherwise do so after every restart.
    static let maximumResumes = 1
    /// The most product and category pages the warm-cache step renders.
    static let warmedPagesPerKind = 10

    let data: TenantData
    let storefront: StorefrontService
    let logger: Logger

    init(data: TenantData, storefront: StorefrontService, logger: Logger) {
        self.data = data
        self.storefront = storefront
        self.logger = logger
    }

    private var store: any KeyValueStore { self.storefront.store }

    /// Stores a new running job for `tenant`; run it with ``run(_:)`` or ``start(_:)``.
    func create(tenant: UUID) async throws -> ProvisioningJob {
        let job = ProvisioningJob(tenantId: tenant)
        try await self.save(job)
        return job
    }

    /// Runs the job's remaining steps in the background.
    func start(_ job: ProvisioningJob) {
        // The job outlives the request, whose audit event its changes must not take.
        ChangeCompanion.withoutCompanions {
            _ = Task(executorPreference: RenderExecutor.shared) { await self.run(job) }
        }
    }

    /// The stored job, or `nil`.
    func job(_ id: UUID) async throws -> ProvisioningJob? {
        let key = Self.prefix + id.uuidString.lowercased()
        guard let stored = try await self.store.get(key) else { return nil }
        return try EdgeRecordCodec.decode(ProvisioningJob.self, from: stored.bytes, key: key)
    }

    /// Resumes or fails every job a previous process left running; returns them as they are now
    /// (resumed ones still running, in the background).
    @discardableResult
    func resumeInterrupted() async throws -> [ProvisioningJob] {
        var handled: [ProvisioningJob] = []
        for var job in try await EdgeRecordCodec.all(ProvisioningJob.self, prefix: Self.prefix, in: self.store)
        where job.status == .running {
            if job.restarts >= Self.maximumResumes {
                for index in job.steps.indices where job.steps[index].status == .running {
                    job.steps[index].status = .failed
                    job.steps[index].detail = "interrupted by restart"
                }
                job.status = .failed
                job.error = "interrupted by restart"
                job.finishedAt = Date()
                try await self.save(job)
                self.logger.info("provisioning job failed after restart", metadata: Self.metadata(job))
            } else {
                job.restarts += 1
                try await self.save(job)
                self.logger.info("provisioning job resumed after restart", metadata: Self.metadata(job))
                self.start(job)
            }
            handled.append(job)
        }
        return handled
    }

    /// Runs every step not completed yet, in order, storing the job after each; stops at the
    /// first failure. Never throws: a failure is the job's outcome.
    @discardableResult
    func run(_ job: ProvisioningJob) async -> ProvisioningJob {
        var job = job
        for index in job.steps.indices where job.steps[index].status != .succeeded {
            let started = ContinuousClock.now
            job.steps[index].status = .running
            job.steps[index].startedAt = Date()
            job.steps[index].finishedAt = nil
            let outcome: Result<String, any Error>
            do {
                outcome = .success(try await self.perform(job.steps[index].name, tenant: job.tenantId))
            } catch {
                outcome = .failure(error)
            }
            let elapsed = ContinuousClock.now - started
            job.steps[index].finishedAt = Date()
            job.steps[index].durationMilliseconds =
                elapsed.milliseconds
            switch outcome {
            case .success(let detail):
                job.steps[index].status = .succeeded
                job.steps[index].detail = detail
            case .failure(let error):
                job.steps[index].status = .failed
                job.steps[index].detail = Self.describe(error)
                job.status = .failed
                job.error = "\(job.steps[index].name.rawValue): \(Self.describe(error))"
                job.finishedAt = Date()
            }
            if job.status == .failed { break }
            if job.steps.allSatisfy({ $0.status == .succeeded }) {
                job.status = .succeeded
                job.finishedAt = Date()
            }
            await self.saveReporting(job)
        }
        switch job.status {
        case .failed:
            await self.saveReporting(job)
            self.logger.info("provisioning job failed", metadata: Self.metadata(job))
        case .running:
            // Every step had succeeded before a restart interrupted the final save.
            job.status = .succeeded
            job.finishedAt = Date()
            await self.saveReporting(job)
        case .succeeded:
            break
        }
        return job
    }

    /// Saves the job, logging a failure: the job keeps running, and the next save (or a restart,
    /// which finds the last saved state) records it.
    private func saveReporting(_ job: ProvisioningJob) async {
        do {
            try await self.save(job)
        } catch {
            self.logger.info(
                "provisioning job not saved",
                metadata: Self.metadata(job).merging(["error.message": "\(error)"]) { $1 }
            )
        }
    }

    /// Removes jobs that finished before `cutoff`; returns how many. Running jobs are kept.
    @discardableResult
    func pruneFinished(before cutoff: Date) async throws -> Int {
        try await EdgeRecordCodec.deleteAll(ProvisioningJob.self, prefix: Self.prefix, in: self.store) {
            $0.status != .running && ($0.finishedAt ?? $0.createdAt) < cutoff
        }
    }

    private func save(_ job: ProvisioningJob) async throws {
        try await self.store.put(Self.prefix + job.id.uuidString.lowercased(), try EdgeRecordCodec.encode(job))
    }

    // MARK: - Steps

    private func perform(_ step: ProvisioningJob.StepName, tenant id: UUID) async throws -> String {
        switch step {
        case .validateConfiguration:
            let configuration = try await self.data.configuration.configuration(tenant: id)
            let problems = ConfigurationRepository.problems(in: configuration.document)
            guard problems.isEmpty else {
                throw AdminProblem.unprocessable("the configuration is invalid", errors: problems)
            }
            return "\(configuration.sections.count) configuration section(s) valid"
        case .compileTemplates:
            guard let template = try await self.data.templates.active(tenant: id) else {
                guard self.storefront.themes.theme(named: ThemeLibrary.baseThemeName) != nil else {
                    throw RenderError(code: .unknownTheme, message: "the base theme is missing")
                }
                return "no template stored; the built-in '\(ThemeLibrary.baseThemeName)' theme serves"
            }
            let theme = try self.storefront.themes.compile(template)
            return "template '\(template.name)' compiled (theme '\(theme.name)')"
        case .renderPages:
            let tenant = try await self.data.tenants.tenant(id)
            let renderer = try await self.storefront.renderer(for: tenant)
            let home = renderer.render(.home)
            guard home.status == 200 else { throw AdminProblem.conflict("the home page rendered \(home.status)") }
            guard let product = try await self.data.catalog.products(tenant: id, limit: 1).items.first else {
                return "home rendered; no products yet"
            }
            let page = renderer.render(.product(slug: product.slug))
            guard page.status == 200 else {
                throw AdminProblem.conflict("product page '\(product.slug)' rendered \(page.status)")
            }
            return "home and product '\(product.slug)' rendered"
        case .checkDomains:
            let tenant = try await self.data.tenants.tenant(id)
            guard !tenant.customDomains.isEmpty else { return "no custom domains" }
            let certificates = Dictionary(
                try await self.data.certificates.list(tenant: id).map { ($0.domain, $0) },
                uniquingKeysWith: { first, _ in first }
            )
            let now = Date()
            let expired = tenant.customDomains.filter { certificates[$0].map { $0.notAfter < now } ?? false }
            guard expired.isEmpty else {
                throw AdminProblem.conflict("expired certificate(s): \(expired.sorted().joined(separator: ", "))")
            }
            let missing = tenant.customDomains.filter { certificates[$0] == nil }.sorted()
            // A domain without its own certificate still works, under the default certificate.
            return missing.isEmpty
                ? "\(tenant.customDomains.count) domain(s) with certificates"
                : "no certificate yet for: \(missing.joined(separator: ", "))"
        case .activate:
            let tenant = try await self.data.tenants.tenant(id)
            guard tenant.status != .active else { return "already active" }
            try await self.data.tenants.resume(id)
            return "activated"
        case .warmCache:
            return try await self.warm(try await self.data.tenants.tenant(id))
        }
    }

    /// Requests the home page, the first categories and products through the storefront, so
    /// they land in the page cache (and the tenant in its directory) as a shopper's request would.
    private func warm(_ tenant: Tenant) async throws -> String {
        var paths = ["/"]
        let categories = try await self.data.catalog.categories(tenant: tenant.id).prefix(Self.warmedPagesPerKind)
        paths += categories.map { "/categories/\($0.slug)" }
        let products = try await self.data.catalog.products(tenant: tenant.id, limit: Self.warmedPagesPerKind).items
        paths += products.map { "/products/\($0.slug)" }
        let authority = "\(tenant.subdomain).\(self.storefront.platformDomain)"
        for path in paths {
            let response = await self.storefront.respond(
                to: StorefrontRequest(
                    method: "GET",
                    authority: authority,
                    path: path,
                    query: nil,
                    headers: [],
                    clientAddress: nil,
                    body: nil
                )
            )
            guard response.status == 200 else { throw AdminProblem.conflict("\(path) answered \(response.status)") }
        }
        return "\(paths.count) page(s) cached"
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let problem as AdminProblem: problem.detail
        case let error as TenantStoreError: error.message
        case let error as RenderError: error.message
        default: "\(error)"
        }
    }

    private static func metadata(_ job: ProvisioningJob) -> Logger.Metadata {
        ["job.id": "\(job.id)", "tenant.id": "\(job.tenantId)", "job.status": "\(job.status.rawValue)"]
    }
}
