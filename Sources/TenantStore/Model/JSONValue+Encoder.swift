import Foundation

/// Encodes `Encodable` values straight into a ``JSONValue``, as `JSONEncoder` does with its
/// default strategies or with ISO 8601 dates: a `Date` as its seconds since 2001 or its ISO 8601
/// text, `Data` as Base64, a `URL` as its absolute string, a non-finite number as an
/// `EncodingError`.
///
/// Every audited admin write stores an ``AuditEvent`` and most also a ``Tenant``; through
/// `JSONEncoder` those two records took 11.8 % of the server's CPU in a perf profile of
/// back-to-back configuration PUTs. `JSONEncoder` boxes every value, builds a coding path for it
/// and tries four dynamic casts (`Date`, `Data`, `URL`, `Decimal`) before encoding it; this
/// encoder compares types instead and keeps the path only as parent links. No package in reach
/// encodes `Codable` to JSON faster, so this one is written here; `JSONValueEncoderTests` holds
/// its output to `JSONEncoder`'s.
///
/// A ``JSONValue`` number is a `Double`, so an integer beyond ±2⁵³ or a `Decimal` or `Float`
/// (whose text `JSONEncoder` writes with its own digits) throws ``Unrepresentable``, and the
/// caller encodes that value with `JSONEncoder` instead, as ``Foundation/JSONEncoder/jsonText(_:)``
/// does.
package enum JSONValueEncoder {
    /// The value holds a number that a ``JSONValue`` cannot carry to the same JSON text.
    package struct Unrepresentable: Error {
        package let codingPath: String
    }

    /// How dates are written, as `JSONEncoder`'s `.deferredToDate` and `.iso8601` write them.
    package enum DateEncoding: Sendable {
        case secondsSinceReferenceDate
        case iso8601
    }

    /// The largest integer magnitude a `Double` holds exactly.
    static let exactIntegerLimit: UInt64 = 1 << 53

    package static func encode(
        _ value: some Encodable,
        dates: DateEncoding = .secondsSinceReferenceDate
    ) throws -> JSONValue {
        let encoder = ValueEncoder(parent: nil, key: nil, dates: dates)
        if let special = try encoder.special(value) { return special }
        try value.encode(to: encoder)
        guard let result = try encoder.finish() else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: [], debugDescription: "\(type(of: value)) did not encode any values.")
            )
        }
        return result
    }
}

extension JSONEncoder {
    /// `value` as this encoder writes it, except that `/` is never escaped (both forms read the
    /// same): through ``JSONValueEncoder`` when this encoder sorts keys and its other strategies
    /// are ones that one has, and the value holds no number it cannot carry; through this
    /// encoder otherwise.
    package func jsonText(_ value: some Encodable) throws -> [UInt8] {
        if let dates = self.valueEncoderDates {
            do {
                return try JSONValueEncoder.encode(value, dates: dates).jsonText()
            } catch is JSONValueEncoder.Unrepresentable {}
        }
        return Array(try self.encode(value))
    }

    private var valueEncoderDates: JSONValueEncoder.DateEncoding? {
        guard self.outputFormatting.contains(.sortedKeys),
            self.outputFormatting.isSubset(of: [.sortedKeys, .withoutEscapingSlashes]),
            case .useDefaultKeys = self.keyEncodingStrategy,
            case .base64 = self.dataEncodingStrategy,
            case .throw = self.nonConformingFloatEncodingStrategy,
            self.userInfo.isEmpty
        else { return nil }
        switch self.dateEncodingStrategy {
        case .deferredToDate: return .secondsSinceReferenceDate
        case .iso8601: return .iso8601
        default: return nil
        }
    }
}

/// The encoder one value is encoded with; its container's contents become the value.
private final class ValueEncoder: Encoder {
    /// Members written into an object, and the encoders of nested containers, which write
    /// into it until the enclosing value is finished.
    final class Members {
        /// Sized for a typical record up front: growing one member at a time rehashed every
        /// key at each doubling, a quarter of an audit event's encoding time.
        var members = [String: JSONValue](minimumCapacity: 16)
        var nested: [(key: String, encoder: ValueEncoder)] = []
    }

    final class Elements {
        var elements: [JSONValue] = []
        var nested: [(index: Int, encoder: ValueEncoder)] = []
    }

    enum Storage {
        case none
        case single(JSONValue)
        case object(Members)
        case array(Elements)
    }

    let parent: ValueEncoder?
    let key: (any CodingKey)?
    let dates: JSONValueEncoder.DateEncoding
    var storage = Storage.none

