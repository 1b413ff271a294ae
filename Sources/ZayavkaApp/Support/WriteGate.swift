import Foundation
import Metrics

/// Lets one write transaction at a time into SQLite, which has a single writer anyway: queueing in
/// the app is cheaper and fairer than connections spinning on SQLITE_BUSY. On PostgreSQL it is open.
actor WriteGate {
    private let serialises: Bool
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// How long each write held the gate (SQLite): `zayavka_write_gate_hold_seconds` on /metrics.
    /// Batch jobs (a problem's update to thousands of tickets) keep every hold short; the benchmark reads it.
    static let holds = Metrics.Timer(label: "zayavka_write_gate_hold_seconds")

    init(serialises: Bool) { self.serialises = serialises }

    /// Runs `work` alone (SQLite) or directly (PostgreSQL).
    nonisolated func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        guard serialises else { return try await work() }
        await acquire()
        let start = DispatchTime.now().uptimeNanoseconds
        defer { Self.holds.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
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
