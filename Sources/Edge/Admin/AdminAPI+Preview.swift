import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Render
import TenantStore

/// `/api/tenants/{id}/preview?path=/…`: a storefront page rendered with the tenant's draft, for
/// the people designing it; never stored in the shoppers' page cache.
extension AdminAPI {
    func registerPreviewRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/preview") { request, context in
            let id = try Self.tenantID(context, .read)
            let tenant = try await self.data.tenants.tenant(id)
            let target = request.uri.queryParameters["path"].map(String.init) ?? "/"
            guard target.hasPrefix("/"), target.utf8.count <= 2048 else {
                throw AdminProblem.badRequest(
                    "path must be an absolute storefront path such as /products/x",
                    errors: [ValidationProblem(pointer: "/path", message: "must start with '/'")]
                )
            }
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let page: CachedPage
            do {
                page = try await self.storefront.preview(
                    tenant: tenant,
                    path: String(parts[0]),
                    query: parts.count > 1 ? String(parts[1]) : nil
                )
            } catch let error as RenderError {
                throw Self.templateProblem(error, pointer: "/template")
            }
            var headers = HTTPFields()
            for (name, value) in page.headers {
                if let name = HTTPField.Name(name) { headers[name] = value }
            }
            return Response(
                status: HTTPResponse.Status(code: page.status),
                headers: headers,
                body: ResponseBody(byteBuffer: page.identityBody)
            )
        }
    }
}
