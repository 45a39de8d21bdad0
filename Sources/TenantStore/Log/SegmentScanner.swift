import Foundation
import Synchronization

/// Verifies a segment's frames from the start and hands each record to the caller.
///
/// The rules follow the design notes (`shared/anchors/store/DESIGN-NOTES.md`): only the last
/// frame of the active segment can be torn, because frame k+1 is written only after frame k is
/// synced. So damage at the end of the active segment that a torn write explains (the frame runs
/// past the end of the file, a partial header, an all-zero tail, or an all-zero 512-byte sector
/// in the last frame) is a torn tail; any other damage, anywhere, is corruption.
struct SegmentScanner {
    enum Outcome: Equatable {
        /// Every byte was a valid frame.
        case clean
        /// A torn write at `offset`; the bytes from there on were never acknowledged.
        case tornTail(offset: Int, reason: String)
        /// Only zeros from `offset` on in the active segment: space the committer preallocated.
        case zeroTail(offset: Int)
        /// Verified data ends at `offset` and what follows is damaged.
        case corrupted(offset: Int, reason: String)
    }

    struct Result {
        var outcome: Outcome
        /// The end of the verified frames.
        var validLength: Int
        var frames: Int
        var records: Int
        /// The sequence number the next record must carry.
        var nextSeq: UInt64
    }

    static let sectorSize = 512

    let segment: SegmentBytes
    let kind: Frame.Kind
    /// Whether this is the active segment, the only one whose tail may be torn.
    let isActive: Bool

