import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// `POST /api/tenants/{id}/products/import`: NDJSON and CSV, atomic and partial, per-line errors.
@Suite struct AdminProductImportTests {
    static let ndjson = """
        {"slug":"import-one","name":"One","priceMinor":100,"currency":"EUR"}
        {"slug":"import-two","name":"Two","priceMinor":-5,"currency":"EUR"}

        {"slug":"import-three","name":"Three","priceMinor":300,"currency":"EUR","featured":true}
        not json
        {"slug":"import-one","name":"Again","priceMinor":100,"currency":"EUR"}
        {"slug":"import-four","priceMinor":"cheap","currency":"EUR"}
        """

    static func failures(_ response: TestResponse) throws -> [Int: [String]] {
        var lines: [Int: [String]] = [:]
        for failure in try response.json["failed"]?.arrayValue ?? [] {
            let line = Int(try #require(failure["line"]?.numberValue))
            lines[line] = failure["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        }
        return lines
    }

    static let expectedFailures: [Int: [String]] = [2: ["/priceMinor"], 5: [""], 6: ["/slug"], 7: ["/priceMinor"]]

    @Test func atomicImportAppliesNothingWhenALineFails() async throws {
        try await withAdminAPI { client, fixture in
            let response = try await client.send(
                .post,
                fixture.path("/products/import"),
                token: fixture.tenantAdmin,
                text: Self.ndjson,
                contentType: "application/x-ndjson"
            )
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try Self.failures(response) == Self.expectedFailures)
            #expect(try response.json["imported"] == 0)
            let products = try await fixture.data.catalog.products(tenant: fixture.tenant.id, limit: 1000).items
            #expect(!products.contains { $0.slug.hasPrefix("import-") })
        }
    }

    @Test func partialImportAppliesTheValidLines() async throws {
        try await withAdminAPI { client, fixture in
            let response = try await client.send(
                .post,
                fixture.path("/products/import?format=ndjson&mode=partial"),
                token: fixture.tenantAdmin,
                text: Self.ndjson,
                contentType: "application/octet-stream"
            )
            #expect(response.status == .ok)
            #expect(try response.json["imported"] == 2)
            #expect(try Self.failures(response) == Self.expectedFailures)
            let three = try await fixture.data.catalog.product("import-three", tenant: fixture.tenant.id)
            #expect(three.featured)
            #expect(try await fixture.data.catalog.product("import-one", tenant: fixture.tenant.id).name == "One")
        }
    }

    @Test func atomicImportOfValidLinesCreatesAndReplaces() async throws {
        try await withAdminAPI { client, fixture in
            let existing = try #require(try await fixture.data.catalog.products(tenant: fixture.tenant.id).items.first)
            let body = """
                {"slug":"\(existing.slug)","name":"Renamed","priceMinor":1,"currency":"EUR"}
                {"slug":"brand-new","name":"New","priceMinor":2,"currency":"EUR"}
                """
            let response = try await client.send(
                .post,
                fixture.path("/products/import"),
                token: fixture.tenantAdmin,
                text: body,
                contentType: "application/x-ndjson; charset=utf-8"
            )
            #expect(response.status == .ok)
            #expect(try response.json == ["imported": 2, "failed": []])
            let renamed = try await fixture.data.catalog.product(existing.slug, tenant: fixture.tenant.id)
            #expect(renamed.name == "Renamed")
            #expect(renamed.createdAt == existing.createdAt)
        }
    }

    @Test func csvWithQuotesListsAndAttributeColumns() async throws {
        try await withAdminAPI { client, fixture in
            let csv =
                "\u{FEFF}slug,name,description,priceMinor,currency,images,featured,attributes.colour,attributes.shape\r\n"
                + "round-frame,\"Round, classic\",\"Two lines\nand a \"\"quote\"\"\",12900,EUR,/a.jpg; /b.jpg,true,black,round\r\n"
                + "\r\n"
                + "square-frame,Square,,9900,EUR,,0,,square\r\n"
            let response = try await client.send(
                .post,
                fixture.path("/products/import"),
                token: fixture.tenantAdmin,
                text: csv,
                contentType: "text/csv"
            )
            #expect(response.status == .ok)
            #expect(try response.json["imported"] == 2)
            let round = try await fixture.data.catalog.product("round-frame", tenant: fixture.tenant.id)
            #expect(round.name == "Round, classic")
            #expect(round.description == "Two lines\nand a \"quote\"")
            #expect(round.images == ["/a.jpg", "/b.jpg"])
            #expect(round.featured)
            #expect(round.attributes == ["colour": "black", "shape": "round"])
            let square = try await fixture.data.catalog.product("square-frame", tenant: fixture.tenant.id)
            #expect(square.attributes == ["shape": "square"])
            #expect(!square.featured)
        }
    }

    @Test func csvErrorsAreReportedByTheLineARecordStartsOn() async throws {
        try await withAdminAPI { client, fixture in
            let csv = """
                slug,name,description,priceMinor,currency
                good,Good,"spans
                two lines",100,EUR
                bad-price,Bad,,ten,EUR
                short,Short
                ,No slug,,100,EUR
                """
            let response = try await client.send(
                .post,
                fixture.path("/products/import?mode=partial"),
                token: fixture.tenantAdmin,
                text: csv,
                contentType: "text/csv"
            )
            #expect(response.status == .ok)
            #expect(try response.json["imported"] == 1)
            #expect(try Self.failures(response) == [4: ["/priceMinor"], 5: [""], 6: ["/slug"]])
        }
    }

    @Test func malformedRequestsAreRefusedWhole() async throws {
        try await withAdminAPI { client, fixture in
            let path = fixture.path("/products/import")
            let token = fixture.tenantAdmin
            let unknownType = try await client.send(.post, path, token: token, text: "{}", contentType: "text/plain")
            #expect(unknownType.status == .unsupportedMediaType)
            let badFormat = try await client.send(
                .post,
                path + "?format=xml",
                token: token,
                text: "{}",
                contentType: "text/csv"
            )
            #expect(badFormat.status == .badRequest)
            let badMode = try await client.send(
                .post,
                path + "?mode=some",
                token: token,
                text: "{}",
                contentType: "text/csv"
            )
            #expect(badMode.status == .badRequest)
            let unknownColumn = try await client.send(
                .post,
                path,
                token: token,
                text: "slug,colour\na,b\n",
                contentType: "text/csv"
            )
            #expect(unknownColumn.status == .badRequest)
            let unclosed = try await client.send(
                .post,
                path,
                token: token,
                text: "slug,name\n\"a,b\n",
                contentType: "text/csv"
            )
            #expect(unclosed.status == .badRequest)
            let empty = try await client.send(
                .post,
                path,
                token: token,
                text: "\n\n",
                contentType: "application/x-ndjson"
            )
            #expect(empty.status == .badRequest)

            let line = #"{"slug":"p","name":"P","priceMinor":1,"currency":"EUR"}"# + "\n"
            let tooMany = String(repeating: line, count: CatalogRepository.maximumProductsPerBatch + 1)
            let refused = try await client.send(
                .post,
                path,
                token: token,
                text: tooMany,
                contentType: "application/x-ndjson"
            )
            #expect(refused.status == .contentTooLarge)
            let other = try await client.send(
                .post,
                path,
                token: fixture.otherTenantAdmin,
                text: line,
                contentType: "application/x-ndjson"
            )
            #expect(other.status == .notFound)
        }
    }
}
