import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TenantStore

/// Authenticates every admin API request: `Authorization: Bearer <JWT>` for operators,
/// `X-API-Key` for tenants' programs. Anything else, or a credential that does not verify, is `401`.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = AdminRequestContext

    let tokens: OperatorTokens
    let apiKeys: APIKeyRepository

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            let scheme = "bearer "
            guard HeaderFieldName.equal(authorization.prefix(scheme.count), scheme) else {
                throw AdminProblem.unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            // Not Foundation's `trimmingCharacters`: bridged through NSString, it cost 4 % of
            // the CPU of a config PUT.
            let token = String(HeaderList.trimmed(authorization.dropFirst(scheme.count)))
            context.principal = try await self.tokens.principal(forToken: token)
        } else if let key = request.headers[.apiKey] {
            guard let authenticated = try await self.apiKeys.authenticate(key: key) else {
                throw AdminProblem.unauthorized("the API key is not valid")
            }
            context.principal = Principal(
                actor: "api-key:\(authenticated.key.prefix)",
                role: .tenantAdmin,
                tenant: authenticated.tenant.id,
                credential: authenticated.key.id.description
            )
        } else {
            throw AdminProblem.unauthorized("send Authorization: Bearer <token> or X-API-Key")
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let apiKey = Self("X-API-Key")!
}
