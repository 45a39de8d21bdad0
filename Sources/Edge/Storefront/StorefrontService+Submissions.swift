import Crypto
import Foundation
import Logging
import NIOCore
import Render
import TenantStore

/// Shoppers' `POST`s: orders and consultation requests.
///
/// Both answer `201` only after TenantData's write returned, which is after the store made it
/// durable. Bodies are JSON or `application/x-www-form-urlencoded` (the no-JavaScript forms of
/// the built-in theme); problems come back as `422 application/problem+json` (RFC 9457) with
/// one entry per field, located by JSON pointer.
extension StorefrontService {
    /// The store key prefix of order idempotency records: `edge/idempotency/<tenant>/<sha256>`.
    ///
    /// Outside TenantData's prefixes on purpose: the model's schema migration rewrites what is
    /// under its own prefixes, and these records are the edge's, not the model's.
    static let idempotencyPrefix = "edge/idempotency/"
    /// The longest `Idempotency-Key` accepted.
    static let maximumIdempotencyKeyLength = 255

    func placeOrder(_ request: StorefrontRequest, tenant: Tenant, logger: Logger) async -> StorefrontResponse {
        let orderRequest: OrderRequest
        let confirmationPage: Bool
        do {
            let body = try self.body(of: request)
            orderRequest = try Self.decodeOrder(body)
            // A browser posting the checkout form without JavaScript should land on a page.
            confirmationPage =
                if case .form = body { !(request.header("accept") ?? "").contains("application/json") } else { false }
        } catch {
            return Self.failure(error, logger: logger)
        }
        guard let clientKey = request.header("idempotency-key") else {
            return await self.submitOrder(orderRequest, tenant: tenant, page: confirmationPage, logger: logger)
        }
        guard !clientKey.isEmpty, clientKey.utf8.count <= Self.maximumIdempotencyKeyLength else {
            return Self.failure(
                SubmissionError(code: .invalidBody, message: "Idempotency-Key must be 1–255 characters", pointer: ""),
                logger: logger
            )
        }
        let storeKey = Self.idempotencyPrefix + "\(tenant.id)/".lowercased() + Self.sha256Hex(clientKey)
        do {
            // Claim the key before placing the order: of two concurrent retries, exactly one
            // wins the claim and places an order; the other finds the claim.
            var claim = WriteBatch()
            claim.require(storeKey, .absent)
            claim.put(storeKey, Array("pending".utf8))
            do {
                try await self.store.batch(claim)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                return try await self.replay(storeKey, tenant: tenant, page: confirmationPage)
            }
            let response = await self.submitOrder(orderRequest, tenant: tenant, page: confirmationPage, logger: logger)
            if response.status == 201, let id = response.headers.first(where: { $0.name == "X-Order-ID" })?.value {
                try await self.store.put(storeKey, Array(id.utf8))
            } else {
                // Nothing was ordered: release the key so a corrected retry can use it.
                try await self.store.delete(storeKey)
            }
            return response
        } catch {
            return Self.failure(error, logger: logger)
        }
    }

    /// The answer to a retry: the order placed under the key, or `409` while the first request
    /// is still being written.
    ///
    /// A crash between placing the order and recording its id leaves the key pending for good;
    /// the client then gets `409` rather than a second order, which is the safe side.
    private func replay(_ storeKey: String, tenant: Tenant, page: Bool) async throws -> StorefrontResponse {
        guard let value = try await self.store.get(storeKey),
            let id = RecordID(String(decoding: value.bytes, as: UTF8.self))
        else {
            return Self.problem(
                409,
                title: "Conflict",
                detail: "an order with this Idempotency-Key is still being placed",
                problems: []
            )
        }
        let order = try await self.data.orders.order(id, tenant: tenant.id)
        var response = try await self.created(order, tenant: tenant, page: page)
        response.headers.append(("Idempotent-Replayed", "true"))
        return response
    }

