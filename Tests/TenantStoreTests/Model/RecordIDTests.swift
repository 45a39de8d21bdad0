import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct RecordIDTests {
        @Test func identifiersIncreaseEvenWithinOneMillisecond() {
            let ids = (0..<2000).map { _ in RecordID() }
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == ids.count)
            #expect(ids.map(\.description) == ids.map(\.description).sorted())
        }

        @Test func textFormRoundTrips() throws {
            let id = RecordID()
            #expect(id.description.count == 26)
            #expect(RecordID(id.description) == id)
            let decoded = try JSONDecoder().decode(RecordID.self, from: JSONEncoder().encode(id))
            #expect(decoded == id)
            #expect(abs(id.timestamp.timeIntervalSinceNow) < 5)
        }

        @Test(arguments: [
            "", "short", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "0000000000000000000000000u", "01arz3ndektsv4rrffq69g5fav!",
        ])
        func rejectsMalformedText(_ text: String) {
            #expect(RecordID(text) == nil)
        }
    }
}
