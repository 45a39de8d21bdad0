package import TenantStore

/// The writes of the SIGKILL crash test, as a pure function of (writer, operation number), so
/// that the parent can compute what the store must hold after any prefix of them.
///
/// Writer `w`'s operation `n` is one atomic batch: a put or delete of one of a few keys of its
/// own, sometimes two more puts, and always `progress/w<w>` = `n`. Each writer waits for its
/// previous batch to be acknowledged before sending the next, so after a crash each writer's
/// effects must be exactly operations 1…k with k = its last acknowledged number or one more.
package enum CrashSchedule {
    package static let keysPerWriter = 40

    package static func progressKey(writer: Int) -> String { "progress/w\(writer)" }

    package static func batch(writer: Int, operation: Int) -> WriteBatch {
        var batch = WriteBatch()
        var random = SplitMix64(seed: UInt64(writer) << 32 | UInt64(operation))
        let key = "data/w\(writer)/k\(Int(random.next() % UInt64(Self.keysPerWriter)))"
        if random.next() % 8 == 0 {
            batch.delete(key)
        } else {
            batch.put(key, Self.value(writer: writer, operation: operation, size: Int(random.next() % 3000) + 1))
        }
        if random.next() % 4 == 0 {
            for extra in 0..<2 {
                let other = "data/w\(writer)/k\(Int(random.next() % UInt64(Self.keysPerWriter)))"
                batch.put(other, Self.value(writer: writer, operation: operation * 10 + extra, size: 64))
            }
        }
        batch.put(Self.progressKey(writer: writer), Array(String(operation).utf8))
        return batch
    }

    package static func apply(_ batch: WriteBatch, to state: inout [String: [UInt8]]) {
        for operation in batch.operations {
            switch operation {
            case .put(let key, let value): state[key] = value
            case .delete(let key): state[key] = nil
            }
        }
    }

    private static func value(writer: Int, operation: Int, size: Int) -> [UInt8] {
        let stamp = Array("{\"w\":\(writer),\"op\":\(operation),\"pad\":\"".utf8)
        var bytes = stamp
        var random = SplitMix64(seed: UInt64(operation) &* 31 &+ UInt64(writer))
        while bytes.count < size { bytes.append(UInt8(ascii: "a") + UInt8(random.next() % 26)) }
        return bytes + Array("\"}".utf8)
    }
}

/// What the crash schedule's writers must have left, advanced incrementally so that checking
/// cycle after cycle costs only the operations written since the last check.
package struct CrashModel {
    private var counts: [Int]
    private var states: [[String: [UInt8]]]

    package init(writers: Int) {
        self.counts = Array(repeating: 0, count: writers)
        self.states = Array(repeating: [:], count: writers)
    }

    /// The data keys and values writer `w` leaves after its operations `1...count`; `count`
    /// never goes below a count asked for before.
    package mutating func state(writer: Int, through count: Int) -> [String: [UInt8]] {
        precondition(count >= self.counts[writer], "the model only moves forward")
        while self.counts[writer] < count {
            self.counts[writer] += 1
            CrashSchedule.apply(
                CrashSchedule.batch(writer: writer, operation: self.counts[writer]),
                to: &self.states[writer]
            )
        }
        var state = self.states[writer]
        state[CrashSchedule.progressKey(writer: writer)] = nil
        return state
    }
}

extension CrashSchedule {
    /// Why a recovered store is not an exact prefix of the schedule.
    package struct Violation: Error, CustomStringConvertible {
        package var description: String
    }

    /// Checks that each writer's data in `store` is exactly its operations `1...k`, where `k` is
    /// at least its count acknowledged before the crash and at most `atMost` (by default one
    /// more: the batch in flight). Returns each writer's recovered `k`.
    package static func verify(
        _ store: any KeyValueStore,
        model: inout CrashModel,
        acknowledged: [Int],
        atMost: [Int]? = nil
    ) async throws -> [Int] {
        var recovered: [Int] = []
        for writer in acknowledged.indices {
            let progress = try await store.get(Self.progressKey(writer: writer))
            let count = progress.flatMap { Int(String(decoding: $0.bytes, as: UTF8.self)) } ?? 0
            guard count >= acknowledged[writer], count <= (atMost?[writer] ?? acknowledged[writer] + 1) else {
                throw Violation(
                    description:
                        "writer \(writer): store holds \(count) operations, \(acknowledged[writer]) were acknowledged"
                )
            }
            var actual: [String: [UInt8]] = [:]
            var cursor: String?
            repeat {
                let page = try await store.scan(prefix: "data/w\(writer)/", after: cursor, limit: 256)
                for entry in page.entries { actual[entry.key] = entry.value.bytes }
                cursor = page.nextCursor
            } while cursor != nil
            let expected = model.state(writer: writer, through: count)
            guard actual == expected else {
                let wrong = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }.sorted()
                throw Violation(
                    description: "writer \(writer): state after \(count) operations differs at \(wrong.prefix(5))"
                )
            }
            recovered.append(count)
        }
        return recovered
    }
}
