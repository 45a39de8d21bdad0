import Crypto

/// Seals secrets before they are stored and opens them after they are read: AES-256-GCM under
/// one ``SecretKey``.
///
/// A sealed secret is `format (1 byte) ‖ key fingerprint (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
/// The format byte lets a later build change the layout, and the fingerprint names the key that
/// sealed it, so rotating keys later means trying the key with that fingerprint, and a wrong key
/// is reported as such instead of as an opaque authentication failure. Both header fields and a
/// caller-chosen context (which record the secret belongs to) are authenticated, so a sealed
/// secret copied into another record does not open there.
///
/// Thread safety: a value type without mutable state; share it freely.
public struct SecretBox: Sendable {
    static let format: UInt8 = 1
    private static let headerCount = 5
    private static let nonceCount = 12
    private static let tagCount = 16

    private let key: SecretKey

    /// A box that seals with `key` and opens what `key` sealed.
    public init(key: SecretKey) {
        self.key = key
    }

    /// `plaintext` encrypted and authenticated together with `context`.
    package func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let header = [Self.format] + self.key.identifier
        do {
            let sealed = try AES.GCM.seal(
                plaintext,
                using: self.key.symmetricKey,
                authenticating: header + Array(context.utf8)
            )
            // `combined` is nonce ‖ ciphertext ‖ tag; it is only nil for nonces of another size.
            guard let combined = sealed.combined else {
                throw TenantStoreError.invalidArgument("AES-GCM produced no combined representation")
            }
            return header + Array(combined)
        } catch let error as TenantStoreError {
            throw error
        } catch {
            throw TenantStoreError.invalidArgument("a secret could not be sealed: \(error)")
        }
    }

    /// The plaintext of a secret ``seal(_:context:)`` produced for the same `context`.
    ///
    /// - Throws: ``TenantStoreError`` `.decryptionFailed` when another key sealed it or it was
    ///   altered (or belongs to another context), `.unsupportedVersion` for an unknown format.
    package func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        guard sealed.count >= Self.headerCount + Self.nonceCount + Self.tagCount else {
            throw TenantStoreError(code: .decryptionFailed, message: "the sealed \(context) is truncated")
        }
        guard sealed[0] == Self.format else {
            throw TenantStoreError(
                code: .unsupportedVersion,
                message: "the sealed \(context) has format \(sealed[0]); this build reads \(Self.format)"
            )
        }
        let identifier = Array(sealed[1..<Self.headerCount])
        guard identifier == self.key.identifier else {
            throw TenantStoreError(
                code: .decryptionFailed,
                message: "the \(context) was sealed with key \(SecretKey.hex(identifier)), "
                    + "but the configured key is \(self.key.fingerprint); configure the key it was sealed with"
            )
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed[Self.headerCount...])
            return Array(
                try AES.GCM.open(
                    box,
                    using: self.key.symmetricKey,
                    authenticating: Array(sealed[..<Self.headerCount]) + Array(context.utf8)
                )
            )
        } catch {
            throw TenantStoreError(
                code: .decryptionFailed,
                message: "the \(context) does not authenticate under key \(self.key.fingerprint): "
                    + "it was altered or sealed for another record",
                cause: error
            )
        }
    }
}
