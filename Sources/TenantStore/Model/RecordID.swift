public import Foundation
import Synchronization

/// A time-sortable identifier for orders, leads, API keys and audit events.
///
/// 128 bits: a 48-bit Unix time in milliseconds followed by 80 random bits, written as 26
/// characters of lowercase Crockford base32 (the ULID layout). Identifiers made by one process are
/// strictly increasing, even within one millisecond, so ordering by identifier is ordering by
/// creation time.
public struct RecordID: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let length = 26
    private static let randomBits = 80
    private static let generator = Mutex(Generator())

    private let value: UInt128

    private init(value: UInt128) {
        self.value = value
    }

    /// A new identifier, later than every identifier this process made before.
    public init() {
        let milliseconds = Self.milliseconds(of: Date())
        self.value = Self.generator.withLock { $0.next(milliseconds: milliseconds) }
    }

    /// The smallest identifier of `timestamp`'s millisecond: every identifier made earlier sorts
    /// before it.
    init(earliestAt timestamp: Date) {
        self.value = UInt128(Self.milliseconds(of: timestamp)) << Self.randomBits
    }

    /// An identifier made at `timestamp` rather than now, for records dated in the past: unique
    /// by its random bits, but not ordered against others of the same millisecond.
    package init(madeAt timestamp: Date) {
        self.value = RecordID(earliestAt: timestamp).value | Self.randomPart()
    }

    private static func milliseconds(of timestamp: Date) -> UInt64 {
        UInt64(max(0, timestamp.timeIntervalSince1970 * 1000))
    }

    private static func randomPart() -> UInt128 {
        var random = SystemRandomNumberGenerator()
        return UInt128(random.next() as UInt64) << 16 | UInt128(random.next() as UInt16)
    }

    /// Parses the 26-character text form; `nil` when `description` is not one.
    public init?(_ description: String) {
        guard let value = Self.decode(description) else { return nil }
        self.value = value
    }

    /// When the identifier was made, to the millisecond.
    public var timestamp: Date {
        Date(timeIntervalSince1970: Double(UInt64(self.value >> Self.randomBits)) / 1000)
    }

    public var description: String {
        Self.encode(self.value)
    }

    /// A key component that sorts in the opposite order, so that a forward prefix scan lists the
    /// newest records first (the store only scans forwards).
    var descendingKey: String {
        Self.encode(~self.value)
    }

    init?(descendingKey: String) {
        guard let value = Self.decode(descendingKey) else { return nil }
        self.value = ~value
    }

    public static func < (lhs: RecordID, rhs: RecordID) -> Bool {
        lhs.value < rhs.value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self.decode(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a record id")
        }
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    private static func encode(_ value: UInt128) -> String {
        var characters = [UInt8](repeating: 0, count: Self.length)
        var rest = value
        for index in stride(from: Self.length - 1, through: 0, by: -1) {
            characters[index] = Self.alphabet[Int(rest & 31)]
            rest >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }

    private static func decode(_ text: String) -> UInt128? {
        let bytes = Array(text.utf8)
        // 26 characters hold 130 bits; the first may only use the low 3.
        guard bytes.count == Self.length, let first = Self.alphabet.firstIndex(of: bytes[0]), first < 8 else {
            return nil
        }
        var value: UInt128 = 0
        for byte in bytes {
            guard let digit = Self.alphabet.firstIndex(of: byte) else { return nil }
            value = value << 5 | UInt128(digit)
        }
        return value
    }

    private struct Generator: Sendable {
        private var last: UInt128 = 0

        mutating func next(milliseconds: UInt64) -> UInt128 {
            let candidate = UInt128(milliseconds) << RecordID.randomBits | RecordID.randomPart()
            // Within one millisecond (or if the clock stepped back) count up from the last value
            // instead, which keeps identifiers unique and increasing.
            self.last = candidate > self.last ? candidate : self.last + 1
            return self.last
        }
    }
}
