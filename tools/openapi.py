#!/usr/bin/env python3
"""Writes Sources/Edge/Admin/openapi.json: python3 tools/openapi.py Sources/Edge/Admin/openapi.json

The admin API document is written from this description rather than by hand so that shared
parts (problem responses, paging, 401/429 on every authenticated route) stay identical.
AdminOpenAPITests fails when a route and the document disagree; schemathesis checks the rest.
"""
import json, sys
P = {}  # paths
def op(method, path, summary, responses, body=None, params=None, auth=True, tags=None, extra=None):
    d = {"summary": summary, "operationId": (method + path.replace("/api", "").replace("/", "_").replace("{", "").replace("}", "").replace(".", "_")).strip("_"), "responses": {}}
    if tags: d["tags"] = tags
    if not auth: d["security"] = []
    ps = []
    for name in [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]:
        ps.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if params: ps += params
    if ps: d["parameters"] = ps
    if body is not None:
        d["requestBody"] = {"required": True, "content": body}
    for code, spec in responses.items():
        d["responses"][str(code)] = spec
    if auth:
        for code, desc in [("401", "Missing or invalid credentials"), ("429", "Rate limit exceeded")]:
            d["responses"].setdefault(code, problem(desc))
    if method in ("post", "put", "delete", "patch") or body is not None:
        d["responses"].setdefault("400", problem("Malformed request"))
    d["responses"].setdefault("default", problem("Unexpected error"))
    if extra: d.update(extra)
    P.setdefault(path, {})[method] = d
def ref(name): return {"$ref": "#/components/schemas/" + name}
def problem(desc): return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}
def jsonr(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers: r["headers"] = headers
    return r
def jbody(schema): return {"application/json": {"schema": schema}}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The tenant's content version"}}
IFMATCH = [{"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^(\\*|\"[^\"]*\")$"}}]
PAGING = [{"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
          {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}}]
def page(item): return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}, "nextCursor": {"type": ["string", "null"]}}}
T404 = problem("No such tenant, or not visible to the caller")
T403 = problem("The caller's role may not do this")
T422 = problem("Validation failed; `errors` lists each field")

# health & metrics
text = lambda d: {"description": d, "content": {"text/plain": {"schema": {"type": "string"}}}}
op("get", "/healthz", "Liveness", {200: text("The process serves")}, auth=False, tags=["operations"])
op("get", "/readyz", "Readiness", {200: text("Ready for traffic"), 503: text("Starting or draining")}, auth=False, tags=["operations"])
op("get", "/metrics", "Prometheus metrics", {200: text("Prometheus text exposition")}, auth=False, tags=["operations"])
op("get", "/api/openapi.json", "This document", {200: jsonr("OpenAPI 3.1 document", {"type": "object"})}, auth=False, tags=["operations"])

# tenants
op("post", "/api/tenants", "Create a tenant (platform-admin); returns its first API key once",
   {201: jsonr("Created", ref("CreatedTenant"), {"Location": {"schema": {"type": "string"}}}), 403: T403, 409: problem("Subdomain or domain taken"), 422: T422},
   body=jbody(ref("CreateTenant")), tags=["tenants"])
op("get", "/api/tenants", "List tenants (a tenant-scoped caller sees its own)", {200: jsonr("A page of tenants", page(ref("Tenant"))), 400: problem("Bad paging parameters")}, params=PAGING, tags=["tenants"])
op("get", "/api/tenants/{id}", "Read a tenant", {200: jsonr("The tenant", ref("Tenant")), 404: T404}, tags=["tenants"])
op("put", "/api/tenants/{id}", "Update a tenant (status: platform-admin only)", {200: jsonr("The updated tenant", ref("Tenant")), 403: T403, 404: T404, 409: problem("Subdomain or domain taken"), 422: T422}, body=jbody(ref("TenantUpdate")), tags=["tenants"])
op("delete", "/api/tenants/{id}", "Delete a tenant (platform-admin)", {200: jsonr("The deleted tenant", ref("Tenant")), 403: T403, 404: T404}, tags=["tenants"])

