import Foundation
import NIOConcurrencyHelpers

/// Recently read tickets, so that repeated reads skip SQLite's parse, thread hop and decode.
/// Used on SQLite only, where this process is the only writer: every local write invalidates the
/// ticket at once (people, organization and group changes invalidate everything, as rows carry
/// their names), a read that raced a write is never stored (generation check), and entries live
/// at most `ttl`, which bounds what an out-of-process writer could leave stale.
final class TicketReadCache: Sendable {
    private struct State {
        var entries: [Int: (row: TicketQueries.Row, storedAt: Date)] = [:]
        var generation: UInt64 = 0
    }

    private let box = NIOLockedValueBox(State())
    let enabled: Bool
    let ttl: TimeInterval
    let capacity: Int

    init(enabled: Bool, ttl: TimeInterval = 1, capacity: Int = 10_000) {
        self.enabled = enabled
        self.ttl = ttl
        self.capacity = capacity
    }

    func get(_ number: Int, now: Date = Date()) -> TicketQueries.Row? {
        guard enabled else { return nil }
        return box.withLockedValue { state in
            guard let entry = state.entries[number] else { return nil }
            guard now.timeIntervalSince(entry.storedAt) <= ttl else {
                state.entries[number] = nil
                return nil
            }
            return entry.row
        }
    }

    /// Take before reading from the database; pass to `store`.
    func generation() -> UInt64 { box.withLockedValue { $0.generation } }

    func store(_ row: TicketQueries.Row, readAt generation: UInt64, now: Date = Date()) {
        guard enabled else { return }
        box.withLockedValue { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[row.number] = (row, now)
        }
    }

    func invalidate(_ numbers: [Int]) {
        guard enabled else { return }
        box.withLockedValue { state in
            state.generation &+= 1
            for number in numbers { state.entries[number] = nil }
        }
    }

    func invalidateAll() {
        guard enabled else { return }
        box.withLockedValue { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
