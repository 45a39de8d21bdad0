/// The on-disk unit of the log: one group commit, verified as a whole.
///
/// ```
/// header (16 B):  magic u16 | kind u16 | payload length u32 | crc32c(payload) u32 | crc32c(header[0..<12]) u32
/// payload:        first seq u64 | record count u32 | records…
/// record:         op u8 | key length u16 | value length u32 | seq u64 | key | value
/// ```
/// All integers are little-endian. The header has its own checksum so that a damaged length can
/// never send the reader past the real frame. In a ``Kind/log`` frame the record sequence numbers
/// are consecutive from the first; a ``Kind/snapshot`` frame (written by compaction and backup)
/// carries surviving records, whose numbers only increase.
struct Frame {
    enum Kind: UInt16 {
        case log = 1
        case snapshot = 2
    }

    enum Operation: UInt8 {
        case put = 1
        case delete = 2
    }

    struct Record {
        var operation: Operation
        var seq: UInt64
        var key: String
        var value: StoredBytes
    }

    static let magic: UInt16 = 0x4553
    static let headerSize = 16
    static let payloadPrefixSize = 12
    static let recordOverhead = 15
    /// A frame never exceeds this; a header announcing more is damage, not data.
    static let maximumPayloadSize = KeyValueLimits.maximumBatchBytes + 16 * 1024 * 1024

    var kind: Kind
    var firstSeq: UInt64
    var records: [Record]

    /// The frame's bytes, header included.
    static func encode(kind: Kind, records: [Record]) -> [UInt8] {
        var payloadSize = Frame.payloadPrefixSize
        for record in records {
            payloadSize += Frame.recordOverhead + record.key.utf8.count + record.value.count
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Frame.headerSize + payloadSize)
        bytes.append(contentsOf: repeatElement(0, count: Frame.headerSize))
        bytes.appendLittleEndian(records.first?.seq ?? 0)
        bytes.appendLittleEndian(UInt32(records.count))
        for record in records {
            bytes.append(record.operation.rawValue)
            bytes.appendLittleEndian(UInt16(record.key.utf8.count))
            bytes.appendLittleEndian(UInt32(record.value.count))
            bytes.appendLittleEndian(record.seq)
            bytes.append(contentsOf: record.key.utf8)
            record.value.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        let payloadCRC = bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Frame.headerSize...]))
        }
        bytes.storeLittleEndian(Frame.magic, at: 0)
        bytes.storeLittleEndian(kind.rawValue, at: 2)
        bytes.storeLittleEndian(UInt32(payloadSize), at: 4)
        bytes.storeLittleEndian(payloadCRC, at: 8)
        let headerCRC = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<12])) }
        bytes.storeLittleEndian(headerCRC, at: 12)
        return bytes
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }

    mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        self.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }
}

extension UnsafeRawBufferPointer {
    func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(littleEndian: self.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