    init(parent: ValueEncoder?, key: (any CodingKey)?, dates: JSONValueEncoder.DateEncoding) {
        self.parent = parent
        self.key = key
        self.dates = dates
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var encoder: ValueEncoder? = self
        while let current = encoder, let key = current.key {
            path.append(key)
            encoder = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: Members
        if case .object(let existing) = self.storage {
            object = existing
        } else {
            object = Members()
            self.storage = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: Elements
        if case .array(let existing) = self.storage {
            array = existing
        } else {
            array = Elements()
            self.storage = .array(array)
        }
        return UnkeyedContainer(encoder: self, array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }

    /// The encoded value, or `nil` when nothing was encoded.
    func finish() throws -> JSONValue? {
        switch self.storage {
        case .none:
            return nil
        case .single(let value):
            return value
        case .object(let object):
            var members = object.members
            for (key, encoder) in object.nested {
                members[key] = try encoder.finish() ?? .object([:])
            }
            return .object(members)
        case .array(let array):
            var elements = array.elements
            for (index, encoder) in array.nested {
                elements[index] = try encoder.finish() ?? .object([:])
            }
            return .array(elements)
        }
    }

    /// `value` encoded as a child of this encoder.
    func encode<Value: Encodable>(_ value: Value, key: (any CodingKey)?) throws -> JSONValue {
        let child = self.nestedEncoder(key: key)
        if let special = try child.special(value) { return special }
        try value.encode(to: child)
        // A value that encodes nothing is an empty object, as in JSONEncoder.
        return try child.finish() ?? .object([:])
    }

    /// The types `JSONEncoder` writes other than through their own `encode(to:)`, and the
    /// common ones whose own encoding costs a container for one value.
    func special<Value: Encodable>(_ value: Value) throws -> JSONValue? {
        if Value.self == String.self { return .string(value as! String) }
        if Value.self == JSONValue.self { return (value as! JSONValue) }
        if Value.self == Date.self {
            let date = value as! Date
            switch self.dates {
            case .secondsSinceReferenceDate: return .number(date.timeIntervalSinceReferenceDate)
            case .iso8601: return .string(date.formatted(.iso8601))
            }
        }
        if Value.self == UUID.self { return .string((value as! UUID).uuidString) }
        if Value.self == Data.self { return .string((value as! Data).base64EncodedString()) }
        if Value.self == URL.self { return .string((value as! URL).absoluteString) }
        if Value.self == Decimal.self { throw self.unrepresentable() }
        return nil
    }

    func number(_ value: Double) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: self.codingPath, debugDescription: "\(value) is not a JSON number")
            )
        }
        return .number(value)
    }

    func number(_ value: some BinaryInteger) throws -> JSONValue {
        guard value.magnitude <= JSONValueEncoder.exactIntegerLimit else { throw self.unrepresentable() }
        return .number(Double(value))
    }

    func unrepresentable() -> JSONValueEncoder.Unrepresentable {
        JSONValueEncoder.Unrepresentable(codingPath: self.codingPath.map(\.stringValue).joined(separator: "."))
    }

    /// The encoder of a nested value, container or super encoder.
    func nestedEncoder(key: (any CodingKey)?) -> ValueEncoder {
        ValueEncoder(parent: self, key: key, dates: self.dates)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ValueEncoder
    let object: ValueEncoder.Members

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    private func set(_ value: JSONValue, _ key: Key) {
        self.object.members[key.stringValue] = value
    }

    mutating func encodeNil(forKey key: Key) throws { self.set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { self.set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        self.set(try self.encoder.number(value), key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw self.encoder.unrepresentable() }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.set(try self.encoder.number(value), key) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        self.set(try self.encoder.encode(value, key: key), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        self.nestedEncoder(key.stringValue, key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.nestedEncoder(key.stringValue, key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.nestedEncoder("super", SuperKey())
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.nestedEncoder(key.stringValue, key)
    }

    private func nestedEncoder(_ name: String, _ key: any CodingKey) -> ValueEncoder {
        let nested = self.encoder.nestedEncoder(key: key)
        self.object.nested.append((name, nested))
        return nested
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: ValueEncoder
    let array: ValueEncoder.Elements

    var codingPath: [any CodingKey] { self.encoder.codingPath }
    var count: Int { self.array.elements.count }

    private func append(_ value: JSONValue) {
        self.array.elements.append(value)
    }

    private var nextKey: IndexKey { IndexKey(intValue: self.count) }

    mutating func encodeNil() throws { self.append(.null) }
    mutating func encode(_ value: Bool) throws { self.append(.bool(value)) }
    mutating func encode(_ value: String) throws { self.append(.string(value)) }
    mutating func encode(_ value: Double) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: Float) throws { throw self.encoder.unrepresentable() }
    mutating func encode(_ value: Int) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: Int8) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: Int16) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: Int32) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: Int64) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt8) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt16) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt32) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt64) throws { self.append(try self.encoder.number(value)) }
    mutating func encode(_ value: some Encodable) throws {
        self.append(try self.encoder.encode(value, key: self.nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        self.nestedEncoder().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        self.nestedEncoder().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.nestedEncoder()
    }

    /// A child encoder for the next element, which holds its place until the array is finished.
    private func nestedEncoder() -> ValueEncoder {
        let nested = self.encoder.nestedEncoder(key: self.nextKey)
        self.array.nested.append((self.count, nested))
        self.append(.null)
        return nested
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    private func set(_ value: JSONValue) {
        self.encoder.storage = .single(value)
    }

    mutating func encodeNil() throws { self.set(.null) }
    mutating func encode(_ value: Bool) throws { self.set(.bool(value)) }
    mutating func encode(_ value: String) throws { self.set(.string(value)) }
    mutating func encode(_ value: Double) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: Float) throws { throw self.encoder.unrepresentable() }
    mutating func encode(_ value: Int) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: Int8) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: Int16) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: Int32) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: Int64) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt8) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt16) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt32) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: UInt64) throws { self.set(try self.encoder.number(value)) }
    mutating func encode(_ value: some Encodable) throws {
        if let special = try self.encoder.special(value) {
            self.set(special)
        } else {
            try value.encode(to: self.encoder)
        }
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(self.intValue ?? 0)" }

    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}
