import Foundation
import Synchronization
import TenantStore

/// What the storefront announces to the rest of the edge: for now, orders once they are stored.
///
/// The storefront cannot know the admin plane (which is built over it), so the admin API
/// subscribes after both exist. One subscriber at a time; a later one replaces the earlier.
final class StorefrontEvents: Sendable {
    /// Something that happened on a tenant's storefront.
    enum Event: Sendable {
        /// A shopper's order was stored (announced once, not again for an idempotent replay).
        case orderCreated(Order, tenant: UUID)
    }

    private let subscriber = Mutex<(@Sendable (Event) async -> Void)?>(nil)

    func subscribe(_ handler: @escaping @Sendable (Event) async -> Void) {
        self.subscriber.withLock { $0 = handler }
    }

    /// Hands `event` to the subscriber and returns once it has taken it.
    func publish(_ event: Event) async {
        guard let handler = self.subscriber.withLock({ $0 }) else { return }
        await handler(event)
    }
}
