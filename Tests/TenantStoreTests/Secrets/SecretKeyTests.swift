import Foundation
import TenantStore
import Testing

@Suite struct SecretKeyTests {
    func withDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        return try body(directory.path)
    }

    func error(_ body: () throws -> Void) -> TenantStoreError? {
        do {
            try body()
            return nil
        } catch {
            return error as? TenantStoreError
        }
    }

    @Test func theEnvironmentWinsOverTheFile() throws {
        try withDirectory { directory in
            let bytes = (0..<32).map { UInt8($0) }
            let environment = [SecretKey.environmentVariable: Data(bytes).base64EncodedString() + "\n"]

            let key = try SecretKey.load(dataDirectory: directory, environment: environment)

            #expect(key.origin == .environment)
            #expect(key.fingerprint == (try SecretKey(bytes: bytes)).fingerprint)
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + SecretKey.fileName))
        }
    }

    @Test func theFileIsCreatedOnceWithOwnerOnlyPermissions() throws {
        try withDirectory { directory in
            let path = directory + "/" + SecretKey.fileName

            let created = try SecretKey.load(dataDirectory: directory, environment: [:])

            #expect(created.origin == .createdFile(path: path))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect((attributes[.size] as? NSNumber)?.intValue == SecretKey.byteCount)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [SecretKey.fileName])

            let reloaded = try SecretKey.load(dataDirectory: directory, environment: [:])
            #expect(reloaded.origin == .file(path: path))
            #expect(reloaded.fingerprint == created.fingerprint)
        }
    }

    @Test func aBadEnvironmentValueIsAClearError() throws {
        try withDirectory { directory in
            for value in [
                "", "not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString(),
            ] {
                let failure = error {
                    _ = try SecretKey.load(
                        dataDirectory: directory,
                        environment: [SecretKey.environmentVariable: value]
                    )
                }
                #expect(failure?.code == .invalidArgument, "\(value)")
                #expect(failure?.message.contains(SecretKey.environmentVariable) == true, "\(value)")
            }
            // A bad value is never silently replaced by a key file.
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + SecretKey.fileName))
        }
    }

    @Test func aKeyFileOfTheWrongLengthIsRefused() throws {
        try withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: directory + "/" + SecretKey.fileName, contents: Data(count: 31))

            let failure = error { _ = try SecretKey.load(dataDirectory: directory, environment: [:]) }

            #expect(failure?.code == .corrupted)
            #expect(failure?.message.contains("31 bytes") == true)
        }
    }

    @Test func aKeyMustBe32Bytes() {
        #expect(error { _ = try SecretKey(bytes: [1, 2, 3]) }?.code == .invalidArgument)
        #expect(SecretKey.random().fingerprint != SecretKey.random().fingerprint)
    }
}

@Suite struct SecretBoxTests {
    let context = "certificate key of shop.example.com"

    func code(_ body: () throws -> Void) -> TenantStoreError.Code? {
        do {
            try body()
            return nil
        } catch {
            return (error as? TenantStoreError)?.code
        }
    }

    @Test func sealsAndOpens() throws {
        let box = SecretBox(key: .random())
        let plaintext = Array("-----BEGIN PRIVATE KEY-----".utf8)

        let sealed = try box.seal(plaintext, context: self.context)

        #expect(sealed.first == 1)
        #expect(sealed.count == 1 + 4 + 12 + plaintext.count + 16)
        #expect(try box.open(sealed, context: self.context) == plaintext)
        // A fresh nonce every time: equal secrets do not look equal at rest.
        #expect(try box.seal(plaintext, context: self.context) != sealed)
    }

    @Test func refusesAnotherKeyAnotherContextAndAlteredBytes() throws {
        let key = SecretKey.random()
        let other = SecretKey.random()
        let sealed = try SecretBox(key: key).seal(Array("secret".utf8), context: self.context)
        let box = SecretBox(key: key)

        #expect(code { _ = try SecretBox(key: other).open(sealed, context: self.context) } == .decryptionFailed)
        #expect(code { _ = try box.open(sealed, context: "certificate key of other.example.com") } == .decryptionFailed)
        for index in [1, 5, 17, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(code { _ = try box.open(altered, context: self.context) } == .decryptionFailed, "byte \(index)")
        }
        #expect(code { _ = try box.open(Array(sealed.prefix(20)), context: self.context) } == .decryptionFailed)
        var future = sealed
        future[0] = 2
        #expect(code { _ = try box.open(future, context: self.context) } == .unsupportedVersion)
    }
}
