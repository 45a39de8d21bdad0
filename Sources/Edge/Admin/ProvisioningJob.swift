import Foundation

/// One provisioning run of a tenant: its steps with their timings and outcomes, as stored under
/// `edge/jobs/<id>` and shown by `GET /api/provision/status/{jobId}`.
struct ProvisioningJob: Sendable, Hashable, Codable {
    enum Status: String, Sendable, Hashable, Codable {
        case running
        case succeeded
        case failed
    }

    /// The steps, in the order they run. Activation comes before warming because activating a
    /// suspended tenant moves its content version, the page cache's key: pages warmed before it
    /// would be warmed under a key no shopper asks for.
    enum StepName: String, Sendable, Hashable, Codable, CaseIterable {
        case validateConfiguration = "validate-configuration"
        case compileTemplates = "compile-templates"
        case renderPages = "render-pages"
        case checkDomains = "check-domains"
        case activate
        case warmCache = "warm-cache"
    }

    /// One step's outcome and timing.
    struct Step: Sendable, Hashable, Codable {
        enum Status: String, Sendable, Hashable, Codable {
            case pending
            case running
            case succeeded
            case failed
        }

        var name: StepName
        var status: Status
        var startedAt: Date?
        var finishedAt: Date?
        var durationMilliseconds: Double?
        /// What the step found (pages rendered, domains without certificates…) or why it failed.
        var detail: String?
    }

    var id: UUID
    var tenantId: UUID
    var status: Status
    var steps: [Step]
    var createdAt: Date
    var finishedAt: Date?
    /// Why the job failed.
    var error: String?
    /// How many restarts found this job running and resumed it.
    var restarts: Int

    init(tenantId: UUID, now: Date = Date()) {
        self.id = UUID()
        self.tenantId = tenantId
        self.status = .running
        self.steps = StepName.allCases.map { Step(name: $0, status: .pending) }
        self.createdAt = now
        self.restarts = 0
    }
}
