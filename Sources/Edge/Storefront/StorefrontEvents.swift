import Foundation
import Synchronization
import TenantStore

/// What the storefront announces to the rest of the edge: for now, orders, announced by whatever
/// the admin plane commits together with the order (its webhook deliveries).
///
/// The storefront cannot know the admin plane (which is built over it), so the admin API
/// subscribes after both exist. One subscriber at a time; a later one replaces the earlier.
final class StorefrontEvents: Sendable {
    /// Runs an order's placement so that its announcement commits with it; returns the order.
    typealias OrderAnnouncer = @Sendable (_ tenant: UUID, _ place: () async throws -> Order) async throws -> Order

    private let orderAnnouncer = Mutex<OrderAnnouncer?>(nil)

    func announceOrders(with announcer: @escaping OrderAnnouncer) {
        self.orderAnnouncer.withLock { $0 = announcer }
    }

    /// Places an order through the subscriber, or directly when there is none. An idempotent
    /// replay places nothing, so it is not announced again.
    func placing(tenant: UUID, _ place: () async throws -> Order) async throws -> Order {
        guard let announcer = self.orderAnnouncer.withLock({ $0 }) else { return try await place() }
        return try await announcer(tenant, place)
    }
}
