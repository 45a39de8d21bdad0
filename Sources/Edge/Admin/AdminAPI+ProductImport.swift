import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationCompat
import TenantStore

/// `POST /api/tenants/{id}/products/import`: many products from NDJSON or CSV, created or
/// replaced by slug.
///
/// Every line is parsed and validated before anything is written, and problems are reported by
/// line. `mode=atomic` (the default) writes nothing unless every line is valid; `mode=partial`
/// writes the valid lines. Either way the write is one ``CatalogRepository/saveProducts(_:tenant:)``
/// batch, so the storefront never shows half an import; that batch limit is also the line limit.
///
/// NDJSON: one product object per line, as `POST /products` takes it. CSV: a header row naming
/// the columns `slug`, `name`, `description`, `priceMinor`, `currency`, `images`, `categorySlug`,
/// `featured`, and `attributes.<name>` for each attribute; `createdAt` and `updatedAt` are
/// ignored so an export can be imported again. `images` is a `;`-separated list (URLs and paths
/// have no use for a bare `;`), `featured` is `true`/`false` (or `1`/`0`), an empty cell is an
/// absent field. Lines are numbered from 1 in the body, so the first CSV record is line 2; a
/// record is numbered by the line it starts on.
extension AdminAPI {
    /// The most products one import may carry.
    static let maximumImportLines = CatalogRepository.maximumProductsPerBatch

    static let tooManyLines = AdminProblem(
        status: .contentTooLarge,
        detail: "an import may have at most \(maximumImportLines) products; split the file"
    )

    /// A problem in one field of one line.
    struct ImportFieldError: Encodable, Sendable, Hashable {
        var pointer: String
        var detail: String
    }

    /// The problems of one line.
    struct ImportLineError: Encodable, Sendable, Hashable {
        var line: Int
        var errors: [ImportFieldError]
    }

    /// The answer to an import that wrote something, or (`mode=partial`) tried to.
    struct ImportResult: Encodable, Sendable {
        var imported: Int
        var failed: [ImportLineError]
    }

    /// The `422` of an atomic import: problem+json with the per-line report as `failed`.
    struct ImportProblem: Encodable, Sendable {
        var type = "about:blank"
        var title = HTTPResponse.Status.unprocessableContent.reasonPhrase
        var status = Int(HTTPResponse.Status.unprocessableContent.code)
        var detail: String
        var imported = 0
        var failed: [ImportLineError]
    }

    enum ImportFormat: String, Sendable {
        case ndjson
        case csv
    }

    enum ImportMode: String, Sendable {
        case atomic
        case partial
    }

    /// One parsed line: its number and the product, or what is wrong with it.
    struct ImportLine: Sendable {
        var line: Int
        var product: Result<Product, ProblemReport>
    }

