import Foundation
import Synchronization
import TenantStore

/// Which tenant each recently seen host resolved to, readable without awaiting.
///
/// The page cache can answer a hit on the event loop, but the tenant lookup behind it goes
/// through the store, which is `async`. This directory bridges the two: ``StorefrontService``
/// records every tenant it reads from the store here, and the synchronous path uses an entry
/// only while it is younger than ``freshness``. After that the request takes the `async` path,
/// which reads the tenant again and refreshes the entry.
///
/// So a change to a tenant (content version, status, domains) reaches the synchronous path
/// within ``freshness`` at most; the `async` path always sees it at once. Hosts that resolve to
/// no tenant are never recorded, so hostile Host headers cannot grow the directory.
final class TenantDirectory: Sendable {
    /// What the synchronous path needs to know about a tenant.
    struct Entry: Sendable {
        var tenantID: UUID
        var contentVersion: UInt64
        var status: Tenant.Status
        var refreshedAt: ContinuousClock.Instant
    }

    /// How long an entry may be used without reading the tenant again.
    let freshness: Duration
    /// Past this many hosts the directory starts over, which costs only `async` lookups.
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(freshness: Duration, capacity: Int = 100_000) {
        self.freshness = freshness
        self.capacity = capacity
    }

    /// The entry for `host` if it is fresh enough to serve from.
    func freshEntry(for host: String, now: ContinuousClock.Instant = .now) -> Entry? {
        guard let entry = self.entries.withLock({ $0[host] }) else { return nil }
        return now - entry.refreshedAt < self.freshness ? entry : nil
    }

    /// Records what `host` resolved to just now.
    func record(_ tenant: Tenant, for host: String) {
        let entry = Entry(
            tenantID: tenant.id,
            contentVersion: tenant.contentVersion,
            status: tenant.status,
            refreshedAt: .now
        )
        self.entries.withLock { entries in
            if entries.count >= self.capacity, entries[host] == nil {
                entries.removeAll(keepingCapacity: true)
            }
            entries[host] = entry
        }
    }

    /// Forgets `host`, when it no longer resolves to a tenant.
    func forget(_ host: String) {
        _ = self.entries.withLock { $0.removeValue(forKey: host) }
    }
}
