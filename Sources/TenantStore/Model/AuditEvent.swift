public import Foundation

/// One entry of the audit log: who did what to which tenant, when, from where, and how it ended.
public struct AuditEvent: Sendable, Hashable, Codable, Identifiable {
    /// How the audited action ended.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        case success
        /// The action was attempted and failed.
        case failure
        /// The caller was not allowed to do it.
        case denied
    }

    /// Time-sortable; listings show the newest first.
    public var id: RecordID
    public var time: Date
    /// Who acted, e.g. `platform-admin:alice` or `apikey:sfe_ab12cd34`.
    public var actor: String
    /// What was done, e.g. `tenant.create`.
    public var action: String
    /// What it was done to, e.g. `tenant/<id>` or `product/<slug>`.
    public var target: String
    /// The tenant concerned; `nil` for platform-level events.
    public var tenantId: UUID?
    public var requestId: String?
    public var clientAddress: String?
    public var outcome: Outcome

    public init(
        actor: String,
        action: String,
        target: String,
        tenantId: UUID? = nil,
        requestId: String? = nil,
        clientAddress: String? = nil,
        outcome: Outcome = .success,
        id: RecordID = RecordID(),
        time: Date = Date()
    ) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.tenantId = tenantId
        self.requestId = requestId
        self.clientAddress = clientAddress
        self.outcome = outcome
    }

    func validate(into problems: inout ProblemList) {
        problems.check(self.actor, .text(maxLength: 200), at: .root.appending("actor"))
        problems.check(self.action, .text(maxLength: 100), at: .root.appending("action"))
        problems.check(self.target, .text(maxLength: 500), at: .root.appending("target"))
        if let requestId = self.requestId {
            problems.check(requestId, .text(maxLength: 200), at: .root.appending("requestId"))
        }
        if let clientAddress = self.clientAddress {
            problems.check(clientAddress, .text(maxLength: 100), at: .root.appending("clientAddress"))
        }
    }
}
