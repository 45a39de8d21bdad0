import Foundation
import Synchronization
import TenantStore

/// Which tenant each recently seen host resolved to, readable without awaiting.
///
/// The page cache can answer a hit on the event loop, but the tenant lookup behind it goes
/// through the store, which is `async`. This directory bridges the two: ``StorefrontService``
/// records every tenant lookup it makes here, and the synchronous path uses an entry only while
/// the store keys the lookup read still have the versions it saw (``HostLookup/isCurrent(in:)``,
/// two lookups under the store's read lock). Otherwise the request takes the `async` path,
/// which reads the tenant again and refreshes the entry.
///
/// So a change to a tenant (content version, status, domains) reaches the synchronous path
/// with the commit that makes it. An earlier version trusted an entry for 250 ms instead:
/// with 1,000 tenants rotating, one request in eight then took the `async` path to read a
/// tenant that had not changed, and with 10,000 nearly every request did. Hosts that resolve to
/// no tenant are never recorded, so hostile Host headers cannot grow the directory.
final class TenantDirectory: Sendable {
    /// Where lookups are checked for changes.
    let store: any KeyValueStore
    /// Past this many hosts the directory starts over, which costs only `async` lookups.
    let capacity: Int
    /// Lookups that found a tenant, by host.
    private let lookups = Mutex<[String: HostLookup]>([:])

    init(store: any KeyValueStore, capacity: Int = 100_000) {
        self.store = store
        self.capacity = capacity
    }

    /// The tenant `host` resolved to, if nothing its lookup read has changed since.
    func currentTenant(for host: String) -> HostLookup.Serving? {
        guard let lookup = self.lookups.withLock({ $0[host] }), lookup.isCurrent(in: self.store) else { return nil }
        return lookup.serving
    }

    /// Records what `host` resolved to; a lookup that found no tenant is not kept.
    func record(_ lookup: HostLookup, for host: String) {
        guard lookup.tenant != nil else { return }
        self.lookups.withLock { lookups in
            if lookups.count >= self.capacity, lookups[host] == nil {
                lookups.removeAll(keepingCapacity: true)
            }
            lookups[host] = lookup
        }
    }

    /// Forgets `host`, when it no longer resolves to a tenant.
    func forget(_ host: String) {
        _ = self.lookups.withLock { $0.removeValue(forKey: host) }
    }
}
