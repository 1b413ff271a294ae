import Foundation

/// Lets one write transaction at a time into SQLite, which has a single writer anyway: queueing in
/// the app is cheaper and fairer than connections spinning on SQLITE_BUSY. On PostgreSQL it is open.
actor WriteGate {
    private let serialises: Bool
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(serialises: Bool) { self.serialises = serialises }

    /// Runs `work` alone (SQLite) or directly (PostgreSQL).
    nonisolated func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        guard serialises else { return try await work() }
        await acquire()
        do {
            let value = try await work()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
