/// An error from the tenant store: the storage engine or a tenant repository.
///
/// Modelled on NIO's `FileSystemError`: an extensible ``Code``, a human message, an optional
/// underlying cause and where it was raised. ``detailedDescription()`` prints the whole chain.
public struct TenantStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable, safe to switch over with `==`.
    public var code: Code
    /// What happened, for a person.
    public var message: String
    /// The error this one wraps, if any.
    public var cause: (any Error & Sendable)?
    /// Where the error was raised.
    public var location: SourceLocation
    /// Field-level problems (JSON pointer → message) for validation failures.
    public var problems: [ValidationProblem]

    public init(
        code: Code,
        message: String,
        cause: (any Error & Sendable)? = nil,
        problems: [ValidationProblem] = [],
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.problems = problems
        self.location = SourceLocation(file: file, line: line)
    }

    public var description: String {
        "\(self.code): \(self.message)"
    }

    /// The error, its problems and its causes as an indented tree.
    public func detailedDescription() -> String {
        var lines = ["TenantStoreError: \(self.code)", "├─ message: \(self.message)"]
        for problem in self.problems {
            lines.append("├─ problem: \(problem.pointer.isEmpty ? "/" : problem.pointer): \(problem.message)")
        }
        if let cause = self.cause {
            let text =
                (cause as? TenantStoreError)?.detailedDescription() ?? String(describing: cause)
            let nested = text.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("├─ cause: \(nested.first ?? "")")
            lines.append(contentsOf: nested.dropFirst().map { "│  \($0)" })
        }
        lines.append("└─ location: \(self.location.file):\(self.location.line)")
        return lines.joined(separator: "\n")
    }

    /// Where an error was raised.
    public struct SourceLocation: Sendable, Hashable {
        /// The file, as `#fileID`.
        public var file: String
        /// The line.
        public var line: Int
    }

    /// The kind of a ``TenantStoreError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidArgument
            case notFound
            case conflict
            case preconditionFailed
            case validationFailed
            case corrupted
            case ioError
            case readOnly
            case locked
            case closed
            case unsupportedVersion
            case secretKeyUnavailable
            case decryptionFailed
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        public var description: String { self.base.rawValue }

        /// A key, value or argument is malformed or too large.
        public static let invalidArgument = Code(.invalidArgument)
        /// The record does not exist (or belongs to another tenant).
        public static let notFound = Code(.notFound)
        /// A unique value (subdomain, domain, slug…) is already taken.
        public static let conflict = Code(.conflict)
        /// A batch precondition did not hold; nothing was written.
        public static let preconditionFailed = Code(.preconditionFailed)
        /// A document failed validation; see ``TenantStoreError/problems``.
        public static let validationFailed = Code(.validationFailed)
        /// Stored data failed verification (checksum, framing, sequence).
        public static let corrupted = Code(.corrupted)
        /// The operating system reported an I/O error.
        public static let ioError = Code(.ioError)
        /// The store is read-only: opened so, or stopped writing after a failed sync.
        public static let readOnly = Code(.readOnly)
        /// Another process holds the data directory.
        public static let locked = Code(.locked)
        /// The store was closed.
        public static let closed = Code(.closed)
        /// The data directory was written by a newer, unknown format.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A secret cannot be sealed or opened because no secret key was configured.
        public static let secretKeyUnavailable = Code(.secretKeyUnavailable)
        /// A sealed secret does not open with the configured key: another key sealed it, or it
        /// was altered.
        public static let decryptionFailed = Code(.decryptionFailed)
    }
}

/// One problem found while validating a document, located by JSON pointer (RFC 6901).
public struct ValidationProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where the problem is, e.g. `/colors/primary`; empty for the whole document.
    public var pointer: String
    /// What is wrong there.
    public var message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    public var description: String { "\(self.pointer.isEmpty ? "/" : self.pointer): \(self.message)" }
}
