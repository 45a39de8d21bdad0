import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The 256-bit key that ``SecretBox`` seals secrets at rest with (certificate private keys).
///
/// ```swift
/// let key = try SecretKey.load(dataDirectory: "/var/lib/edge")
/// let data = TenantData(store: store, secrets: SecretBox(key: key))
/// ```
///
/// ``load(dataDirectory:environment:)`` takes the key from ``environmentVariable`` when it is set,
/// and otherwise from ``fileName`` in the data directory, creating that file on first use.
///
/// - important: A key file beside the data protects against leaks of the store's files alone,
///   not of the whole directory or its backups. Keep the key elsewhere (a secret manager feeding
///   the environment variable) when backups leave the machine. Losing the key loses every secret
///   sealed with it.
public struct SecretKey: Sendable {
    /// Where a loaded key came from.
    public enum Origin: Sendable, Hashable {
        /// The ``SecretKey/environmentVariable`` environment variable.
        case environment
        /// An existing key file.
        case file(path: String)
        /// A key file this call created with a new random key.
        case createdFile(path: String)
        /// Passed to ``SecretKey/init(bytes:)`` or made by ``SecretKey/random()``.
        case provided
    }

    /// The environment variable holding the key as the base64 of 32 bytes, e.g. the output of
    /// `openssl rand -base64 32`.
    public static let environmentVariable = "EDGE_SECRET_KEY"
    /// The key file's name in the data directory: exactly 32 raw bytes, mode 0600.
    public static let fileName = "secret.key"
    /// The key length in bytes (AES-256).
    public static let byteCount = 32

    let symmetricKey: SymmetricKey
    /// Names the key inside sealed secrets; see ``fingerprint``.
    let identifier: [UInt8]

    /// Where this key came from.
    public let origin: Origin

    /// Uses `bytes` as the key.
    ///
    /// - Throws: ``TenantStoreError`` `.invalidArgument` unless `bytes` is ``byteCount`` long.
    public init(bytes: [UInt8]) throws {
        try self.init(bytes: bytes, origin: .provided)
    }

    private init(bytes: [UInt8], origin: Origin) throws {
        guard bytes.count == Self.byteCount else {
            throw TenantStoreError.invalidArgument("a secret key must be \(Self.byteCount) bytes, not \(bytes.count)")
        }
        self.init(symmetricKey: SymmetricKey(data: bytes), origin: origin)
    }

    private init(symmetricKey: SymmetricKey, origin: Origin) {
        self.symmetricKey = symmetricKey
        // A SHA-256 prefix of a 256-bit random key reveals nothing usable about the key, and lets
        // an error name the key that sealed a secret without showing it.
        self.identifier = symmetricKey.withUnsafeBytes { Array(SHA256.hash(data: $0).prefix(4)) }
        self.origin = origin
    }

    /// A new random key, e.g. for tests.
    public static func random() -> SecretKey {
        SecretKey(symmetricKey: SymmetricKey(size: .bits256), origin: .provided)
    }

    /// The key's 32 bytes, for deriving other keys (e.g. the instance's token-signing key).
    package var bytes: [UInt8] {
        self.symmetricKey.withUnsafeBytes { Array($0) }
    }

    /// Eight hex digits naming the key, safe to log: sealed secrets carry it, so an error can
    /// tell which key they need.
    public var fingerprint: String {
        Self.hex(self.identifier)
    }

    /// The key from the environment or the data directory's key file, created on first use.
    ///
    /// A new key file gets 32 random bytes and mode 0600 and is written durably: a temporary
    /// file is synced and then linked into place, which (unlike `rename`) never replaces a file,
    /// so two processes starting at once agree on one key; the directory is synced afterwards.
    ///
    /// - Parameters:
    ///   - dataDirectory: Where the key file lives; created if missing.
    ///   - environment: The process environment; only `environmentVariable` is read.
    ///   - fileName: The key file in `dataDirectory`; other keys of the instance use other names.
    ///   - environmentVariable: The variable that overrides the file.
    /// - Throws: ``TenantStoreError`` `.invalidArgument` when the environment variable is not the
    ///   base64 of 32 bytes, `.corrupted` when the key file is not 32 bytes long, `.ioError` when
    ///   the file cannot be read or created.
    public static func load(
        dataDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileName: String = Self.fileName,
        environmentVariable: String = Self.environmentVariable
    ) throws -> SecretKey {
        if let encoded = environment[environmentVariable] {
            return try Self.decode(environmentValue: encoded, variable: environmentVariable)
        }
        let path = joinPath(dataDirectory, fileName)
        if let bytes = try Self.readIfPresent(path) {
            return try Self.fromFile(bytes, path: path, origin: .file(path: path))
        }
        try POSIXStoreFileSystem().createDirectory(dataDirectory)
        let created = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        if try Self.createDurably(path, contents: created, in: dataDirectory) {
            return try SecretKey(bytes: created, origin: .createdFile(path: path))
        }
        // Another process created the file first; its key is the one to use.
        guard let bytes = try Self.readIfPresent(path) else {
            throw TenantStoreError(code: .ioError, message: "\(path) vanished while it was being created")
        }
        return try Self.fromFile(bytes, path: path, origin: .file(path: path))
    }

    private static func decode(environmentValue: String, variable: String) throws -> SecretKey {
        let trimmed = environmentValue.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed) else {
            throw TenantStoreError.invalidArgument(
                "\(variable) is not base64; set it to the base64 of \(Self.byteCount) random bytes "
                    + "(openssl rand -base64 32)"
            )
        }
        guard data.count == Self.byteCount else {
            throw TenantStoreError.invalidArgument(
                "\(variable) decodes to \(data.count) bytes; it must be the base64 of "
                    + "\(Self.byteCount) random bytes (openssl rand -base64 32)"
            )
        }
        return try SecretKey(bytes: Array(data), origin: .environment)
    }

    private static func fromFile(_ bytes: [UInt8], path: String, origin: Origin) throws -> SecretKey {
        guard bytes.count == Self.byteCount else {
            throw TenantStoreError(
                code: .corrupted,
                message: "\(path) holds \(bytes.count) bytes; a secret key file holds exactly \(Self.byteCount)"
            )
        }
        return try SecretKey(bytes: bytes, origin: origin)
    }

    /// The file's bytes, or `nil` when it does not exist.
    private static func readIfPresent(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw POSIXStoreFileSystem.error("open", path: path)
        }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXStoreFileSystem.error("read", path: path)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            // A key file is tiny; refuse to slurp whatever else was put at this path.
            guard bytes.count <= 4096 else { return bytes }
        }
    }

    /// Creates `path` with `contents` and mode 0600 unless it exists.
    ///
    /// - Returns: `false` when the file already existed (it is left as it was).
    private static func createDurably(_ path: String, contents: [UInt8], in directory: String) throws -> Bool {
        // The store's recovery removes leftover `*.tmp` files, so a crash here leaves no litter.
        let temporary = "\(path).\(UUID().uuidString.lowercased()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXStoreFileSystem.error("open", path: temporary) }
        defer { _ = unlink(temporary) }
        do {
            defer { _ = close(fd) }
            var written = 0
            while written < contents.count {
                let count = contents[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw POSIXStoreFileSystem.error("write", path: temporary)
                }
                written += count
            }
            guard fsync(fd) == 0 else { throw POSIXStoreFileSystem.error("fsync", path: temporary) }
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw POSIXStoreFileSystem.error("link", path: "\(temporary) → \(path)")
        }
        try POSIXStoreFileSystem().syncDirectory(directory)
        return true
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
