import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// The request context of the admin API: Hummingbird's core storage plus who is calling.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, set by ``AdminAuthenticator``; `nil` before it ran.
    public var principal: Principal?
    /// The peer's address, for rate limits and the audit log.
    public var clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Admin bodies are JSON documents, catalog imports at most a few MiB.
    public var maxUploadSize: Int { 8 << 20 }

    /// The caller, or `401` when the route is reached without one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw AdminProblem.unauthorized("authentication required") }
        return principal
    }
}
