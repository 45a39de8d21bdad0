import Foundation

/// Decodes `Decodable` values from a ``JSONValue``, as `JSONDecoder` does with its default
/// strategies or with ISO 8601 dates; the reading half of ``JSONValueEncoder``.
///
/// Every stored record is read through `Codable`, and `JSONDecoder` builds a map of the text,
/// a coding path and a container per value: reading a tenant record took 1.4 % of the server's
/// CPU under back-to-back configuration PUTs, and an audit listing reads hundreds of events.
///
/// It keeps no coding path: whatever it cannot decode, for any reason, the caller decodes again
/// with `JSONDecoder` (``Foundation/JSONDecoder/decode(_:fromJSON:)``,
/// ``Foundation/JSONDecoder/decode(_:from:)``), so errors are always
/// `JSONDecoder`'s own, paths included. An integer at or beyond ±2⁵³, which a ``JSONValue``
/// `Double` may have rounded, and any `Float` or `Decimal`, go that way too.
package enum JSONValueDecoder {
    package static func decode<Value: Decodable>(
        _ type: Value.Type,
        from document: JSONValue,
        dates: JSONValueEncoder.DateEncoding = .secondsSinceReferenceDate
    ) throws -> Value {
        try ValueDecoder(value: document, dates: dates).decode(Value.self)
    }
}

extension JSONDecoder {
    /// `T` decoded from JSON text, as this decoder decodes it: through ``JSONValueDecoder`` when
    /// this decoder's strategies are ones that one has and the text decodes there, and through
    /// this decoder otherwise.
    package func decode<T: Decodable>(_ type: T.Type, fromJSON bytes: some Collection<UInt8>) throws -> T {
        if let dates = self.valueDecoderDates, let document = try? JSONValue(parsing: bytes),
            let value = try? JSONValueDecoder.decode(T.self, from: document, dates: dates)
        {
            return value
        }
        return try self.decode(T.self, from: Data(bytes))
    }

    /// `T` decoded from `document`, as this decoder decodes the document's text.
    package func decode<T: Decodable>(_ type: T.Type, from document: JSONValue) throws -> T {
        if let dates = self.valueDecoderDates,
            let value = try? JSONValueDecoder.decode(T.self, from: document, dates: dates)
        {
            return value
        }
        return try self.decode(T.self, from: Data(try document.jsonText()))
    }

    private var valueDecoderDates: JSONValueEncoder.DateEncoding? {
        guard case .useDefaultKeys = self.keyDecodingStrategy,
            case .base64 = self.dataDecodingStrategy,
            case .throw = self.nonConformingFloatDecodingStrategy,
            self.userInfo.isEmpty
        else { return nil }
        switch self.dateDecodingStrategy {
        case .deferredToDate: return .secondsSinceReferenceDate
        case .iso8601: return .iso8601
        default: return nil
        }
    }
}

/// What this decoder does not decode; the caller decodes with `JSONDecoder` instead.
private struct Undecodable: Error {}

private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let dates: JSONValueEncoder.DateEncoding

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = self.value else { throw Undecodable() }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, dates: self.dates))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = self.value else { throw Undecodable() }
        return UnkeyedContainer(elements: elements, dates: self.dates)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { self.value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let value) = self.value else { throw Undecodable() }
        return value
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let value) = self.value else { throw Undecodable() }
        return value
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let value) = self.value else { throw Undecodable() }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { throw Undecodable() }
    func decode(_ type: Int.Type) throws -> Int { try self.integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try self.integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try self.integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try self.integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try self.integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try self.integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try self.integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try self.integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try self.integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try self.integer() }

    private func integer<Integer: BinaryInteger>() throws -> Integer {
        guard case .number(let value) = self.value, value.magnitude < Double(JSONValueEncoder.exactIntegerLimit),
            let integer = Integer(exactly: value)
        else { throw Undecodable() }
        return integer
    }

    /// The types `JSONDecoder` reads other than through their own `init(from:)`, and the common
    /// ones whose own decoding costs a container for one value.
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        if Value.self == String.self { return try self.decode(String.self) as! Value }
        if Value.self == JSONValue.self { return self.value as! Value }
        if Value.self == UUID.self {
            guard let uuid = UUID(uuidString: try self.decode(String.self)) else { throw Undecodable() }
            return uuid as! Value
        }
        if Value.self == Date.self {
            switch self.dates {
            case .secondsSinceReferenceDate:
                return Date(timeIntervalSinceReferenceDate: try self.decode(Double.self)) as! Value
            case .iso8601:
                return try Date(try self.decode(String.self), strategy: .iso8601) as! Value
            }
        }
        if Value.self == Data.self {
            guard let data = Data(base64Encoded: try self.decode(String.self)) else { throw Undecodable() }
            return data as! Value
        }
        if Value.self == URL.self {
            guard let url = URL(string: try self.decode(String.self)) else { throw Undecodable() }
            return url as! Value
        }
        if Value.self == Decimal.self { throw Undecodable() }
        return try Value(from: self)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let dates: JSONValueEncoder.DateEncoding

    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { self.members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { self.members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> ValueDecoder {
        guard let value = self.members[key.stringValue] else { throw Undecodable() }
        return ValueDecoder(value: value, dates: self.dates)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try self.member(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try self.member(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try self.member(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try self.member(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try self.member(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try self.member(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try self.member(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try self.member(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try self.member(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try self.member(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try self.member(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try self.member(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try self.member(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try self.member(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try self.member(key).decode(type) }
    func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
        try self.member(key).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try self.member(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try self.member(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: self.members["super"] ?? .null, dates: self.dates)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: self.members[key.stringValue] ?? .null, dates: self.dates)
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let dates: JSONValueEncoder.DateEncoding
    var currentIndex = 0

    init(elements: [JSONValue], dates: JSONValueEncoder.DateEncoding) {
        self.elements = elements
        self.dates = dates
    }

    var codingPath: [any CodingKey] { [] }
    var count: Int? { self.elements.count }
    var isAtEnd: Bool { self.currentIndex >= self.elements.count }

    /// The next element's decoder; the index moves on only once it has decoded.
    private func next() throws -> ValueDecoder {
        guard !self.isAtEnd else { throw Undecodable() }
        return ValueDecoder(value: self.elements[self.currentIndex], dates: self.dates)
    }

    private mutating func take<Value>(_ decode: (ValueDecoder) throws -> Value) throws -> Value {
        let value = try decode(try self.next())
        self.currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard try self.next().decodeNil() else { return false }
        self.currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: String.Type) throws -> String { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try self.take { try $0.decode(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try self.take { try $0.decode(type) } }
    mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try self.take { try $0.decode(type) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try self.take { try $0.container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try self.take { try $0.unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder {
        try self.take { $0 }
    }
}
