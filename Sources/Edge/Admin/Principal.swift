public import Foundation

/// Who calls the admin API, and what they may touch.
///
/// Operators carry a role in their token; a tenant's API key acts as that tenant's admin.
/// Everything tenant-scoped goes through ``authorize(tenant:_:)``, the single place where a
/// caller scoped to tenant A learns nothing about tenant B: every resource of B is `404` to
/// them, exactly as if it did not exist.
public struct Principal: Sendable, Hashable {
    /// What a caller may do.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Everything, on every tenant.
        case platformAdmin = "platform-admin"
        /// Read and change one tenant.
        case tenantAdmin = "tenant-admin"
        /// Read one tenant.
        case viewer
    }

    /// Whether a route reads or changes.
    public enum Access: Sendable, Hashable {
        case read
        case write
    }

    /// How the caller authenticated, for the audit log: `operator:<subject>` or `api-key:<prefix>`.
    public var actor: String
    /// The caller's role.
    public var role: Role
    /// The one tenant a tenant-scoped role may touch; `nil` for platform admins.
    public var tenant: UUID?
    /// The credential, for per-credential rate limits: the token id or the key id.
    public var credential: String

    public init(actor: String, role: Role, tenant: UUID?, credential: String) {
        self.actor = actor
        self.role = role
        self.tenant = tenant
        self.credential = credential
    }

    /// Throws `404` when the caller may not see `tenant`, `403` when it may see but not change it.
    public func authorize(tenant: UUID, _ access: Access) throws {
        switch self.role {
        case .platformAdmin:
            return
        case .tenantAdmin, .viewer:
            guard self.tenant == tenant else { throw AdminProblem.notFound("no such tenant") }
            if access == .write, self.role == .viewer {
                throw AdminProblem.forbidden("the viewer role is read-only")
            }
        }
    }

    /// Throws `403` unless the caller is a platform admin.
    public func requirePlatformAdmin() throws {
        guard self.role == .platformAdmin else {
            throw AdminProblem.forbidden("this operation needs the platform-admin role")
        }
    }
}
