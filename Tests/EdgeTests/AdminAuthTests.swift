import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import Render
import TenantStore
import Testing

@testable import Edge

/// Authentication, authorization, rate limits and audit of the admin API, with tenants and
/// configuration as the routes under test.
@Suite("Admin API: authentication, authorization, rate limits, audit")
struct AdminAuthTests {
    static func bearer(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func id(_ tenant: Tenant) -> String { tenant.id.uuidString.lowercased() }

    // MARK: - Tokens

    @Test func everyBadTokenIs401() async throws {
        try await withAdminAPI { client, fixture in
            let valid = fixture.platformAdmin
            let expired = try await fixture.tokens.sign(
                role: .platformAdmin,
                tenant: nil,
                subject: "test",
                lifetime: .seconds(60),
                now: Date().addingTimeInterval(-3600)
            )
            let otherDirectory = NSTemporaryDirectory() + "other-instance-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: otherDirectory) }
            let otherInstance = try await OperatorTokens(dataDirectory: otherDirectory, environment: [:])
            let foreign = try await otherInstance.sign(
                role: .platformAdmin,
                tenant: nil,
                subject: "x",
                lifetime: .seconds(600)
            )
            let parts = valid.split(separator: ".")
            let unsigned = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
            // Algorithm confusion: an HMAC token keyed with public material must not verify.
            let hmacHeader = Self.base64URL(#"{"alg":"HS256","typ":"JWT"}"#)
            let signingInput = hmacHeader + "." + parts[1]
            let mac = HMAC<SHA256>.authenticationCode(
                for: Data(signingInput.utf8),
                using: SymmetricKey(data: Data("public".utf8))
            )
            let confused = signingInput + "." + Self.base64URL(Data(mac))
            let tampered = parts[0] + "." + Self.base64URL(#"{"role":"platform-admin"}"#) + "." + parts[2]

            for token in [expired, foreign, unsigned, confused, tampered, "garbage", ""] {
                let response = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(token))
                #expect(response.status == .unauthorized, "token \(token.prefix(20))… was accepted")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            let missing = try await client.execute(uri: "/api/tenants", method: .get)
            #expect(missing.status == .unauthorized)
            let basic = try await client.execute(
                uri: "/api/tenants",
                method: .get,
                headers: [.authorization: "Basic eDp5"]
            )
            #expect(basic.status == .unauthorized)
            let ok = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(valid))
            #expect(ok.status == .ok)
        }
    }

    @Test func aTokenThatWorkedStopsWorkingWhenItExpires() async throws {
        try await withAdminAPI { client, fixture in
            // Signed an hour and a bit ago for an hour: valid for about 1.5 s more.
            let shortLived = try await fixture.tokens.sign(
                role: .platformAdmin,
                tenant: nil,
                subject: "test",
                lifetime: .seconds(3600),
                now: Date().addingTimeInterval(-3598.5)
            )
            let before = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(shortLived))
            #expect(before.status == .ok)
            try await Task.sleep(for: .seconds(2))
            let after = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(shortLived))
            #expect(after.status == .unauthorized)
        }
    }

