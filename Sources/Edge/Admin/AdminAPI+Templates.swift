import Foundation
import HTTPTypes
import Hummingbird
import Render
import TenantStore

/// `/api/tenants/{id}/templates`: list, upload or replace (compiled by Render first), activate,
/// delete.
extension AdminAPI {
    /// The body of a template upload; the name comes from the path.
    struct TemplateUpload: Decodable, Sendable {
        /// Theme settings; `theme` names the built-in theme the partials override.
        var config: JSONValue?
        /// Mustache partials by name that replace the theme's.
        var source: [String: String]?
        /// Makes the template active at once.
        var activate: Bool?
    }

    func registerTemplateRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/templates") { _, context in
            let id = try Self.tenantID(context, .read)
            // Confirms the tenant exists: an empty list would otherwise hide a wrong id.
            _ = try await self.data.tenants.tenant(id)
            return try Self.json(AdminPage(items: try await self.data.templates.list(tenant: id), nextCursor: nil))
        }
        api.put("tenants/:id/templates/:name") { request, context in
            let id = try Self.tenantID(context, .write)
            let name = try context.parameters.require("name")
            let upload = try await Self.decode(TemplateUpload.self, from: request, context: context)
            let template = Template(
                name: name,
                config: upload.config ?? [:],
                source: upload.source,
                isActive: upload.activate ?? false
            )
            try self.compile(template)
            let existed = try await self.data.templates.list(tenant: id).contains { $0.name == name }
            let saved = try await self.data.templates.save(template, tenant: id)
            guard existed else {
                return try Self.json(
                    saved,
                    status: .created,
                    headers: [.location: "/api/tenants/\(id.uuidString.lowercased())/templates/\(saved.name)"]
                )
            }
            return try Self.json(saved)
        }
        api.post("tenants/:id/templates/:name/activate") { _, context in
            let id = try Self.tenantID(context, .write)
            let name = try context.parameters.require("name")
            // Compiled again because the built-in themes may have changed since the upload, and
            // an active template that no longer compiles would take the storefront down.
            try self.compile(try await self.data.templates.template(name, tenant: id))
            return try Self.json(try await self.data.templates.activate(name, tenant: id))
        }
        api.delete("tenants/:id/templates/:name") { _, context in
            let id = try Self.tenantID(context, .write)
            try await self.data.templates.delete(try context.parameters.require("name"), tenant: id)
            return Response(status: .noContent)
        }
    }

    /// Compiles `template` the way the storefront will, so a template that cannot render is
    /// refused with `422` before it is stored.
    func compile(_ template: Template) throws {
        do {
            _ = try self.storefront.themes.compile(template)
        } catch {
            throw AdminProblem.unprocessable(
                "the template does not compile: \(error.message)",
                errors: [ValidationProblem(pointer: Self.pointer(of: error), message: error.description)]
            )
        }
    }

    /// Where in the upload a compile error is: the partial's source, else the theme setting.
    private static func pointer(of error: RenderError) -> String {
        if let partial = error.partial {
            // RFC 6901 escaping, since the name has not been checked yet when compiling fails on it.
            return "/source/"
                + partial.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }
        return error.code == .unknownTheme ? "/config/theme" : ""
    }
}
