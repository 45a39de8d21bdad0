import CCRC32C

/// CRC32C (Castagnoli), the checksum of every frame header and payload.
enum CRC32C {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ccrc32c_extend(0, bytes.baseAddress, bytes.count)
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        bytes.withContiguousStorageIfAvailable { ccrc32c_extend(0, $0.baseAddress, $0.count) }
            ?? Array(bytes).withUnsafeBytes { ccrc32c_extend(0, $0.baseAddress, $0.count) }
    }
}