    func importProducts(_ request: Request, context: AdminRequestContext, tenant: UUID) async throws -> Response {
        let format = try Self.importFormat(request)
        let mode = try Self.importMode(request)
        _ = try await self.data.tenants.tenant(tenant)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let lines: [ImportLine]
        switch format {
        case .ndjson: lines = try Self.ndjsonLines(body.readableBytesView)
        case .csv: lines = try Self.csvLines(body.readableBytesView)
        }
        guard !lines.isEmpty else { throw AdminProblem.badRequest("the body has no products") }

        var failed: [ImportLineError] = []
        var valid: [Product] = []
        var firstLineOfSlug: [String: Int] = [:]
        for line in lines {
            var problems: [ValidationProblem]
            switch line.product {
            case .failure(let report):
                problems = report.problems
            case .success(let product):
                problems = product.validationProblems
                if let first = firstLineOfSlug[product.slug] {
                    problems.append(ValidationProblem(pointer: "/slug", message: "repeats the slug of line \(first)"))
                } else {
                    firstLineOfSlug[product.slug] = line.line
                }
                if problems.isEmpty { valid.append(product) }
            }
            if !problems.isEmpty {
                failed.append(
                    ImportLineError(
                        line: line.line,
                        errors: problems.map { ImportFieldError(pointer: $0.pointer, detail: $0.message) }
                    )
                )
            }
        }

        if mode == .atomic, !failed.isEmpty {
            let problem = ImportProblem(
                detail: "\(failed.count) of \(lines.count) lines are invalid; nothing was imported",
                failed: failed
            )
            return Response(
                status: .unprocessableContent,
                headers: [.contentType: "application/problem+json", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try Self.encoder.jsonText(problem)))
            )
        }
        let saved = try await self.data.catalog.saveProducts(valid, tenant: tenant)
        return try Self.json(ImportResult(imported: saved.count, failed: failed))
    }

    /// `format` from the query, else from the content type.
    static func importFormat(_ request: Request) throws -> ImportFormat {
        if let name = request.uri.queryParameters["format"] {
            guard let format = ImportFormat(rawValue: String(name)) else {
                throw AdminProblem.badRequest(
                    "format must be ndjson or csv",
                    errors: [ValidationProblem(pointer: "/format", message: "must be ndjson or csv")]
                )
            }
            return format
        }
        let mediaType = request.headers[.contentType]?
            .split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        switch mediaType {
        case "application/x-ndjson", "application/ndjson": return .ndjson
        case "text/csv": return .csv
        default:
            throw AdminProblem(
                status: .unsupportedMediaType,
                detail: "send application/x-ndjson or text/csv, or name the format with ?format=ndjson|csv"
            )
        }
    }

    static func importMode(_ request: Request) throws -> ImportMode {
        guard let name = request.uri.queryParameters["mode"] else { return .atomic }
        guard let mode = ImportMode(rawValue: String(name)) else {
            throw AdminProblem.badRequest(
                "mode must be atomic or partial",
                errors: [ValidationProblem(pointer: "/mode", message: "must be atomic or partial")]
            )
        }
        return mode
    }

    // MARK: - NDJSON

    static func ndjsonLines(_ bytes: ByteBufferView) throws -> [ImportLine] {
        var lines: [ImportLine] = []
        for (index, text) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let data = Data(text.last == UInt8(ascii: "\r") ? text.dropLast() : text[...])
            guard data.contains(where: { !Self.isJSONWhitespace($0) }) else { continue }
            guard lines.count < Self.maximumImportLines else { throw Self.tooManyLines }
            lines.append(ImportLine(line: index + 1, product: Self.product(fromJSON: data)))
        }
        return lines
    }

    private static func product(fromJSON data: Data) -> Result<Product, ProblemReport> {
        do {
            try Self.checkDepth(data)
            return try Self.decoder.decode(ProductInput.self, from: data).product()
        } catch let problem as AdminProblem {
            return .failure(ProblemReport(problems: [ValidationProblem(pointer: "", message: problem.detail)]))
        } catch let error as DecodingError {
            return .failure(ProblemReport(problems: [Self.problem(describing: error)]))
        } catch {
            return .failure(ProblemReport(problems: [ValidationProblem(pointer: "", message: "is not valid JSON")]))
        }
    }

    private static func problem(describing error: DecodingError) -> ValidationProblem {
        func pointer(_ path: [any CodingKey]) -> String {
            path.map { "/" + ($0.intValue.map(String.init) ?? $0.stringValue) }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ValidationProblem(pointer: pointer(context.codingPath + [key]), message: "is required")
        case .typeMismatch(let type, let context):
            return ValidationProblem(pointer: pointer(context.codingPath), message: "expected \(Self.jsonType(type))")
        case .valueNotFound(let type, let context):
            return ValidationProblem(pointer: pointer(context.codingPath), message: "expected \(Self.jsonType(type))")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return ValidationProblem(pointer: "", message: "is not valid JSON")
        case .dataCorrupted(let context):
            return ValidationProblem(pointer: pointer(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ValidationProblem(pointer: "", message: "is not a product")
        }
    }

    /// How a client knows the Swift type a decoding error names.
    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type: "integer"
        case is Bool.Type: "boolean"
        case is [String].Type: "array"
        default: "object"
        }
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    // MARK: - CSV

    static func csvLines(_ bytes: ByteBufferView) throws -> [ImportLine] {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(in: bytes)
        } catch {
            throw AdminProblem.badRequest("the body is not CSV: line \(error.line): \(error.message)")
        }
        guard let header = records.first else { return [] }
        let columns = try Self.csvColumns(header.fields)
        guard records.count - 1 <= Self.maximumImportLines else { throw Self.tooManyLines }
        return records.dropFirst().map { record in
            ImportLine(line: record.line, product: Self.product(fromCSV: record.fields, columns: columns))
        }
    }

    /// What a CSV column holds.
    enum CSVColumn: Sendable, Hashable {
        case slug, name, description, priceMinor, currency, images, categorySlug, featured
        case attribute(String)
        /// `createdAt` and `updatedAt`, which the store sets.
        case ignored
    }

    static func csvColumns(_ names: [String]) throws -> [CSVColumn] {
        var columns: [CSVColumn] = []
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let column: CSVColumn
            switch name {
            case "slug": column = .slug
            case "name": column = .name
            case "description": column = .description
            case "priceMinor": column = .priceMinor
            case "currency": column = .currency
            case "images": column = .images
            case "categorySlug": column = .categorySlug
            case "featured": column = .featured
            case "createdAt", "updatedAt": column = .ignored
            case _ where name.hasPrefix("attributes.") && name.count > "attributes.".count:
                column = .attribute(String(name.dropFirst("attributes.".count)))
            default:
                throw AdminProblem.badRequest(
                    "the CSV header names an unknown column '\(name)'; columns are slug, name, description, "
                        + "priceMinor, currency, images, categorySlug, featured and attributes.<name>"
                )
            }
            if column != .ignored, columns.contains(column) {
                throw AdminProblem.badRequest("the CSV header names the column '\(name)' twice")
            }
            columns.append(column)
        }
        return columns
    }

    private static func product(fromCSV fields: [String], columns: [CSVColumn]) -> Result<Product, ProblemReport> {
        guard fields.count == columns.count else {
            let problem = ValidationProblem(
                pointer: "",
                message: "has \(fields.count) fields where the header has \(columns.count)"
            )
            return .failure(ProblemReport(problems: [problem]))
        }
        var input = ProductInput()
        var problems: [ValidationProblem] = []
        for (column, cell) in zip(columns, fields) where !cell.isEmpty {
            switch column {
            case .slug: input.slug = cell
            case .name: input.name = cell
            case .description: input.description = cell
            case .currency: input.currency = cell
            case .categorySlug: input.categorySlug = cell
            case .priceMinor:
                if let price = Int(cell) {
                    input.priceMinor = price
                } else {
                    problems.append(
                        ValidationProblem(pointer: "/priceMinor", message: "must be a whole number of minor units")
                    )
                }
            case .featured:
                switch cell.lowercased() {
                case "true", "1": input.featured = true
                case "false", "0": input.featured = false
                default: problems.append(ValidationProblem(pointer: "/featured", message: "must be true or false"))
                }
            case .images:
                input.images = cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            case .attribute(let name):
                input.attributes = (input.attributes ?? [:]).merging([name: cell]) { _, new in new }
            case .ignored:
                break
            }
        }
        switch input.product() {
        case .success(let product) where problems.isEmpty: return .success(product)
        case .success: return .failure(ProblemReport(problems: problems))
        case .failure(let report):
            // A cell that did not parse left its field absent; "is required" would say it twice.
            let flagged = Set(problems.map(\.pointer))
            return .failure(
                ProblemReport(problems: problems + report.problems.filter { !flagged.contains($0.pointer) })
            )
        }
    }
}