    private func submitOrder(
        _ request: OrderRequest,
        tenant: Tenant,
        page: Bool,
        logger: Logger
    ) async -> StorefrontResponse {
        do {
            let order = try await self.events.placing(tenant: tenant.id) {
                try await self.data.orders.place(request, tenant: tenant.id)
            }
            logger.info("order placed", metadata: ["order.id": "\(order.id)", "order.items": "\(order.items.count)"])
            return try await self.created(order, tenant: tenant, page: page)
        } catch {
            return Self.failure(error, logger: logger)
        }
    }

    /// `201` for a stored order: JSON, or the store's confirmation page when `page` is set.
    /// `X-Order-ID` carries the id either way.
    private func created(_ order: Order, tenant: Tenant, page: Bool) async throws -> StorefrontResponse {
        var response: StorefrontResponse
        if page {
            let rendered = try await self.renderer(for: tenant).render(.orderConfirmation(order))
            response = StorefrontResponse(
                status: 201,
                headers: [("Content-Type", rendered.contentType), ("Cache-Control", "no-store")],
                body: ByteBuffer(bytes: rendered.body)
            )
        } else {
            response = Self.created(Self.orderJSON(order))
        }
        response.headers.append(("X-Order-ID", order.id.description))
        return response
    }

    func submitLead(_ request: StorefrontRequest, tenant: Tenant, logger: Logger) async -> StorefrontResponse {
        do {
            let lead = try await self.data.leads.submit(Self.decodeLead(try self.body(of: request)), tenant: tenant.id)
            logger.info("consultation request stored", metadata: ["lead.id": "\(lead.id)"])
            return Self.created([
                "id": .string(lead.id.description),
                "message": .string("Thank you! We will get back to you shortly."),
            ])
        } catch {
            return Self.failure(error, logger: logger)
        }
    }

    // MARK: - Bodies

    /// A request body and how it is encoded.
    enum Body {
        case json(Data)
        case form(QueryParameters)
    }

