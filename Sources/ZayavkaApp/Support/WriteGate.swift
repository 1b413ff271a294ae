import Foundation
import Logging
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

    /// A hold longer than this is logged with the place that took it (every other write waits meanwhile).
    static let slowHoldNanoseconds: UInt64 = 100_000_000
    private static let logger = Logger(label: "zayavka.write-gate")

    init(serialises: Bool) { self.serialises = serialises }

    /// Runs `work` alone (SQLite) or directly (PostgreSQL). `file` and `line` name the caller in the
    /// warning a long hold logs.
    nonisolated func run<T: Sendable>(file: String = #fileID, line: Int = #line, _ work: @Sendable () async throws -> T) async throws -> T {
        guard serialises else { return try await work() }
        await acquire()
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let held = DispatchTime.now().uptimeNanoseconds - start
            Self.holds.recordNanoseconds(Int64(held))
            if held > Self.slowHoldNanoseconds {
                Self.logger.warning("a write held the lock long", metadata: ["ms": "\(held / 1_000_000)", "at": "\(file):\(line)"])
            }
        }
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