    /// Scans the segment; `expectedSeq` is the first sequence number a log frame must start at.
    ///
    /// With `verifyingInParallel`, payload checksums are verified on another thread while this
    /// one parses (opening is otherwise bound by one core). Records are then applied before
    /// their frame's checksum is known, so when one turns out bad the result is `nil`: the
    /// caller must discard what it applied and scan again without parallel verification.
    func scan(expectedSeq: UInt64, verifyingInParallel: Bool = false, apply: (Frame.Record) -> Void) -> Result? {
        let raw = self.segment.buffer
        var result = Result(outcome: .clean, validLength: 0, frames: 0, records: 0, nextSeq: expectedSeq)
        let (payloads, stop) = self.frameBoundaries(raw)
        let verifier = verifyingInParallel && payloads.count > 1 ? ParallelVerifier(self.segment, payloads) : nil
        for (frame, payload) in payloads.enumerated() {
            let offset = payload.lowerBound - Frame.headerSize
            if verifier == nil {
                let storedCRC = raw.loadLittleEndian(at: offset + 8, as: UInt32.self)
                guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[payload])) == storedCRC else {
                    result.outcome = self.damage(
                        raw,
                        at: offset,
                        torn: self.looksTorn(raw, from: offset),
                        "frame payload checksum mismatch"
                    )
                    return result
                }
            }
            let parsed = self.parse(
                UnsafeRawBufferPointer(rebasing: raw[payload]),
                payloadStart: payload.lowerBound,
                expectedSeq: result.nextSeq,
                apply: apply
            )
            switch parsed {
            case .success(let (records, nextSeq)):
                result.records += records
                result.nextSeq = nextSeq
            case .failure(let reason):
                if let firstBad = verifier?.firstBadFrame(), firstBad <= frame { return nil }
                result.outcome = .corrupted(offset: offset, reason: reason.message)
                return result
            }
            result.frames += 1
            result.validLength = payload.upperBound
        }
        if verifier?.firstBadFrame() != nil { return nil }
        if let stop { result.outcome = stop }
        return result
    }

    /// The number of records in the frames whose headers verify: an upper bound on the keys
    /// the segment adds, read without checking payloads.
    func recordCount() -> Int {
        let raw = self.segment.buffer
        return self.frameBoundaries(raw).0.reduce(0) { total, payload in
            total + Int(raw.loadLittleEndian(at: payload.lowerBound + 8, as: UInt32.self))
        }
    }

    /// Walks the frame headers: the payload ranges of every frame whose header verifies and
    /// fits in the file, and the damage that stopped the walk, if any.
    private func frameBoundaries(_ raw: UnsafeRawBufferPointer) -> ([Range<Int>], Outcome?) {
        var payloads: [Range<Int>] = []
        var offset = 0
        while offset < raw.count {
            let remaining = raw.count - offset
            if remaining < Frame.headerSize {
                return (payloads, self.damage(raw, at: offset, torn: true, "partial frame header"))
            }
            let header = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Frame.headerSize])
            if header.allSatisfy({ $0 == 0 }) {
                if self.isActive && raw[offset...].allSatisfy({ $0 == 0 }) {
                    return (payloads, .zeroTail(offset: offset))
                }
                let outcome = self.damage(
                    raw,
                    at: offset,
                    torn: self.looksTorn(raw, from: offset),
                    "zeroed frame header followed by data"
                )
                return (payloads, outcome)
            }
            let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<12]))
            guard header.loadLittleEndian(at: 12, as: UInt32.self) == headerCRC,
                header.loadLittleEndian(at: 0, as: UInt16.self) == Frame.magic
            else {
                let outcome = self.damage(
                    raw,
                    at: offset,
                    torn: self.looksTorn(raw, from: offset),
                    "frame header checksum mismatch"
                )
                return (payloads, outcome)
            }
            let length = Int(header.loadLittleEndian(at: 4, as: UInt32.self))
            guard let frameKind = Frame.Kind(rawValue: header.loadLittleEndian(at: 2, as: UInt16.self)),
                frameKind == self.kind, length >= Frame.payloadPrefixSize, length <= Frame.maximumPayloadSize
            else {
                return (payloads, .corrupted(offset: offset, reason: "frame header describes an impossible frame"))
            }
            let payloadStart = offset + Frame.headerSize
            guard length <= raw.count - payloadStart else {
                return (payloads, self.damage(raw, at: offset, torn: true, "frame runs past the end of the file"))
            }
            payloads.append(payloadStart..<payloadStart + length)
            offset = payloadStart + length
        }
        return (payloads, nil)
    }

    private struct ParseFailure: Error {
        var message: String
    }

    private func parse(
        _ payload: UnsafeRawBufferPointer,
        payloadStart: Int,
        expectedSeq: UInt64,
        apply: (Frame.Record) -> Void
    ) -> Swift.Result<(Int, UInt64), ParseFailure> {
        let firstSeq = payload.loadLittleEndian(at: 0, as: UInt64.self)
        let count = Int(payload.loadLittleEndian(at: 8, as: UInt32.self))
        if self.kind == .log && firstSeq != expectedSeq {
            return .failure(ParseFailure(message: "sequence gap: expected \(expectedSeq), found \(firstSeq)"))
        }
        var cursor = Frame.payloadPrefixSize
        var nextSeq = expectedSeq
        for index in 0..<count {
            guard payload.count - cursor >= Frame.recordOverhead else {
                return .failure(ParseFailure(message: "record \(index) is truncated"))
            }
            let operation = Frame.Operation(rawValue: payload[cursor])
            let keyLength = Int(payload.loadLittleEndian(at: cursor + 1, as: UInt16.self))
            let valueLength = Int(payload.loadLittleEndian(at: cursor + 3, as: UInt32.self))
            let seq = payload.loadLittleEndian(at: cursor + 7, as: UInt64.self)
            cursor += Frame.recordOverhead
            guard let operation, keyLength <= payload.count - cursor,
                valueLength <= payload.count - cursor - keyLength
            else {
                return .failure(ParseFailure(message: "record \(index) is malformed"))
            }
            let sequenceOK = self.kind == .log ? seq == nextSeq : seq >= nextSeq
            guard sequenceOK else {
                return .failure(ParseFailure(message: "sequence gap: expected \(nextSeq), found \(seq)"))
            }
            let key = String(
                decoding: UnsafeRawBufferPointer(rebasing: payload[cursor..<cursor + keyLength]),
                as: UTF8.self
            )
            let valueStart = payloadStart + cursor + keyLength
            apply(
                Frame.Record(
                    operation: operation,
                    seq: seq,
                    key: key,
                    value: .mapped(self.segment, valueStart..<valueStart + valueLength)
                )
            )
            cursor += keyLength + valueLength
            nextSeq = seq + 1
        }
        guard cursor == payload.count else {
            return .failure(ParseFailure(message: "frame has \(payload.count - cursor) bytes after its last record"))
        }
        return .success((count, nextSeq))
    }

    /// A torn outcome if the damage is at the active segment's tail and `torn` says a torn write
    /// explains it; corruption otherwise.
    private func damage(_ raw: UnsafeRawBufferPointer, at offset: Int, torn: Bool, _ reason: String) -> Outcome {
        torn && self.isActive ? .tornTail(offset: offset, reason: reason) : .corrupted(offset: offset, reason: reason)
    }

    /// Whether damage from `offset` to the end of the file is what a torn write leaves: no
    /// verifiable frame header follows (a torn frame is always the last one), and some sector of
    /// the damaged frame reads as zeros. Sectors are 512-byte units aligned in the file; the
    /// partial units at the frame's start and at the end of the file count too (the latter only
    /// from 8 bytes on, so that a value that merely ends in a zero byte is no evidence).
    private func looksTorn(_ raw: UnsafeRawBufferPointer, from offset: Int) -> Bool {
        guard !self.hasFrameHeader(raw, after: offset) else { return false }
        var unitStart = offset
        while unitStart < raw.count {
            let unitEnd = min((unitStart / Self.sectorSize + 1) * Self.sectorSize, raw.count)
            let isShortTail = unitEnd == raw.count && unitEnd - unitStart < 8 && unitStart != offset
            if !isShortTail && raw[unitStart..<unitEnd].allSatisfy({ $0 == 0 }) { return true }
            unitStart = unitEnd
        }
        return false
    }

    /// Whether a header with a valid checksum starts anywhere after `offset`.
    private func hasFrameHeader(_ raw: UnsafeRawBufferPointer, after offset: Int) -> Bool {
        var position = offset + 1
        let magicLow = UInt8(truncatingIfNeeded: Frame.magic)
        let magicHigh = UInt8(truncatingIfNeeded: Frame.magic >> 8)
        while position + Frame.headerSize <= raw.count {
            if raw[position] == magicLow && raw[position + 1] == magicHigh {
                let header = UnsafeRawBufferPointer(rebasing: raw[position..<position + Frame.headerSize])
                if header.loadLittleEndian(at: 12, as: UInt32.self)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<12]))
                {
                    return true
                }
            }
            position += 1
        }
        return false
    }
}

/// Verifies frame payload checksums on a thread of its own while the scanner parses.
private final class ParallelVerifier: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let firstBad = Mutex<Int?>(nil)

    init(_ segment: SegmentBytes, _ payloads: [Range<Int>]) {
        let thread = Thread { [self] in
            let raw = segment.buffer
            for (frame, payload) in payloads.enumerated() {
                let stored = raw.loadLittleEndian(at: payload.lowerBound - Frame.headerSize + 8, as: UInt32.self)
                if CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[payload])) != stored {
                    self.firstBad.withLock { $0 = frame }
                    break
                }
            }
            self.done.signal()
        }
        thread.name = "tenant-store-verify"
        thread.start()
    }

    /// Waits for the verification, then the index of the first frame with a bad payload.
    func firstBadFrame() -> Int? {
        self.done.wait()
        self.done.signal()
        return self.firstBad.withLock { $0 }
    }
}
