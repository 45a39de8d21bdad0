/// An error raised while loading a theme or compiling a tenant's template overrides.
///
/// Rejections of tenant templates carry the partial's name and, when the problem sits at a
/// place in the source, its 1-based line and column so the admin API can point at it.
public struct RenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable code that callers can switch on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case syntax
            case recursivePartial
            case tooDeep
            case tooLarge
            case unknownPartial
            case unsupportedTag
            case unknownTheme
            case themeResources
        }

        private let value: Value

        /// The template does not parse.
        public static let syntax = Code(value: .syntax)
        /// A partial includes itself, directly or through other partials.
        public static let recursivePartial = Code(value: .recursivePartial)
        /// Sections or partials nest deeper than the limit.
        public static let tooDeep = Code(value: .tooDeep)
        /// A partial, or the whole set of partials, is larger than the limit.
        public static let tooLarge = Code(value: .tooLarge)
        /// A partial names a template that is neither the tenant's nor built in.
        public static let unknownPartial = Code(value: .unknownPartial)
        /// The template uses a tag that tenant templates may not use.
        public static let unsupportedTag = Code(value: .unsupportedTag)
        /// No built-in theme has the requested name.
        public static let unknownTheme = Code(value: .unknownTheme)
        /// The built-in theme files are missing or broken: a packaging fault.
        public static let themeResources = Code(value: .themeResources)

        public var description: String { self.value.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person.
    public var message: String
    /// The partial the problem is in, when there is one.
    public var partial: String?
    /// 1-based line of the problem inside ``partial``.
    public var line: Int?
    /// 1-based column of the problem inside ``partial``.
    public var column: Int?

    /// Creates an error.
    public init(code: Code, message: String, partial: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.partial = partial
        self.line = line
        self.column = column
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let partial = self.partial {
            text += " (partial '\(partial)'"
            if let line = self.line, let column = self.column {
                text += ", line \(line), column \(column)"
            }
            text += ")"
        }
        return text
    }
}