# config
op("get", "/api/tenants/{id}/config", "The whole configuration document", {200: jsonr("Configuration", ref("Configuration"), ETAG), 404: T404}, tags=["configuration"])
op("put", "/api/tenants/{id}/config", "Replace the configuration (If-Match honoured)", {200: jsonr("Configuration", ref("Configuration"), ETAG), 403: T403, 404: T404, 412: problem("If-Match is stale"), 422: T422}, body=jbody(ref("Configuration")), params=IFMATCH, tags=["configuration"])
op("get", "/api/tenants/{id}/config/{key}", "One configuration section", {200: jsonr("Section", {"type": "object"}, ETAG), 404: problem("No such tenant or section")}, tags=["configuration"])
op("put", "/api/tenants/{id}/config/{key}", "Replace one section (If-Match honoured)", {200: jsonr("Section", {"type": "object"}, ETAG), 403: T403, 404: problem("No such tenant or section"), 412: problem("If-Match is stale"), 422: T422}, body=jbody({"type": "object"}), params=IFMATCH, tags=["configuration"])


OBJ = {"type": "object"}
NOCONTENT = {"description": "Done; no content"}
def created(schema): return jsonr("Created", schema, {"Location": {"schema": {"type": "string"}}})
ITEMS = lambda item: {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}}}
# templates
op("get", "/api/tenants/{id}/templates", "List templates", {200: jsonr("Templates", ITEMS(ref("Template"))), 404: T404}, tags=["templates"])
op("put", "/api/tenants/{id}/templates/{name}", "Upload or replace a template (compiled and validated by Render)",
   {200: jsonr("Replaced", ref("Template")), 201: created(ref("Template")), 403: T403, 404: T404, 422: T422},
   body=jbody({"type": "object", "properties": {"config": OBJ, "source": {"type": "object", "additionalProperties": {"type": "string"}}, "activate": {"type": "boolean"}}}), tags=["templates"])
