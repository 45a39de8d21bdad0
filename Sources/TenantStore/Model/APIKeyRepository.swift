import Crypto
public import Foundation

/// Issues, lists, revokes and checks the API keys tenants' programs send as `X-API-Key`.
///
/// A key is `sfe_` + 8 random characters (the display prefix) + `_` + 256 random bits, in
/// lowercase base32. Only the SHA-256 digest of the whole key is stored, under a global index
/// (`idx/apikey/<digest>`) so a presented key is found with one lookup; a leaked store therefore
/// leaks no usable key. Because the keys are long and random, a fast unsalted hash is enough.
public struct APIKeyRepository: Sendable {
    /// The most keys (live or revoked) one tenant may hold.
    public static let maximumKeysPerTenant = 50

    private static let scheme = "sfe_"
    private static let prefixLength = 8
    private static let secretByteCount = 32
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    private static let lastUsedResolution: TimeInterval = 60

    let records: RecordStore

    /// Creates a key for `tenant`; the returned plaintext is the only copy.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` for a bad name or too many keys,
    ///   `.notFound` for an absent or deleted tenant.
    public func create(name: String, tenant: UUID) async throws -> CreatedAPIKey {
        var problems = ProblemList()
        problems.check(name, .text(maxLength: 100), at: .root.appending("name"))
        try problems.throwIfAny("API key is invalid")

        let prefix = Self.scheme + Self.base32(Self.randomBytes(5))
        let plaintext = prefix + "_" + Self.base32(Self.randomBytes(Self.secretByteCount))
        let digest = Self.digest(of: plaintext)
        let key = APIKey(id: RecordID(), tenantId: tenant, name: name, prefix: prefix, createdAt: Date())
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let existing = try await self.records.entries(prefix: StoreKey.apiKeys(of: tenant))
            guard existing.count < Self.maximumKeysPerTenant else {
                throw TenantStoreError.validationFailed(
                    "a tenant may hold at most \(Self.maximumKeysPerTenant) API keys; delete revoked ones first",
                    pointer: ""
                )
            }
            try mutation.put(self.recordKey(key.id, tenant: tenant), StoredAPIKey(key: key, sha256: digest))
            try mutation.claim(
                StoreKey.apiKeyHash(digest),
                IndexEntry(tenantId: tenant, keyId: key.id),
                takenMessage: "API key digest collision; create the key again"
            )
        }
        return CreatedAPIKey(key: key, plaintext: plaintext)
    }

    /// The tenant's keys, oldest first.
    public func list(tenant: UUID) async throws -> [APIKey] {
        _ = try await self.records.liveTenant(tenant)
        return try await self.records.all(StoredAPIKey.self, prefix: StoreKey.apiKeys(of: tenant)).map(\.value.key)
    }

    /// Revokes a key: it stops authenticating at once and stays listed as revoked.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when the tenant has no such key.
    @discardableResult
    public func revoke(_ id: RecordID, tenant: UUID) async throws -> APIKey {
        let recordKey = self.recordKey(id, tenant: tenant)
        return try await self.records.mutateTenant(tenant) { mutation in
            guard var stored = try await self.records.read(StoredAPIKey.self, at: recordKey) else {
                throw TenantStoreError.notFound("API key \(id) not found")
            }
            guard stored.value.key.revokedAt == nil else { return stored.value.key }
            stored.value.key.revokedAt = Date()
            // A concurrent last-used update must not undo the revocation, so the write is pinned
            // to the version just read.
            mutation.require(recordKey, .version(stored.version))
            try mutation.put(recordKey, stored.value)
            return stored.value.key
        }.result
    }

    /// The tenant and key that `key` identifies, or `nil` when it is malformed, unknown, revoked
    /// or belongs to a deleted tenant. A suspended tenant's keys still authenticate, so its admins
    /// can manage it; deciding what a suspended tenant may do is the caller's business.
    public func authenticate(key: String) async throws -> AuthenticatedAPIKey? {
        guard Self.isWellFormed(key) else { return nil }
        let digest = Self.digest(of: key)
        guard let entry = try await self.records.read(IndexEntry.self, at: StoreKey.apiKeyHash(digest)),
            let keyID = entry.value.keyId
        else {
            return nil
        }
        let tenantID = entry.value.tenantId
        let recordKey = self.recordKey(keyID, tenant: tenantID)
        guard var stored = try await self.records.read(StoredAPIKey.self, at: recordKey),
            Self.constantTimeEquals(stored.value.sha256, digest), stored.value.key.revokedAt == nil,
            let tenant = try await self.records.read(Tenant.self, at: StoreKey.tenant(tenantID)),
            tenant.value.status != .deleted
        else {
            return nil
        }
        let now = Date()
        if stored.value.key.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUsedResolution }) ?? true {
            stored.value.key.lastUsedAt = now
            var batch = WriteBatch()
            batch.require(recordKey, .version(stored.version))
            batch.put(recordKey, try RecordCodec.encode(stored.value))
            do {
                try await self.records.store.batch(batch)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                // Someone else updated or revoked the key meanwhile; their write wins and the
                // timestamp is only advisory.
            }
        }
        return AuthenticatedAPIKey(tenant: tenant.value, key: stored.value.key)
    }

    private func recordKey(_ id: RecordID, tenant: UUID) -> String {
        StoreKey.apiKeys(of: tenant) + id.description
    }

    static func digest(of key: String) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in SHA256.hash(data: Array(key.utf8)) {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static func isWellFormed(_ key: String) -> Bool {
        let secretLength = (Self.secretByteCount * 8 + 4) / 5
        let bytes = Array(key.utf8)
        let head = Self.scheme.utf8.count + Self.prefixLength
        return bytes.count == head + 1 + secretLength && key.hasPrefix(Self.scheme)
            && bytes[head] == UInt8(ascii: "_")
            && bytes[Self.scheme.utf8.count..<head].allSatisfy(Self.alphabet.contains)
            && bytes[(head + 1)...].allSatisfy(Self.alphabet.contains)
    }

    /// Compares every byte whatever the first difference, so response timing reveals nothing
    /// about how much of a guessed digest was right.
    private static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in generator.next() }
    }

    /// RFC 4648 base32, lowercase and unpadded.
    private static func base32(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(Self.alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 {
            output.append(Self.alphabet[Int((buffer << UInt32(5 - bits)) & 31)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
