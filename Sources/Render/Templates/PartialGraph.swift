import Foundation

/// The inclusion graph of a theme with a tenant's partials laid over it.
///
/// A partial that includes itself, directly or through others, makes swift-mustache recurse
/// until the process dies with SIGSEGV, so cycles must be refused before a template is ever
/// rendered. Built-in templates are scanned too: an override can close a cycle through them.
struct PartialGraph {
    private var edges: [String: [TemplateTag]] = [:]
    private let tenantNames: [String]

    init(sources: [String: String], tenantTags: [String: [TemplateTag]]) {
        for (name, source) in sources {
            self.edges[name] = tenantTags[name] ?? TemplateTag.scanBuiltIn(source)
        }
        self.tenantNames = tenantTags.keys.sorted()
    }

    func check(limits: TemplateLimits) throws(RenderError) {
        for name in self.tenantNames {
            for tag in self.edges[name] ?? [] where self.edges[tag.name] == nil {
                throw RenderError(
                    code: .unknownPartial,
                    message: "partial '\(tag.name)' is neither defined by the tenant nor built in",
                    partial: name,
                    line: tag.line,
                    column: tag.column
                )
            }
        }
        var depths: [String: Int] = [:]
        for name in self.edges.keys.sorted() {
            var path: [String] = []
            let depth = try self.depth(of: name, path: &path, depths: &depths)
            if depth > limits.maximumPartialDepth {
                throw RenderError(
                    code: .tooDeep,
                    message:
                        "partials nest \(depth) levels deep from '\(name)'; the limit is \(limits.maximumPartialDepth)",
                    partial: name
                )
            }
        }
    }

    private func depth(of name: String, path: inout [String], depths: inout [String: Int]) throws(RenderError) -> Int {
        if let known = depths[name] {
            return known
        }
        if let start = path.firstIndex(of: name) {
            let cycle = (path[start...] + [name]).joined(separator: " → ")
            let culprit = path[start...].first { self.tenantNames.contains($0) } ?? name
            let tag = self.edges[culprit]?.first { path.contains($0.name) || $0.name == name }
            throw RenderError(
                code: .recursivePartial,
                message: "partials include themselves: \(cycle)",
                partial: culprit,
                line: tag?.line,
                column: tag?.column
            )
        }
        path.append(name)
        var deepest = 0
        for tag in self.edges[name] ?? [] where self.edges[tag.name] != nil {
            deepest = max(deepest, try self.depth(of: tag.name, path: &path, depths: &depths) + 1)
        }
        path.removeLast()
        depths[name] = deepest
        return deepest
    }
}

extension TemplateTag {
    /// Built-in templates may use every tag; only their inclusions matter to the graph.
    static func scanBuiltIn(_ source: String) -> [TemplateTag] {
        var tags: [TemplateTag] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let sigil = rest.first, sigil == ">" || sigil == "<" else { continue }
            guard let close = rest.range(of: "}}") else { break }
            let name = String(rest[rest.index(after: rest.startIndex)..<close.lowerBound]).trimmingWhitespace()
            tags.append(TemplateTag(name: name, line: 0, column: 0))
            rest = rest[close.upperBound...]
        }
        return tags
    }
}