op("post", "/api/tenants/{id}/templates/{name}/activate", "Activate a template", {200: jsonr("Active template", ref("Template")), 403: T403, 404: problem("No such tenant or template"), 422: T422}, tags=["templates"])
op("delete", "/api/tenants/{id}/templates/{name}", "Delete a template", {204: NOCONTENT, 403: T403, 404: problem("No such tenant or template"), 409: problem("The active template cannot be deleted while others exist")}, tags=["templates"])
# catalog
PRODUCT_IN = jbody(ref("ProductInput"))
# A PUT names the slug in its path: the body may leave it out (or must repeat it exactly).
PRODUCT_REPLACEMENT = jbody(ref("ProductReplacement"))
op("get", "/api/tenants/{id}/products", "List products", {200: jsonr("A page of products", page(ref("Product"))), 400: problem("Bad paging parameters"), 404: T404}, params=PAGING, tags=["catalog"])
op("post", "/api/tenants/{id}/products", "Create a product", {201: created(ref("Product")), 403: T403, 404: T404, 409: problem("The slug exists"), 422: T422}, body=PRODUCT_IN, tags=["catalog"])
op("get", "/api/tenants/{id}/products/{slug}", "Read a product", {200: jsonr("The product", ref("Product")), 404: problem("No such tenant or product")}, tags=["catalog"])
op("put", "/api/tenants/{id}/products/{slug}", "Replace a product", {200: jsonr("The product", ref("Product")), 403: T403, 404: problem("No such tenant or product"), 422: T422}, body=PRODUCT_REPLACEMENT, tags=["catalog"])
op("delete", "/api/tenants/{id}/products/{slug}", "Delete a product", {204: NOCONTENT, 403: T403, 404: problem("No such tenant or product")}, tags=["catalog"])
IMPORT_PARAMS = [{"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["ndjson", "csv"]}},
                 {"name": "mode", "in": "query", "required": False, "schema": {"type": "string", "enum": ["atomic", "partial"]}}]
op("post", "/api/tenants/{id}/products/import", "Bulk import products from NDJSON or CSV (atomic or partial)",
   {200: jsonr("Imported", ref("ImportReport")), 403: T403, 404: T404, 413: problem("Too many products or too large a body"), 415: problem("Unknown format"), 422: problem("Atomic import with invalid lines; nothing written")},
   body={"application/x-ndjson": {"schema": {}}, "text/csv": {"schema": {}}}, params=IMPORT_PARAMS, tags=["catalog"])
CATEGORY_IN = jbody(ref("CategoryInput"))
CATEGORY_REPLACEMENT = jbody(ref("CategoryReplacement"))
op("get", "/api/tenants/{id}/categories", "List categories", {200: jsonr("Categories", ITEMS(ref("Category"))), 404: T404}, tags=["catalog"])
op("post", "/api/tenants/{id}/categories", "Create a category", {201: created(ref("Category")), 403: T403, 404: T404, 409: problem("The slug exists"), 422: T422}, body=CATEGORY_IN, tags=["catalog"])
op("get", "/api/tenants/{id}/categories/{slug}", "Read a category", {200: jsonr("The category", ref("Category")), 404: problem("No such tenant or category")}, tags=["catalog"])
op("put", "/api/tenants/{id}/categories/{slug}", "Replace a category", {200: jsonr("The category", ref("Category")), 403: T403, 404: problem("No such tenant or category"), 422: T422}, body=CATEGORY_REPLACEMENT, tags=["catalog"])
op("delete", "/api/tenants/{id}/categories/{slug}", "Delete a category", {204: NOCONTENT, 403: T403, 404: problem("No such tenant or category")}, tags=["catalog"])
# domains
op("get", "/api/tenants/{id}/domains", "Custom domains and their certificate status", {200: jsonr("Domains", ITEMS(ref("DomainStatus"))), 404: T404}, tags=["domains"])
op("post", "/api/tenants/{id}/domains", "Attach a custom domain", {200: jsonr("Already attached", ref("DomainStatus")), 201: created(ref("DomainStatus")), 403: T403, 404: T404, 409: problem("Another tenant owns the domain"), 422: T422},
   body=jbody({"type": "object", "required": ["domain"], "properties": {"domain": {"type": "string"}}}), tags=["domains"])
op("delete", "/api/tenants/{id}/domains/{domain}", "Detach a custom domain (and its certificate)", {204: NOCONTENT, 403: T403, 404: problem("No such tenant or domain")}, tags=["domains"])
op("put", "/api/tenants/{id}/domains/{domain}/certificate", "Upload a certificate (validated: key matches, names cover the domain, not expired)",
   {200: jsonr("Domain status", ref("DomainStatus")), 403: T403, 404: problem("No such tenant or domain"), 422: T422},
   body=jbody({"type": "object", "required": ["chainPEM", "privateKeyPEM"], "properties": {"chainPEM": {"type": "string"}, "privateKeyPEM": {"type": "string"}}}), tags=["domains"])
op("delete", "/api/tenants/{id}/domains/{domain}/certificate", "Remove a domain's certificate", {204: NOCONTENT, 403: T403, 404: problem("No such tenant, domain or certificate")}, tags=["domains"])
# api keys
op("get", "/api/tenants/{id}/api-keys", "List API keys", {200: jsonr("Keys", ITEMS(ref("APIKey"))), 404: T404}, tags=["api-keys"])
op("post", "/api/tenants/{id}/api-keys", "Create an API key (the key is shown once)", {201: created({"type": "object", "required": ["key", "apiKey"], "properties": {"key": ref("APIKey"), "apiKey": {"type": "string"}}}), 403: T403, 404: T404, 422: T422},
   body=jbody({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}), tags=["api-keys"])
op("delete", "/api/tenants/{id}/api-keys/{keyId}", "Revoke an API key", {200: jsonr("The revoked key", ref("APIKey")), 403: T403, 404: problem("No such tenant or key")}, tags=["api-keys"])
# shopper data, audit
op("get", "/api/tenants/{id}/orders", "Orders, newest first", {200: jsonr("A page of orders", page(OBJ)), 400: problem("Bad paging parameters"), 404: T404}, params=PAGING, tags=["shopper-data"])
op("get", "/api/tenants/{id}/leads", "Consultation requests, newest first", {200: jsonr("A page of leads", page(OBJ)), 400: problem("Bad paging parameters"), 404: T404}, params=PAGING, tags=["shopper-data"])
op("get", "/api/audit", "The audit log, newest first", {200: jsonr("A page of audit events", page(ref("AuditEvent"))), 400: problem("Bad parameters"), 404: T404},
   params=PAGING + [{"name": "tenant", "in": "query", "required": False, "schema": {"type": "string"}}], tags=["audit"])


WAIT = [{"name": "wait", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true", "false", "1", "0"]}}]
JOB = ref("ProvisioningJob")
op("post", "/api/tenants/{id}/provision", "Start provisioning (202 with a job id; ?wait=true runs it within the request)",
   {200: jsonr("The finished job", JOB), 202: jsonr("Accepted", {"type": "object", "required": ["jobId", "statusUrl"], "properties": {"jobId": {"type": "string"}, "statusUrl": {"type": "string"}}}, {"Location": {"schema": {"type": "string"}}}), 403: T403, 404: T404}, params=WAIT, tags=["provisioning"])
op("get", "/api/provision/status/{jobId}", "A provisioning job: steps, timings, result", {200: jsonr("The job", JOB), 404: problem("No such job")}, tags=["provisioning"])
op("post", "/api/provision/store", "Create and provision a tenant in one call (platform-admin)",
   {201: jsonr("Created and provisioned (?wait=true)", OBJ), 202: jsonr("Created; provisioning", OBJ, {"Location": {"schema": {"type": "string"}}}), 403: T403, 409: problem("Subdomain or domain taken"), 422: T422},
   body=jbody({"type": "object", "required": ["companyName", "subdomain"], "properties": {"companyName": {"type": "string", "minLength": 1, "maxLength": 255}, "subdomain": ref("Subdomain"), "customDomains": {"type": "array", "items": {"type": "string"}}, "theme": {"type": "string"}, "branding": OBJ, "features": OBJ, "products": {"type": "array", "items": ref("ProductInput")}}}), params=WAIT, tags=["provisioning"])
op("post", "/api/provision/deploy", "Publish a tenant's draft configuration and template",
   {200: jsonr("Deployed", {"type": "object", "required": ["tenant", "contentVersion"], "properties": {"tenant": ref("Tenant"), "contentVersion": {"type": "integer"}}}), 403: T403, 404: T404, 409: problem("The tenant has no draft"), 422: T422},
   body=jbody({"type": "object", "required": ["tenantId"], "properties": {"tenantId": {"type": "string"}}}), tags=["provisioning"])
op("get", "/api/provision/templates", "The built-in themes", {200: jsonr("Themes", ITEMS(OBJ))}, tags=["provisioning"])
op("get", "/api/tenants/{id}/draft", "The tenant's draft", {200: jsonr("The draft", OBJ), 404: problem("No such tenant or no draft")}, tags=["drafts"])
op("put", "/api/tenants/{id}/draft/config", "Set the draft configuration (the live one is untouched)", {200: jsonr("The draft", OBJ), 403: T403, 404: T404, 422: T422}, body=jbody(ref("Configuration")), tags=["drafts"])
op("put", "/api/tenants/{id}/draft/template", "Set the draft template", {200: jsonr("The draft", OBJ), 403: T403, 404: T404, 422: T422}, body=jbody({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}), tags=["drafts"])
op("delete", "/api/tenants/{id}/draft", "Discard the draft", {204: NOCONTENT, 403: T403, 404: T404}, tags=["drafts"])
op("get", "/api/tenants/{id}/preview", "Render a page with the draft; never cached for shoppers",
   {200: {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}, "application/xml": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}, "application/javascript": {"schema": {"type": "string"}}, "image/svg+xml": {"schema": {"type": "string"}}}},
    404: {"description": "No such tenant, or the page does not exist", "content": {"application/problem+json": {"schema": ref("Problem")}, "text/html": {"schema": {"type": "string"}}}}, 422: T422},
   params=[{"name": "path", "in": "query", "required": False, "schema": {"type": "string", "default": "/", "pattern": "^/", "maxLength": 2048}}], tags=["drafts"])
