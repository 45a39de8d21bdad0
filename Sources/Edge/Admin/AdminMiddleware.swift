import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TenantStore

/// Token-bucket rate limits for the admin API: `429` with `Retry-After` and `RateLimit-*` headers.
///
/// Used twice: per client address before authentication (so guessing credentials is slow too)
/// and per credential after it.
struct AdminRateLimitMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    let limiter: RateLimiter
    /// Whether successful responses carry this limiter's `RateLimit-*` headers; of two limiters
    /// only one may, or clients would see two conflicting sets.
    let advertises: Bool
    let key: @Sendable (Context) -> String?

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let key = self.key(context) else { return try await next(request, context) }
        let decision = self.limiter.acquire(key)
        guard decision.allowed else {
            throw AdminProblem(
                status: .tooManyRequests,
                detail: "rate limit exceeded; retry after \(decision.retryAfterSeconds) s",
                headers: Self.fields(of: decision)
            )
        }
        var response = try await next(request, context)
        if self.advertises {
            response.headers.append(contentsOf: Self.fields(of: decision))
        }
        return response
    }

    /// The decision's `RateLimit-*` (and `Retry-After`) fields, made only for a response that
    /// carries them: every admin call passes two limiters and at most one of them advertises.
    private static func fields(of decision: RateLimiter.Decision) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in decision.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return fields
    }
}

/// Records every mutating call in the audit log before its response leaves: actor, action (the
/// method and route), target (the path), tenant, request id, client address, time and outcome.
///
/// A call that fails authorization is recorded as `denied`, other failures as `failure`; the
/// error still reaches the client unchanged.
struct AdminAuditMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    let audit: AuditLog

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        // A successful change commits this event with itself (one sync, never one without the
        // other); any other ending is recorded on its own below.
        let pending = try self.audit.pending(self.event(request, context: context, outcome: .success))
        do {
            let response = try await pending.accompanying {
                try await next(request, context)
            }
            try await self.record(request, context: context, status: response.status.code, committed: !pending.close())
            return response
        } catch let problem as AdminProblem {
            try await self.record(request, context: context, status: problem.status.code, committed: !pending.close())
            throw problem
        } catch {
            try await self.record(request, context: context, status: 500, committed: !pending.close())
            throw error
        }
    }

    /// Appends the call's event unless a successful call's change already committed it; a call
    /// that failed after committing a change gets a second event with its outcome.
    private func record(_ request: Request, context: Context, status: Int, committed: Bool) async throws {
        let outcome: AuditEvent.Outcome =
            switch status {
            case 200..<400: .success
            case 401, 403,
                404 where context.principal?.tenant != nil:
                .denied
            default: .failure
            }
        guard !(committed && outcome == .success) else { return }
        try await self.audit.append(self.event(request, context: context, outcome: outcome))
    }

    private func event(_ request: Request, context: Context, outcome: AuditEvent.Outcome) -> AuditEvent {
        AuditEvent(
            actor: context.principal?.actor ?? "anonymous",
            action: "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path)",
            target: String(request.uri.path.prefix(500)),
            tenantId: context.parameters.get("id").flatMap(UUID.init(uuidString:)) ?? context.principal?.tenant,
            // `context.id` traps when the log handler drops metadata; read it optionally.
            requestId: context.logger[metadataKey: "hb.request.id"]?.description,
            clientAddress: context.clientAddress,
            outcome: outcome
        )
    }
}