    func body(of request: StorefrontRequest) throws(SubmissionError) -> Body {
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        guard bytes.count <= self.configuration.maximumBodyBytes else {
            throw SubmissionError(
                code: .bodyTooLarge,
                message: "the body exceeds \(self.configuration.maximumBodyBytes) bytes",
                pointer: ""
            )
        }
        let contentType = request.header("content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            return .json(Data(bytes))
        }
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            return .form(QueryParameters(String(decoding: bytes, as: UTF8.self)))
        }
        throw SubmissionError(
            code: .unsupportedMediaType,
            message: "send application/json or application/x-www-form-urlencoded",
            pointer: ""
        )
    }

    static func decodeOrder(_ body: Body) throws(SubmissionError) -> OrderRequest {
        switch body {
        case .json(let data):
            do {
                return try JSONDecoder().decode(OrderRequest.self, from: data)
            } catch {
                throw SubmissionError(
                    code: .invalidBody,
                    message:
                        "expected {\"items\": [{\"productSlug\", \"quantity\"}], \"customer\": {\"name\", \"email\", \"address\"}}",
                    pointer: ""
                )
            }
        case .form(let form):
            // The checkout form sends one `item=slug:quantity` per cart line.
            let lines = form.all("item").map {
                QueryParameters.line($0) ?? OrderRequest.Line(productSlug: $0, quantity: 0)
            }
            return OrderRequest(
                items: lines,
                customer: Order.Customer(
                    name: form["name"] ?? "",
                    email: form["email"] ?? "",
                    address: form["address"] ?? ""
                )
            )
        }
    }

    static func decodeLead(_ body: Body) throws(SubmissionError) -> LeadRequest {
        switch body {
        case .json(let data):
            do {
                return try JSONDecoder().decode(LeadRequest.self, from: data)
            } catch {
                throw SubmissionError(
                    code: .invalidBody,
                    message: "expected {\"name\", \"email\", \"message\"} with optional \"phone\" and \"productSlug\"",
                    pointer: ""
                )
            }
        case .form(let form):
            return LeadRequest(
                name: form["name"] ?? "",
                email: form["email"] ?? "",
                phone: form["phone"].flatMap { $0.isEmpty ? nil : $0 },
                message: form["message"] ?? "",
                productSlug: form["productSlug"].flatMap { $0.isEmpty ? nil : $0 }
            )
        }
    }

    // MARK: - Responses

    static func orderJSON(_ order: Order) -> [String: JSONValue] {
        [
            "id": .string(order.id.description),
            "status": .string(order.status.rawValue),
            "totalMinor": .number(Double(order.totalMinor)),
            "currency": .string(order.currency),
            "message": .string("Thank you! Your order has been received."),
        ]
    }

    static func created(_ object: [String: JSONValue]) -> StorefrontResponse {
        StorefrontResponse(
            status: 201,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
            body: ByteBuffer(bytes: Self.encode(.object(object)))
        )
    }

    /// Maps a failure to its response: the client's mistakes to 4xx with details, anything
    /// else to a 500 that says nothing about the inside.
    static func failure(_ error: any Error, logger: Logger) -> StorefrontResponse {
        switch error {
        case let error as SubmissionError where error.code == .bodyTooLarge:
            return Self.problem(413, title: "Content Too Large", detail: error.message, problems: [])
        case let error as SubmissionError where error.code == .unsupportedMediaType:
            return Self.problem(415, title: "Unsupported Media Type", detail: error.message, problems: [])
        case let error as SubmissionError:
            return Self.problem(
                422,
                title: "Unprocessable Content",
                detail: error.message,
                problems: [ValidationProblem(pointer: error.pointer, message: error.message)]
            )
        case let error as TenantStoreError where error.code == .validationFailed:
            return Self.problem(422, title: "Unprocessable Content", detail: error.message, problems: error.problems)
        case let error as TenantStoreError where error.code == .conflict:
            return Self.problem(409, title: "Conflict", detail: error.message, problems: [])
        case let error as TenantStoreError where error.code == .notFound:
            return Self.problem(404, title: "Not Found", detail: "this store is not available", problems: [])
        default:
            logger.info(
                "shopper submission failed",
                metadata: ["error.type": "\(type(of: error))", "error.message": "\(error)"]
            )
            return Self.problem(500, title: "Internal Server Error", detail: "please try again", problems: [])
        }
    }

    static func problem(
        _ status: Int,
        title: String,
        detail: String,
        problems: [ValidationProblem]
    ) -> StorefrontResponse {
        var object: [String: JSONValue] = [
            "type": .string("about:blank"),
            "title": .string(title),
            "status": .number(Double(status)),
            "detail": .string(detail),
        ]
        if !problems.isEmpty {
            object["errors"] = .array(
                problems.map { .object(["pointer": .string($0.pointer), "detail": .string($0.message)]) }
            )
        }
        return StorefrontResponse(
            status: status,
            headers: [("Content-Type", "application/problem+json"), ("Cache-Control", "no-store")],
            body: ByteBuffer(bytes: Self.encode(.object(object)))
        )
    }

    private static func encode(_ value: JSONValue) -> [UInt8] {
        // Encoding a JSONValue of strings and numbers cannot fail.
        (try? value.jsonText()) ?? Array("{}".utf8)
    }

    private static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}

/// Why a shopper's submission could not be read.
struct SubmissionError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case bodyTooLarge
            case unsupportedMediaType
            case invalidBody
        }

        private let value: Value

        /// The body is over the size limit: `413`.
        static let bodyTooLarge = Code(value: .bodyTooLarge)
        /// Neither JSON nor a form: `415`.
        static let unsupportedMediaType = Code(value: .unsupportedMediaType)
        /// The body does not have the expected shape: `422`.
        static let invalidBody = Code(value: .invalidBody)

        var description: String { self.value.rawValue }
    }

    var code: Code
    var message: String
    /// The JSON pointer of the offending field; empty for the whole body.
    var pointer: String

    var description: String { "SubmissionError(\(self.code)): \(self.message)" }
}