HOOK_IN = jbody({"type": "object", "required": ["url", "events"], "properties": {"url": {"type": "string", "description": "An absolute http or https URL. Its host must be a public address, or a name that resolves to one at every attempt, unless the server sets webhooks.allowPrivateNetworks."}, "events": {"type": "array", "items": {"type": "string", "enum": ["tenant.created", "tenant.suspended", "tenant.deleted", "config.updated", "order.created"]}}, "secret": {"type": "string", "minLength": 16, "maxLength": 256}}})
for prefix, scope in [("/api", "platform"), ("/api/tenants/{id}", "tenant")]:
    extra = {403: T403} if scope == "platform" else {403: T403, 404: T404}
    op("post", prefix + "/webhooks", f"Register a {scope} webhook", {**{201: created(ref("Webhook")), 409: problem("Too many webhooks"), 422: T422, 503: problem("No secret key configured")}, **extra}, body=HOOK_IN, tags=["webhooks"])
    op("get", prefix + "/webhooks", f"List {scope} webhooks", {**{200: jsonr("Webhooks", ITEMS(ref("Webhook")))}, **extra}, tags=["webhooks"])
    op("delete", prefix + "/webhooks/{webhookId}", f"Delete a {scope} webhook", {204: NOCONTENT, 403: T403, 404: problem("No such webhook")}, tags=["webhooks"])
    op("get", prefix + "/webhooks/{webhookId}/deliveries", f"Deliveries of a {scope} webhook, newest first", {200: jsonr("Deliveries", ITEMS(OBJ)), 403: T403, 404: problem("No such webhook")}, tags=["webhooks"])

