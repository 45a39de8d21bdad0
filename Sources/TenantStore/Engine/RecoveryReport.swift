/// What opening a data directory found and did.
public struct RecoveryReport: Sendable, Hashable {
    /// One verified segment.
    public struct Segment: Sendable, Hashable {
        /// The file name.
        public var name: String
        /// `log` or `snapshot`.
        public var kind: String
        /// Bytes of verified frames.
        public var bytes: Int
        /// Verified frames.
        public var frames: Int
        /// Records in those frames.
        public var records: Int
    }

    /// Damage at a position in a file.
    public struct Damage: Sendable, Hashable, CustomStringConvertible {
        /// The file's name in the data directory.
        public var file: String
        /// Where the damage starts.
        public var offset: Int
        /// How many bytes from there on were affected.
        public var length: Int
        /// What is wrong.
        public var reason: String
        /// Where the damaged bytes were saved, when they were moved aside.
        public var savedAs: String?

        public var description: String {
            "\(self.file) at offset \(self.offset) (\(self.length) bytes): \(self.reason)"
                + (self.savedAs.map { ", saved as \($0)" } ?? "")
        }
    }

    /// The segments, in order.
    public var segments: [Segment] = []
    /// A torn tail found at the end of the active segment (cut off unless opened read-only).
    public var tornTail: Damage?
    /// Corruption found (only when opened read-only or in repair mode; otherwise open throws).
    public var corruption: Damage?
    /// Files removed because the manifest did not list them (leftovers of an interrupted step).
    public var removedFiles: [String] = []
    /// Live keys after recovery.
    public var keys: Int = 0
    /// The last sequence number recovered.
    public var lastSeq: UInt64 = 0
}
