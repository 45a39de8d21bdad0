import NIOCore
import Synchronization

/// Counts a listener's open connections, pauses accepting at the cap, and finds them at shutdown.
///
/// At the cap the server channel stops reading (no `accept`), so new clients wait in the
/// kernel's backlog instead of being served badly; a connection that slips in during the race
/// is closed. Accepting resumes when a connection closes.
final class ConnectionTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var listeners: [any Channel] = []
        var paused = false
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let maxConnections: Int
    private let state = Mutex(State())

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Remembers a listener so accepting can be paused on it.
    func addListener(_ channel: any Channel) {
        self.state.withLock { $0.listeners.append(channel) }
    }

    /// Registers a new connection; `false` when it is over the cap and must be closed.
    func register(_ channel: any Channel) -> Bool {
        let (accepted, pause) = self.state.withLock { state -> (Bool, [any Channel]) in
            guard state.connections.count < self.maxConnections else { return (false, []) }
            state.connections[ObjectIdentifier(channel)] = channel
            if state.connections.count >= self.maxConnections, !state.paused {
                state.paused = true
                return (true, state.listeners)
            }
            return (true, [])
        }
        for listener in pause {
            listener.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        if accepted {
            channel.closeFuture.whenComplete { _ in self.unregister(channel) }
        }
        return accepted
    }

    /// The connections open now.
    var openConnections: [any Channel] {
        self.state.withLock { Array($0.connections.values) }
    }

    /// Returns when every connection has closed.
    func waitUntilAllClosed() async {
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Bool in
                if state.connections.isEmpty { return true }
                state.closedWaiters.append(continuation)
                return false
            }
            if done {
                continuation.resume()
            }
        }
    }

    private func unregister(_ channel: any Channel) {
        let (resume, waiters) = self.state.withLock { state -> ([any Channel], [CheckedContinuation<Void, Never>]) in
            state.connections[ObjectIdentifier(channel)] = nil
            var resume: [any Channel] = []
            if state.paused, state.connections.count < self.maxConnections {
                state.paused = false
                resume = state.listeners
            }
            guard state.connections.isEmpty else { return (resume, []) }
            defer { state.closedWaiters = [] }
            return (resume, state.closedWaiters)
        }
        for listener in resume where listener.isActive {
            listener.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
        for waiter in waiters {
            waiter.resume()
        }
    }
}
