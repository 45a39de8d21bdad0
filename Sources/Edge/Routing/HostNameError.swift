/// Why a Host header or `:authority` value is not a host name the edge will serve.
///
/// The offending input is deliberately not kept: it comes from the network, and an error that
/// carries it invites logging attacker-chosen bytes. Every rejection ends in the same neutral
/// 404 page; the ``code`` exists for metrics, debug logs and tests.
public struct HostNameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong with the value.
    public var code: Code

    /// Creates an error with the given code.
    public init(code: Code) {
        self.code = code
    }

    public var description: String { "HostNameError: \(self.code)" }

    /// The kind of a ``HostNameError``; stable, safe to compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case empty
            case tooLong
            case invalidCharacter
            case userInfo
            case emptyLabel
            case labelTooLong
            case hyphenAtLabelEdge
            case invalidPort
            case addressLiteral
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        public var description: String { self.base.rawValue }

        /// Nothing is left once the port and one trailing dot are removed.
        public static let empty = Code(.empty)
        /// The input or the normalised name exceeds its length limit (253 octets for a name).
        public static let tooLong = Code(.tooLong)
        /// A character outside letters, digits and `-` (space, `_`, `%`, `/`, control, symbol…).
        public static let invalidCharacter = Code(.invalidCharacter)
        /// The value carries user information (`user@host`), which a Host header never may.
        public static let userInfo = Code(.userInfo)
        /// Two dots in a row, or a leading dot.
        public static let emptyLabel = Code(.emptyLabel)
        /// A label, after IDNA conversion, is longer than 63 octets.
        public static let labelTooLong = Code(.labelTooLong)
        /// A label starts or ends with `-`.
        public static let hyphenAtLabelEdge = Code(.hyphenAtLabelEdge)
        /// The port is not 0–65535 in decimal, or an unbracketed IPv6 address was sent.
        public static let invalidPort = Code(.invalidPort)
        /// An IP address (bracketed IPv6 or dotted IPv4) rather than a name: no tenant lives there.
        public static let addressLiteral = Code(.addressLiteral)
    }
}
