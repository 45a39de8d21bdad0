import Foundation
import Testing

@testable import TenantStore

extension ModelTests {
    @Suite struct RecordStoreDecodedTests {
        struct Note: Codable, Sendable, Equatable {
            var text: String
        }

        @Test func aReadAfterAWriteSeesTheWriteNotTheRememberedValue() async throws {
            try await withTenantData { _, store in
                let records = RecordStore(store: store)
                let first = try await store.put("notes/1", RecordCodec.encode(Note(text: "first")))
                let read = try #require(try await records.read(Note.self, at: "notes/1"))
                #expect(read.value == Note(text: "first"))
                #expect(read.version == first)
                #expect(try await records.read(Note.self, at: "notes/1")?.value == Note(text: "first"))

                let second = try await store.put("notes/1", RecordCodec.encode(Note(text: "second")))
                let reread = try #require(try await records.read(Note.self, at: "notes/1"))
                #expect(reread.value == Note(text: "second"))
                #expect(reread.version == second)

                try await store.delete("notes/1")
                #expect(try await records.read(Note.self, at: "notes/1") == nil)
                _ = try await store.put("notes/1", RecordCodec.encode(Note(text: "third")))
                #expect(try await records.read(Note.self, at: "notes/1")?.value == Note(text: "third"))
            }
        }

        @Test func aBatchTellsTheVersionItLeftOnEachKey() async throws {
            try await withTenantData { _, store in
                _ = try await store.put("c", [1])
                var batch = WriteBatch()
                batch.put("a", [1])
                batch.put("b", [2])
                batch.delete("c")
                batch.put("a", [3])
                batch.put("d", [4])
                batch.delete("d")
                let sequence = try await store.batch(batch)
                for key in ["a", "b", "c", "d", "e"] {
                    #expect(batch.stored(key, committedAt: sequence) == (try await store.get(key)), "\(key)")
                }
                #expect(batch.stored("a", committedAt: sequence)?.bytes == [3])
            }
        }

        @Test func theTenantAChangeRemembersIsTheOneStored() async throws {
            try await withTenantData { data, store in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                _ = try await data.tenants.update(
                    id,
                    TenantUpdate(companyName: "Acme Optics", customDomains: ["shop.acme.test"])
                )
                try await data.configuration.set(.branding, to: ["companyName": "Acme"], tenant: id)
                _ = try await data.tenants.suspend(id)
                let remembered = try await data.tenants.tenant(id)
                let decoded = try await TenantData(store: store).tenants.tenant(id)
                #expect(remembered == decoded)
                #expect(remembered.status == .suspended)
                #expect(remembered.companyName == "Acme Optics")
            }
        }

        @Test func theSectionsAChangeRemembersAreTheOnesStored() async throws {
            try await withTenantData { data, store in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let sections: [(ConfigurationKey, JSONValue)] = [
                    (.branding, ["companyName": "Acme \"Optics\" ü", "colors": ["primary": "#123456"]]),
                    (
                        .commerce,
                        [
                            "paymentMethods": ["card", "invoice"],
                            "shipping": ["flatRate": 4.35, "currency": "EUR"],
                        ]
                    ),
                    (.features, ["vto": true, "analytics": false]),
                ]
                for (key, section) in sections {
                    try await data.configuration.set(key, to: section, tenant: id)
                }
                let records = data.configuration.records
                for key in [StoreKey.tenant(id)] + sections.map({ StoreKey.configuration(of: id) + $0.0.rawValue }) {
                    let stored = try #require(try await store.get(key))
                    let fresh = try RecordCodec.decode(JSONValue.self, from: stored.bytes, key: key)
                    let tenant = records.decoded.value(Tenant.self, at: key, version: stored.version)
                    let remembered = try tenant.map { try JSONValue(encoding: $0) }
                    let section = records.decoded.value(JSONValue.self, at: key, version: stored.version)
                    #expect((remembered ?? section) == fresh, "\(key)")
                }
            }
        }

        @Test func anEntryAnswersOnlyItsKeyVersionAndType() {
            let decoded = RecordStore.DecodedRecords()
            decoded.remember(Note(text: "kept"), at: "notes/1", version: 7, byteCount: 20)
            #expect(decoded.value(Note.self, at: "notes/1", version: 7) == Note(text: "kept"))
            #expect(decoded.value(Note.self, at: "notes/1", version: 8) == nil)
            #expect(decoded.value(Note.self, at: "notes/2", version: 7) == nil)
            #expect(decoded.value(String.self, at: "notes/1", version: 7) == nil)
        }

        @Test func theCacheStaysWithinItsBudget() {
            let decoded = RecordStore.DecodedRecords()
            let largest = RecordStore.DecodedRecords.largestRecord
            decoded.remember(Note(text: "large"), at: "notes/large", version: 1, byteCount: largest + 1)
            #expect(decoded.value(Note.self, at: "notes/large", version: 1) == nil)
            #expect(decoded.cost == 0)

            decoded.remember(Note(text: "replaced"), at: "notes/same", version: 1, byteCount: 1000)
            let one = decoded.cost
            decoded.remember(Note(text: "replacing"), at: "notes/same", version: 2, byteCount: 1000)
            #expect(decoded.cost == one)

            var index = 0
            while decoded.cost + largest <= RecordStore.DecodedRecords.budget {
                decoded.remember(Note(text: "\(index)"), at: "notes/\(index)", version: 1, byteCount: largest)
                index += 1
            }
            #expect(decoded.value(Note.self, at: "notes/0", version: 1) == Note(text: "0"))
            decoded.remember(Note(text: "one more"), at: "notes/more", version: 1, byteCount: largest)
            #expect(decoded.cost <= RecordStore.DecodedRecords.budget)
            #expect(decoded.value(Note.self, at: "notes/more", version: 1) == Note(text: "one more"))
            #expect(decoded.value(Note.self, at: "notes/0", version: 1) == nil)
        }
    }
}

@Suite struct UUIDKeyComponentTests {
    @Test func isTheLowercaseUUIDString() {
        for uuid in [UUID(), UUID(), UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))]
            + [
                UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")!,
                UUID(uuidString: "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9")!,
            ]
        {
            #expect(uuid.keyComponent == uuid.uuidString.lowercased())
        }
    }
}
