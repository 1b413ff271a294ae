import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor
import ZayavkaCore

/// Runs the periodic jobs (auto-close, SLA warnings and breaches) every 30 seconds while the
/// server is up; logs and carries on after a failure.
struct PeriodicJobs: LifecycleHandler {
    private struct TaskKey: StorageKey { typealias Value = NIOCore.RepeatedTask }

    func shutdownAsync(_ application: Application) async {
        application.storage[TaskKey.self]?.cancel()
    }

    func didBootAsync(_ application: Application) async throws {
        let policy = AutoClosePolicy(days: application.services.configuration.autoCloseDays)
        let services = application.services
        let logger = application.logger
        let db = application.db
        let sqlite = (db as? any SQLDatabase)?.dialect.name == "sqlite"
        // SQLite plans queries from statistics that only ANALYZE gathers: without them the queue lists
        // sort every open ticket (0.6 s at a million). `PRAGMA optimize` analyzes what changed enough,
        // with a row limit so it stays quick; at start and then every hour (SQLite's own advice).
        func optimize() async {
            guard sqlite, let sql = db as? any SQLDatabase else { return }
            do {
                try await sql.raw("PRAGMA analysis_limit = 2000").run()
                try await sql.raw("PRAGMA optimize = 0x10002").run()
            } catch {
                logger.error("PRAGMA optimize failed", metadata: ["error": "\(error)"])
            }
        }
        await optimize()
        let rounds = NIOLockedValueBox(0)
        application.storage[TaskKey.self] = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: .seconds(30), delay: .seconds(30)
        ) { _ in
            application.eventLoopGroup.next().makeFutureWithTask {
                if rounds.withLockedValue({ $0 += 1; return $0 % 120 == 0 }) { await optimize() }
                do {
                    let closed = try await AutoCloseJob.run(policy: policy, now: Date(), services: services, db: db)
                    if !closed.isEmpty { logger.info("auto-closed solved tickets", metadata: ["numbers": "\(closed)"]) }
                } catch {
                    logger.error("auto-close failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let fired = try await SLATimerJob.run(now: Date(), services: services, db: db)
                    if fired.warnings + fired.breaches > 0 {
                        logger.info("SLA timers fired", metadata: ["warnings": "\(fired.warnings)", "breaches": "\(fired.breaches)"])
                    }
                } catch {
                    logger.error("SLA timers failed; will try again", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
