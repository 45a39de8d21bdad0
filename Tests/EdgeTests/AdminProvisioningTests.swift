import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TenantStore
import Testing

@testable import Edge

/// Provisioning jobs, create-and-provision, drafts and deploy, through the admin API's router.
@Suite struct AdminProvisioningTests {
    typealias Harness = AdminProvisioningHarness

    static let stepNames = [
        "validate-configuration", "compile-templates", "render-pages", "check-domains", "activate", "warm-cache",
    ]

    @Test func provisioningRunsEveryStepWithTimingsAndWarmsTheCache() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("lumen")
            let token = try await harness.token()
            let job = try await harness.test { client in
                let accepted = try await Harness.call(
                    client,
                    .post,
                    "/api/tenants/\(tenant.id)/provision",
                    token: token
                )
                #expect(accepted.status == .accepted)
                let id = try #require(accepted.json["jobId"]?.stringValue)
                #expect(accepted.headers[.location] == "/api/provision/status/\(id.lowercased())")
                return try await harness.finishedJob(id, token: token, client: client)
            }
            #expect(job["status"]?.stringValue == "succeeded")
            #expect(job["tenantId"]?.stringValue == tenant.id.uuidString)
            let steps = try #require(job["steps"]?.arrayValue)
            #expect(steps.compactMap { $0["name"]?.stringValue } == Self.stepNames)
            for step in steps {
                #expect(step["status"]?.stringValue == "succeeded", "\(step)")
                #expect(step["startedAt"]?.stringValue != nil)
                #expect(step["finishedAt"]?.stringValue != nil)
                guard case .number(let milliseconds) = step["durationMilliseconds"] else {
                    Issue.record("no duration in \(step)")
                    continue
                }
                #expect(milliseconds >= 0)
            }
            // The first shopper is answered from the cache, on the synchronous path.
            for path in ["/", "/products/first-lamp"] {
                let hit = harness.storefront.immediateResponse(to: Harness.request("lumen.localhost", path))
                #expect(hit?.status == 200, "\(path)")
            }
        }
    }

    @Test func createAndProvisionInOneCallServesTheFirstPageFromTheCache() async throws {
        try await Harness.with { harness in
            let token = try await harness.token()
            let reply = try await harness.test { client in
                try await Harness.call(
                    client,
                    .post,
                    "/api/provision/store?wait=true",
                    token: token,
                    json: """
                        {"companyName":"Aurora Tea","subdomain":"aurora","theme":"premium",
                         "branding":{"companyName":"Aurora Tea House"},
                         "products":[{"slug":"green-leaf","name":"Green Leaf","priceMinor":900,"currency":"EUR"}]}
                        """
                )
            }
            #expect(reply.status == .created, "\(reply.body)")
            #expect(reply.json["apiKey"]?.stringValue?.isEmpty == false)
            #expect(reply.json["job"]?["status"]?.stringValue == "succeeded")
            #expect(reply.json["tenant"]?["subdomain"]?.stringValue == "aurora")
            let page = try #require(harness.storefront.immediateResponse(to: Harness.request("aurora.localhost")))
            #expect(page.status == 200)
            #expect(String(buffer: page.body).contains("Aurora Tea House"))
            let product = harness.storefront.immediateResponse(
                to: Harness.request("aurora.localhost", "/products/green-leaf")
            )
            #expect(product?.status == 200)
            let active = try await harness.data.templates.active(
                tenant: try #require(reply.json["tenant"]?["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            )
            #expect(active?.name == "premium")
        }
    }

    @Test func invalidStoreIsRefusedWithoutCreatingTheTenant() async throws {
        try await Harness.with { harness in
            let token = try await harness.token()
            let reply = try await harness.test { client in
                try await Harness.call(
                    client,
                    .post,
                    "/api/provision/store",
                    token: token,
                    json: #"{"companyName":"Bad","subdomain":"bad","theme":"no-such-theme"}"#
                )
            }
            #expect(reply.status == .unprocessableContent)
            #expect(reply.body.contains("/theme"))
            #expect(try await harness.data.tenants.tenant(subdomain: "bad") == nil)
        }
    }

    @Test func jobsOfAnotherTenantAreNotFoundForTenantScopedCallers() async throws {
        try await Harness.with { harness in
            let mine = try await harness.tenant("mine")
            let other = try await harness.tenant("other")
            let platform = try await harness.token()
            let ownViewer = try await harness.token(.viewer, tenant: mine.id)
            let otherAdmin = try await harness.token(.tenantAdmin, tenant: other.id)
            try await harness.test { client in
                let reply = try await Harness.call(
                    client,
                    .post,
                    "/api/tenants/\(mine.id)/provision?wait=true",
                    token: platform
                )
                #expect(reply.status == .ok)
                let id = try #require(reply.json["id"]?.stringValue)
                #expect(
                    try await Harness.call(client, .get, "/api/provision/status/\(id)", token: ownViewer).status == .ok
                )
                #expect(
                    try await Harness.call(client, .get, "/api/provision/status/\(id)", token: otherAdmin).status
                        == .notFound
                )
                #expect(
                    try await Harness.call(client, .get, "/api/provision/status/\(UUID())", token: platform).status
                        == .notFound
                )
                #expect(
                    try await Harness.call(client, .post, "/api/tenants/\(mine.id)/provision", token: ownViewer).status
                        == .forbidden
                )
                #expect(
                    try await Harness.call(client, .post, "/api/tenants/\(mine.id)/provision", token: otherAdmin).status
                        == .notFound
                )
            }
        }
    }

    /// A job record as a process killed during the render step leaves it.
    static func interruptedJob(tenant: UUID, restarts: Int) -> ProvisioningJob {
        var job = ProvisioningJob(tenantId: tenant, now: Date(timeIntervalSince1970: 1_800_000_000))
        job.restarts = restarts
        for index in 0..<2 {
            job.steps[index].status = .succeeded
            job.steps[index].startedAt = Date(timeIntervalSince1970: 1_800_000_000)
            job.steps[index].finishedAt = Date(timeIntervalSince1970: 1_800_000_001)
            job.steps[index].durationMilliseconds = 1000
            job.steps[index].detail = "done before the restart"
        }
        job.steps[2].status = .running
        job.steps[2].startedAt = Date(timeIntervalSince1970: 1_800_000_001)
        return job
    }

    static func store(_ job: ProvisioningJob, in store: any KeyValueStore) async throws {
        try await store.put(
            Provisioner.prefix + job.id.uuidString.lowercased(),
            try EdgeRecordCodec.encode(job)
        )
    }

    @Test func jobLeftRunningIsResumedFromItsLastCompletedStepAfterARestart() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("resumed")
            let job = Self.interruptedJob(tenant: tenant.id, restarts: 0)
            try await Self.store(job, in: harness.store)

            let restarted = try await harness.restarted()
            defer { restarted.store.close() }
            try await restarted.api.resumeInterruptedJobs()
            let token = try await restarted.token()
            let status = try await restarted.test { client in
                try await restarted.finishedJob(job.id.uuidString.lowercased(), token: token, client: client)
            }
            #expect(status["status"]?.stringValue == "succeeded")
            #expect(status["restarts"] == .number(1))
            let steps = try #require(status["steps"]?.arrayValue)
            #expect(steps.compactMap { $0["status"]?.stringValue } == Array(repeating: "succeeded", count: 6))
            // The steps completed before the restart were not run again.
            #expect(steps[0]["detail"]?.stringValue == "done before the restart")
            #expect(steps[1]["startedAt"]?.stringValue == "2027-01-15T08:00:00Z")
            #expect(steps[2]["startedAt"]?.stringValue != "2027-01-15T08:00:01Z")
        }
    }

    @Test func jobInterruptedAgainIsFailedVisiblyAfterARestart() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("crashy")
            let job = Self.interruptedJob(tenant: tenant.id, restarts: 1)
            try await Self.store(job, in: harness.store)

            let restarted = try await harness.restarted()
            defer { restarted.store.close() }
            try await restarted.api.resumeInterruptedJobs()
            let token = try await restarted.token()
            let status = try await restarted.test { client in
                try await Harness.call(client, .get, "/api/provision/status/\(job.id)", token: token).json
            }
            #expect(status["status"]?.stringValue == "failed")
            #expect(status["error"]?.stringValue == "interrupted by restart")
            let steps = try #require(status["steps"]?.arrayValue)
            #expect(steps[2]["status"]?.stringValue == "failed")
            #expect(steps[2]["detail"]?.stringValue == "interrupted by restart")
            #expect(steps[3]["status"]?.stringValue == "pending")
        }
    }

    @Test func deployPublishesTheDraftAtomicallyAndBumpsTheContentVersion() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("drafty")
            try await harness.data.configuration.set(.branding, to: ["companyName": "Live Name"], tenant: tenant.id)
            let token = try await harness.token()
            let admin = try await harness.token(.tenantAdmin, tenant: tenant.id)
            try await harness.test { client in
                let base = "/api/tenants/\(tenant.id)"
                #expect(
                    try await Harness.call(
                        client,
                        .post,
                        "/api/provision/deploy",
                        token: admin,
                        json: #"{"tenantId":"\#(tenant.id)"}"#
                    ).status == .conflict
                )
                let draft = try await Harness.call(
                    client,
                    .put,
                    "\(base)/draft/config",
                    token: admin,
                    json: #"{"branding":{"companyName":"Draft Name"},"features":{}}"#
                )
                #expect(draft.status == .ok, "\(draft.body)")
                let invalid = try await Harness.call(
                    client,
                    .put,
                    "\(base)/draft/config",
                    token: admin,
                    json: #"{"nope":1}"#
                )
                #expect(invalid.status == .unprocessableContent)
                let template = try await Harness.call(
                    client,
                    .put,
                    "\(base)/draft/template",
                    token: admin,
                    json: #"{"name":"premium"}"#
                )
                #expect(template.status == .ok)
                #expect(template.json["template"]?.stringValue == "premium")
                #expect(template.json["configuration"]?["branding"]?["companyName"]?.stringValue == "Draft Name")
                let unknown = try await Harness.call(
                    client,
                    .put,
                    "\(base)/draft/template",
                    token: admin,
                    json: #"{"name":"ghost"}"#
                )
                #expect(unknown.status == .unprocessableContent)

                // The draft changes nothing live.
                let live = try await Harness.call(client, .get, "\(base)/config", token: token)
                #expect(live.json["branding"]?["companyName"]?.stringValue == "Live Name")
                let before = try await harness.data.tenants.tenant(tenant.id).contentVersion

                let deployed = try await Harness.call(
                    client,
                    .post,
                    "/api/provision/deploy",
                    token: admin,
                    json: #"{"tenantId":"\#(tenant.id)"}"#
                )
                #expect(deployed.status == .ok, "\(deployed.body)")
                #expect(deployed.json["contentVersion"] == .number(Double(before + 1)))
                let published = try await Harness.call(client, .get, "\(base)/config", token: token)
                #expect(published.json["branding"]?["companyName"]?.stringValue == "Draft Name")
                #expect(published.json["features"] != nil)
                #expect(try await Harness.call(client, .get, "\(base)/draft", token: token).status == .notFound)
            }
            #expect(try await harness.data.templates.active(tenant: tenant.id)?.name == "premium")
            let page = await harness.storefront.respond(to: Harness.request("drafty.localhost"))
            #expect(String(buffer: page.body).contains("Draft Name"))
        }
    }

    @Test func builtInThemesAreListed() async throws {
        try await Harness.with { harness in
            let token = try await harness.token(.viewer, tenant: UUID())
            let reply = try await harness.test { client in
                try await Harness.call(client, .get, "/api/provision/templates", token: token)
            }
            #expect(reply.status == .ok)
            let names = reply.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["base", "premium"])
        }
    }
}
