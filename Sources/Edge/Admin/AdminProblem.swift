import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
public import TenantStore

/// An admin API error, answered as `application/problem+json` (RFC 9457) with field-level details.
public struct AdminProblem: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short, fixed summary of the kind of problem.
    public var title: String
    /// What went wrong this time.
    public var detail: String
    /// Field-level problems, located by JSON pointer.
    public var errors: [ValidationProblem]
    /// Extra response headers, e.g. `Retry-After` on `429`.
    public var headers: HTTPFields

    public init(
        status: HTTPResponse.Status,
        title: String? = nil,
        detail: String,
        errors: [ValidationProblem] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    public static func badRequest(_ detail: String, errors: [ValidationProblem] = []) -> Self {
        Self(status: .badRequest, detail: detail, errors: errors)
    }
    public static func unauthorized(_ detail: String) -> Self {
        Self(status: .unauthorized, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ detail: String) -> Self { Self(status: .forbidden, detail: detail) }
    public static func notFound(_ detail: String) -> Self { Self(status: .notFound, detail: detail) }
    public static func conflict(_ detail: String) -> Self { Self(status: .conflict, detail: detail) }
    public static func unprocessable(_ detail: String, errors: [ValidationProblem]) -> Self {
        Self(status: .unprocessableContent, detail: detail, errors: errors)
    }

    /// The problem a store error stands for; anything unexpected is a `500` without internals.
    public init(_ error: TenantStoreError) {
        switch error.code {
        case .notFound: self.init(status: .notFound, detail: error.message)
        case .conflict: self.init(status: .conflict, detail: error.message)
        case .preconditionFailed: self.init(status: .preconditionFailed, detail: error.message)
        case .validationFailed:
            self.init(status: .unprocessableContent, detail: error.message, errors: error.problems)
        case .invalidArgument:
            // Malformed input such as a cursor this API never issued, rather than a rule it broke.
            self.init(status: .badRequest, detail: error.message, errors: error.problems)
        case .readOnly, .closed, .locked:
            self.init(status: .serviceUnavailable, detail: "the store does not accept writes right now")
        default:
            self.init(status: .internalServerError, detail: "internal error")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: JSONValue] = [
            "type": "about:blank",
            "title": .string(self.title),
            "status": .number(Double(self.status.code)),
            "detail": .string(self.detail),
        ]
        if !self.errors.isEmpty {
            object["errors"] = .array(
                self.errors.map { .object(["pointer": .string($0.pointer), "detail": .string($0.message)]) }
            )
        }
        let body = try JSONValue.object(object).jsonText()
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        return Response(status: self.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error a route throws into problem+json: store errors by their code, decoding
/// errors as `400`, Hummingbird's own as their status, anything else as `500`.
struct AdminProblemMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as AdminProblem {
            throw problem
        } catch let error as TenantStoreError {
            if error.code != .notFound, error.code != .conflict, error.code != .validationFailed,
                error.code != .invalidArgument, error.code != .preconditionFailed
            {
                context.logger.error("admin request failed", metadata: ["error.message": "\(error)"])
            }
            throw AdminProblem(error)
        } catch let error as DecodingError {
            throw AdminProblem.badRequest("the body is not the expected JSON: \(Self.describe(error))")
        } catch let error as HTTPError {
            throw AdminProblem(status: error.status, detail: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw AdminProblem(status: error.status, detail: error.status.reasonPhrase)
        } catch {
            context.logger.error("admin request failed", metadata: ["error.message": "\(error)"])
            throw AdminProblem(status: .internalServerError, detail: "internal error")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(Self.pointer(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(Self.pointer(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func pointer(_ path: [any CodingKey]) -> String {
        "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
    }
}
