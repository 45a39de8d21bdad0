import Crypto
public import Foundation
import JWTKit
import Synchronization
import TenantStore

/// Operator tokens: JWTs signed with the instance's Ed25519 key, kept in the data directory.
///
/// The key is 32 random bytes in `DIR/token-signing.key` (mode 0600, created on first use, or
/// `EDGE_TOKEN_SIGNING_KEY` as base64), used as an Ed25519 seed. Only `EdDSA` tokens with this
/// key verify: `alg: none`, HMAC tokens keyed with the public key and tokens from another
/// instance all fail, as do expired ones (no leeway), so every one of them is `401`.
public struct OperatorTokens: Sendable {
    /// The token's claims.
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var iss: IssuerClaim
        var jti: IDClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        var role: String
        var tenant: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try self.exp.verifyNotExpired()
            guard self.iss.value == OperatorTokens.issuer else {
                throw JWTError.claimVerificationFailure(failedClaim: self.iss, reason: "not issued by this edge")
            }
        }
    }

    /// The `iss` of every token this edge signs.
    static let issuer = "storefront-edge"
    /// The key file in the data directory.
    public static let keyFileName = "token-signing.key"
    /// The environment variable that overrides the key file.
    public static let keyEnvironmentVariable = "EDGE_TOKEN_SIGNING_KEY"

    private let keys: JWTKeyCollection
    private let verified = VerifiedTokens()

    /// The signer for the instance whose data directory is `dataDirectory`.
    ///
    /// - Throws: ``TenantStoreError`` when the key file cannot be read or created.
    public init(
        dataDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws {
        let seed = try SecretKey.load(
            dataDirectory: dataDirectory,
            environment: environment,
            fileName: Self.keyFileName,
            environmentVariable: Self.keyEnvironmentVariable
        )
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed.bytes)
        self.keys = await JWTKeyCollection().add(eddsa: EdDSA.PrivateKey(backing: key))
    }

    /// A signed token for `role`, scoped to `tenant` for the tenant roles.
    ///
    /// - Throws: ``AdminProblem`` when a tenant role has no tenant or the platform role has one.
    public func sign(
        role: Principal.Role,
        tenant: UUID?,
        subject: String,
        lifetime: Duration,
        now: Date = Date()
    ) async throws -> String {
        switch (role, tenant) {
        case (.platformAdmin, .some):
            throw AdminProblem.badRequest("the platform-admin role is not scoped to a tenant")
        case (.tenantAdmin, nil), (.viewer, nil):
            throw AdminProblem.badRequest("the \(role.rawValue) role needs a tenant")
        default:
            break
        }
        let claims = Claims(
            sub: SubjectClaim(value: subject),
            iss: IssuerClaim(value: Self.issuer),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(Double(lifetime.components.seconds))),
            role: role.rawValue,
            tenant: tenant?.uuidString.lowercased()
        )
        return try await self.keys.sign(claims)
    }

    /// The caller a bearer token stands for.
    ///
    /// - Throws: ``AdminProblem`` `401` for any token that does not verify.
    public func principal(forToken token: String) async throws -> Principal {
        if let principal = self.verified.principal(forToken: token, now: Date()) {
            return principal
        }
        let claims: Claims
        do {
            claims = try await self.keys.verify(token, as: Claims.self)
        } catch {
            throw AdminProblem.unauthorized("the bearer token is not valid: \(Self.reason(error))")
        }
        guard let role = Principal.Role(rawValue: claims.role) else {
            throw AdminProblem.unauthorized("the bearer token has an unknown role")
        }
        let tenant = claims.tenant.flatMap(UUID.init(uuidString:))
        guard (role == .platformAdmin) == (tenant == nil) else {
            throw AdminProblem.unauthorized("the bearer token's tenant scope does not fit its role")
        }
        let principal = Principal(
            actor: "operator:\(claims.sub.value)",
            role: role,
            tenant: tenant,
            credential: claims.jti.value
        )
        self.verified.record(principal, forToken: token, expiresAt: claims.exp.value)
        return principal
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? JWTError else { return "malformed" }
        switch error.errorType {
        case .claimVerificationFailure: return "expired or not issued by this edge"
        case .signatureVerificationFailed: return "bad signature"
        case .malformedToken: return "malformed"
        default: return "not verifiable with this edge's key"
        }
    }
}

/// Tokens that verified recently, until they expire.
///
/// An operator's script sends the same token with every call, and verifying its Ed25519
/// signature (behind jwt-kit's actor, one at a time) cost more than the rest of a small admin
/// request. A token is immutable, so the principal it verified to stays right until `exp`.
private final class VerifiedTokens: Sendable {
    /// Past this many tokens the cache starts over, which costs only verifications.
    static let capacity = 1024
    private let entries = Mutex<[String: (principal: Principal, expiresAt: Date)]>([:])

    func principal(forToken token: String, now: Date) -> Principal? {
        self.entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.expiresAt else {
                entries[token] = nil
                return nil
            }
            return entry.principal
        }
    }

    func record(_ principal: Principal, forToken token: String, expiresAt: Date) {
        self.entries.withLock { entries in
            if entries.count >= Self.capacity {
                entries.removeAll(keepingCapacity: true)
            }
            entries[token] = (principal, expiresAt)
        }
    }
}
