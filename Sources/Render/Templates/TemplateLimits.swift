/// Limits on tenant templates, checked when they are compiled.
public struct TemplateLimits: Sendable, Hashable {
    /// Largest single partial, in UTF-8 bytes.
    public var maximumPartialBytes: Int
    /// Largest total of all of a tenant's partials, in UTF-8 bytes.
    public var maximumTotalBytes: Int
    /// Deepest nesting of sections and blocks inside one partial.
    public var maximumSectionDepth: Int
    /// Longest chain of partial inclusions starting at any template.
    public var maximumPartialDepth: Int

    /// Creates limits; the defaults fit any real storefront with room to spare.
    public init(
        maximumPartialBytes: Int = 64 * 1024,
        maximumTotalBytes: Int = 512 * 1024,
        maximumSectionDepth: Int = 16,
        maximumPartialDepth: Int = 10
    ) {
        self.maximumPartialBytes = maximumPartialBytes
        self.maximumTotalBytes = maximumTotalBytes
        self.maximumSectionDepth = maximumSectionDepth
        self.maximumPartialDepth = maximumPartialDepth
    }

    func checkSizes(_ sources: [String: String]) throws(RenderError) {
        var total = 0
        for (name, source) in sources.sorted(by: { $0.key < $1.key }) {
            let bytes = source.utf8.count
            if bytes > self.maximumPartialBytes {
                throw RenderError(
                    code: .tooLarge,
                    message: "partial is \(bytes) bytes; the limit is \(self.maximumPartialBytes)",
                    partial: name
                )
            }
            total += bytes
        }
        if total > self.maximumTotalBytes {
            throw RenderError(
                code: .tooLarge,
                message: "partials total \(total) bytes; the limit is \(self.maximumTotalBytes)"
            )
        }
    }
}