schemas = {
  "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
      "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
      "errors": {"type": "array", "items": {"type": "object", "required": ["pointer", "detail"], "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}}}}}},
  "Tenant": {"type": "object", "required": ["id", "companyName", "subdomain", "customDomains", "status", "createdAt", "updatedAt", "contentVersion"], "properties": {
      "id": {"type": "string", "format": "uuid"}, "companyName": {"type": "string"}, "subdomain": {"type": "string"},
      "customDomains": {"type": "array", "items": {"type": "string"}}, "status": {"type": "string", "enum": ["active", "suspended", "deleted"]},
      "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}, "contentVersion": {"type": "integer", "minimum": 0}}},
  "CreateTenant": {"type": "object", "required": ["companyName", "subdomain"], "properties": {
      "companyName": {"type": "string", "minLength": 1, "maxLength": 255}, "subdomain": ref("Subdomain"), "customDomains": {"type": "array", "items": {"type": "string"}}}},
  "Subdomain": {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},
  "CreatedTenant": {"type": "object", "required": ["tenant", "apiKey"], "properties": {"tenant": ref("Tenant"), "apiKey": {"type": "string"}}},
  "TenantUpdate": {"type": "object", "properties": {"companyName": {"type": "string", "minLength": 1, "maxLength": 255}, "subdomain": ref("Subdomain"),
      "customDomains": {"type": "array", "items": {"type": "string"}}, "status": {"type": "string", "enum": ["active", "suspended"]}}},
  "Template": {"type": "object", "required": ["name", "isActive"], "properties": {"name": {"type": "string"}, "isActive": {"type": "boolean"}, "config": OBJ}},
  "Product": {"type": "object", "required": ["slug", "name", "priceMinor", "currency"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "priceMinor": {"type": "integer"}, "currency": {"type": "string"}, "images": {"type": "array", "items": {"type": "string"}}, "categorySlug": {"type": ["string", "null"]}, "attributes": {"type": "object", "additionalProperties": {"type": "string"}}, "featured": {"type": "boolean"}}},
  "ProductInput": {"type": "object", "required": ["slug", "name", "priceMinor", "currency"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "priceMinor": {"type": "integer"}, "currency": {"type": "string"}, "images": {"type": "array", "items": {"type": "string"}}, "categorySlug": {"type": "string"}, "attributes": {"type": "object", "additionalProperties": {"type": "string"}}, "featured": {"type": "boolean"}}},
  "Category": {"type": "object", "required": ["slug", "name"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "position": {"type": "integer"}}},
  "CategoryInput": {"type": "object", "required": ["slug", "name"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "position": {"type": "integer"}}},
  "ImportReport": {"type": "object", "required": ["imported", "failed"], "properties": {"imported": {"type": "integer"}, "failed": {"type": "array", "items": OBJ}}},
  "DomainStatus": {"type": "object", "required": ["domain"], "properties": {"domain": {"type": "string"}, "certificate": {"type": ["object", "null"]}}},
  "APIKey": {"type": "object", "required": ["id", "name", "prefix", "createdAt", "revoked"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"}, "createdAt": {"type": "string"}, "lastUsedAt": {"type": "string"}, "revokedAt": {"type": "string"}, "revoked": {"type": "boolean"}}},
  "AuditEvent": {"type": "object", "required": ["id", "time", "actor", "action", "target", "outcome"], "properties": {"id": {"type": "string"}, "time": {"type": "string"}, "actor": {"type": "string"}, "action": {"type": "string"}, "target": {"type": "string"}, "tenantId": {"type": "string"}, "requestId": {"type": "string"}, "clientAddress": {"type": "string"}, "outcome": {"type": "string", "enum": ["success", "failure", "denied"]}}},
  "ProvisioningJob": {"type": "object", "required": ["id", "status", "steps"], "properties": {"id": {"type": "string"}, "tenantId": {"type": "string"}, "status": {"type": "string", "enum": ["running", "succeeded", "failed"]}, "steps": {"type": "array", "items": {"type": "object", "required": ["name", "status"], "properties": {"name": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "running", "succeeded", "failed"]}, "durationMilliseconds": {"type": "number"}, "detail": {"type": "string"}}}}, "error": {"type": "string"}, "restarts": {"type": "integer"}}},
  "Webhook": {"type": "object", "required": ["id", "url", "events"], "properties": {"id": {"type": "string"}, "tenantId": {"type": "string"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}}, "createdAt": {"type": "string"}, "secret": {"type": "string"}}},
  "Configuration": {"type": "object", "properties": {"branding": {"type": "object"}, "features": {"type": "object"}, "commerce": {"type": "object"}, "integrations": {"type": "object"}}},
}
for name in ["Product", "Category"]:
    replacement = json.loads(json.dumps(schemas[name + "Input"]))
    replacement["required"] = [field for field in replacement["required"] if field != "slug"]
    replacement["properties"]["slug"]["description"] = "optional: the path names it; if given, it must match"
    schemas[name + "Replacement"] = replacement
doc = {"openapi": "3.1.0",
  "info": {"title": "Storefront Edge admin API", "version": "1.0.0", "description": "Tenant management, provisioning and operations. Errors are application/problem+json (RFC 9457)."},
  "servers": [{"url": "https://127.0.0.1:9443"}],
  "security": [{"bearer": []}, {"apiKey": []}],
  "paths": P,
  "components": {"schemas": schemas, "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "edge token --role …"},
      "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}}}
# Request bodies are decoded into Swift optionals, for which JSON null means absent: say so
# for every optional property of a request body.
def nullable_optionals(schema, seen):
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name in seen:
            return
        seen.add(name)
        schema = schemas[name]
    required = set(schema.get("required", []))
    for name, prop in list(schema.get("properties", {}).items()):
        if name not in required:
            schema["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
seen = set()
for path, operations in P.items():
    for operation in operations.values():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            nullable_optionals(body["schema"], seen)
json.dump(doc, open(sys.argv[1], "w"), indent=2, sort_keys=False)
print(len(P), "paths")