    @Test func tokensForTheWrongScopeAreNotIssued() async throws {
        try await withAdminAPI { _, fixture in
            await #expect(throws: AdminProblem.self) {
                try await fixture.tokens.sign(role: .tenantAdmin, tenant: nil, subject: "x", lifetime: .seconds(60))
            }
            await #expect(throws: AdminProblem.self) {
                try await fixture.tokens.sign(
                    role: .platformAdmin,
                    tenant: fixture.tenant.id,
                    subject: "x",
                    lifetime: .seconds(60)
                )
            }
        }
    }

    // MARK: - Authorization table

    @Test func roleRouteAndTenantTable() async throws {
        try await withAdminAPI { client, fixture in
            let platform = fixture.platformAdmin
            let scopedAdmin = fixture.tenantAdmin
            let scopedViewer = fixture.viewer
            let scopedKey = try await fixture.data.apiKeys.create(name: "ci", tenant: fixture.tenant.id).plaintext
            let own = Self.id(fixture.tenant)
            let other = Self.id(fixture.otherTenant)
            let branding = ByteBuffer(string: ##"{"companyName":"Renamed","colors":{"primary":"#112233"}}"##)

            struct Row {
                var credential: String
                var method: HTTPRequest.Method
                var path: String
                var body: ByteBuffer?
                var expected: HTTPResponse.Status
            }
            let rows: [Row] = [
                Row(credential: platform, method: .get, path: "/api/tenants/\(other)", expected: .ok),
                Row(
                    credential: platform,
                    method: .put,
                    path: "/api/tenants/\(other)/config/branding",
                    body: branding,
                    expected: .ok
                ),
                Row(credential: scopedAdmin, method: .get, path: "/api/tenants/\(own)", expected: .ok),
                Row(credential: scopedAdmin, method: .get, path: "/api/tenants/\(own)/config", expected: .ok),
                Row(
                    credential: scopedAdmin,
                    method: .put,
                    path: "/api/tenants/\(own)/config/branding",
                    body: branding,
                    expected: .ok
                ),
                Row(credential: scopedAdmin, method: .get, path: "/api/tenants/\(other)", expected: .notFound),
                Row(credential: scopedAdmin, method: .get, path: "/api/tenants/\(other)/config", expected: .notFound),
                Row(
                    credential: scopedAdmin,
                    method: .put,
                    path: "/api/tenants/\(other)/config/branding",
                    body: branding,
                    expected: .notFound
                ),
                Row(credential: scopedAdmin, method: .delete, path: "/api/tenants/\(own)", expected: .forbidden),
                Row(
                    credential: scopedAdmin,
                    method: .post,
                    path: "/api/tenants",
                    body: ByteBuffer(string: #"{"companyName":"X","subdomain":"x"}"#),
                    expected: .forbidden
                ),
                Row(credential: scopedViewer, method: .get, path: "/api/tenants/\(own)/config", expected: .ok),
                Row(
                    credential: scopedViewer,
                    method: .put,
                    path: "/api/tenants/\(own)/config/branding",
                    body: branding,
                    expected: .forbidden
                ),
                Row(credential: scopedViewer, method: .get, path: "/api/tenants/\(other)", expected: .notFound),
                Row(
                    credential: scopedViewer,
                    method: .put,
                    path: "/api/tenants/\(other)/config/branding",
                    body: branding,
                    expected: .notFound
                ),
                Row(credential: "key:" + scopedKey, method: .get, path: "/api/tenants/\(own)/config", expected: .ok),
                Row(
                    credential: "key:" + scopedKey,
                    method: .get,
                    path: "/api/tenants/\(other)/config",
                    expected: .notFound
                ),
                Row(
                    credential: "key:sfe_bogus_key",
                    method: .get,
                    path: "/api/tenants/\(own)",
                    expected: .unauthorized
                ),
                // A random id is as unknown to a scoped caller as another tenant's: the same 404.
                Row(
                    credential: scopedAdmin,
                    method: .get,
                    path: "/api/tenants/\(UUID().uuidString)",
                    expected: .notFound
                ),
                Row(credential: platform, method: .get, path: "/api/tenants/not-a-uuid", expected: .notFound),
            ]
            for row in rows {
                var headers: HTTPFields = [.contentType: "application/json"]
                if row.credential.hasPrefix("key:") {
                    headers[.init("X-API-Key")!] = String(row.credential.dropFirst(4))
                } else {
                    headers[.authorization] = "Bearer \(row.credential)"
                }
                let response = try await client.execute(
                    uri: row.path,
                    method: row.method,
                    headers: headers,
                    body: row.body
                )
                #expect(response.status == row.expected, "\(row.method) \(row.path)")
            }
            let scopedList = try await client.execute(
                uri: "/api/tenants",
                method: .get,
                headers: Self.bearer(scopedAdmin)
            )
            let listed = String(buffer: scopedList.body)
            #expect(listed.contains(fixture.tenant.companyName) && !listed.contains(fixture.otherTenant.companyName))
        }
    }

    // MARK: - Tenants and configuration

    @Test func createReadUpdateDeleteATenant() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.platformAdmin
            let created = try await client.execute(
                uri: "/api/tenants",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"companyName":"Zed Shoes","subdomain":"zed"}"#)
            )
            #expect(created.status == .created)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any]
            let apiKey = try #require(body?["apiKey"] as? String)
            let tenant = try #require(body?["tenant"] as? [String: Any])
            let id = try #require(tenant["id"] as? String).lowercased()
            #expect(created.headers[.location] == "/api/tenants/\(id)")

            let withKey = try await client.execute(
                uri: "/api/tenants/\(id)",
                method: .get,
                headers: [.init("X-API-Key")!: apiKey]
            )
            #expect(withKey.status == .ok)
            let duplicate = try await client.execute(
                uri: "/api/tenants",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"companyName":"Other","subdomain":"zed"}"#)
            )
            #expect(duplicate.status == .conflict)
            let invalid = try await client.execute(
                uri: "/api/tenants",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"companyName":"","subdomain":"-bad-"}"#)
            )
            #expect(invalid.status == .unprocessableContent)
            #expect(String(buffer: invalid.body).contains("\"pointer\""))
            let malformed = try await client.execute(
                uri: "/api/tenants",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"companyName": 5}"#)
            )
            #expect(malformed.status == .badRequest)
            let deep = try await client.execute(
                uri: "/api/tenants",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
            )
            #expect(deep.status == .badRequest)

            let suspended = try await client.execute(
                uri: "/api/tenants/\(id)",
                method: .put,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"status":"suspended"}"#)
            )
            #expect(suspended.status == .ok)
            #expect(String(buffer: suspended.body).contains("\"suspended\""))
            let deleted = try await client.execute(
                uri: "/api/tenants/\(id)",
                method: .delete,
                headers: Self.bearer(token)
            )
            #expect(deleted.status == .ok)
            // Gone for every read of the API, also those that only list what the tenant has.
            for resource in ["", "/templates", "/products", "/categories", "/orders", "/leads", "/domains", "/preview"]
            {
                let gone = try await client.execute(
                    uri: "/api/tenants/\(id)\(resource)",
                    method: .get,
                    headers: Self.bearer(token)
                )
                #expect(gone.status == .notFound, "\(resource)")
            }
            let importing = try await client.execute(
                uri: "/api/tenants/\(id)/products/import?format=ndjson&mode=atomic",
                method: .post,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"slug":"boot","name":"Boot","priceMinor":1000,"currency":"EUR"}"#)
            )
            #expect(importing.status == .notFound)
            // A token still valid for the deleted tenant lists nothing.
            let scoped = try await fixture.tokens.sign(
                role: .tenantAdmin,
                tenant: UUID(uuidString: id),
                subject: "test-deleted",
                lifetime: .seconds(60)
            )
            let own = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(scoped))
            #expect(own.status == .ok)
            let page = try JSONSerialization.jsonObject(with: Data(buffer: own.body)) as? [String: Any]
            #expect((page?["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func configurationWritesAreConditionalOnTheETag() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let path = "/api/tenants/\(Self.id(fixture.tenant))/config"
            let current = try await client.execute(uri: path, method: .get, headers: Self.bearer(token))
            let etag = try #require(current.headers[.eTag])
            var headers = Self.bearer(token)
            headers[.ifMatch] = etag
            let update = try await client.execute(
                uri: path + "/branding",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: ##"{"companyName":"Acme Renamed","colors":{"primary":"#112233"}}"##)
            )
            #expect(update.status == .ok)
            #expect(update.headers[.eTag] != etag)
            let stale = try await client.execute(
                uri: path + "/branding",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: #"{"companyName":"Lost Update"}"#)
            )
            #expect(stale.status == .preconditionFailed)
            let invalid = try await client.execute(
                uri: path + "/branding",
                method: .put,
                headers: Self.bearer(token),
                body: ByteBuffer(string: #"{"colors":{"primary":"red"}}"#)
            )
            #expect(invalid.status == .unprocessableContent)
            #expect(String(buffer: invalid.body).contains("/colors/primary"))
            let unknown = try await client.execute(uri: path + "/nonsense", method: .get, headers: Self.bearer(token))
            #expect(unknown.status == .notFound)
            let section = try await client.execute(uri: path + "/branding", method: .get, headers: Self.bearer(token))
            #expect(String(buffer: section.body).contains("Acme Renamed"))
        }
    }

    // MARK: - Rate limits and audit

    @Test func aCredentialOverItsLimitGets429() async throws {
        try await withAdminAPI(configuration: .init(credentialBurst: 3, credentialRatePerSecond: 0.01)) {
            client,
            fixture in
            let token = fixture.platformAdmin
            for _ in 0..<3 {
                let response = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(token))
                #expect(response.status == .ok)
                #expect(response.headers[.init("RateLimit-Limit")!] == "3")
            }
            let limited = try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(token))
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(limited.headers[.init("RateLimit-Remaining")!] == "0")
            let other = fixture.viewer
            #expect(
                try await client.execute(uri: "/api/tenants", method: .get, headers: Self.bearer(other)).status == .ok
            )
        }
    }

    @Test func everyMutatingCallIsAudited() async throws {
        try await withAdminAPI { client, fixture in
            let admin = fixture.tenantAdmin
            let viewer = fixture.viewer
            let path = "/api/tenants/\(Self.id(fixture.tenant))/config/branding"
            let body = ByteBuffer(string: #"{"companyName":"Audited"}"#)
            _ = try await client.execute(uri: path, method: .put, headers: Self.bearer(admin), body: body)
            _ = try await client.execute(uri: path, method: .put, headers: Self.bearer(viewer), body: body)
            _ = try await client.execute(uri: path, method: .get, headers: Self.bearer(admin))
            let events = try await fixture.data.audit.events(tenant: fixture.tenant.id).items
            #expect(events.count == 2)
            let denied = try #require(events.first)
            #expect(denied.outcome == .denied)
            let success = try #require(events.last)
            #expect(success.outcome == .success)
            #expect(success.actor == "operator:test-tenant-admin")
            #expect(success.action == "PUT /api/tenants/{id}/config/{key}")
            #expect(success.target == path)
            #expect(success.requestId != nil)
        }
    }

    private static func base64URL(_ text: String) -> String {
        Self.base64URL(Data(text.utf8))
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
