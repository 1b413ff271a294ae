import Fluent
import Foundation
import SQLKit
import NIOCore
import Vapor
import ZayavkaCore

/// Closes solved tickets whose time is up. Safe with several instances: each ticket is closed by
/// a conditional UPDATE … RETURNING, so only the instance whose update took effect records the event.
enum AutoCloseJob {
    /// Closes what is due at `now`; returns the numbers closed.
    @discardableResult
    static func run(policy: AutoClosePolicy, now: Date, services: AppServices, db: any Database) async throws -> [Int] {
        let sql = db as! any SQLDatabase
        let catalog = try await services.catalog.snapshot(db)
        let solvedKeys = catalog.statuses.filter { $0.category == .solved }.map(\.key)
        guard let closed = catalog.statuses.first(where: { $0.category == .closed })?.key, !solvedKeys.isEmpty else { return [] }
        let due = try await sql.raw("""
            SELECT id, number, status FROM tickets
            WHERE status IN (\(binds: solvedKeys)) AND solved_at IS NOT NULL AND solved_at <= \(bind: policy.cutoff(now: now))
            ORDER BY id LIMIT 500
            """).all()
        var numbers: [Int] = []
        let calendars = try await services.sla.setup(sql).calendars
        for row in due {
            let id = try row.decode(column: "id", as: Int.self)
            let before = try row.decode(column: "status", as: String.self)
            let changed = try await services.gate.run {
                try await db.transaction { db in
                    let sql = db as! any SQLDatabase
                    let updated = try await sql.raw("""
                        UPDATE tickets SET status = \(bind: closed), closed_at = \(bind: now), updated_at = \(bind: now)
                        WHERE id = \(bind: id) AND status = \(bind: before) RETURNING number
                        """).first()
                    guard let updated else { return nil as Int? }
                    try await History.record([NewEvent(ticketID: id, actorID: nil, kind: .statusChanged, field: "status",
                                                       before: before, after: closed, isPublic: true, at: now)], on: sql)
                    try await SLAClocks.handle(.statusChanged(from: .solved, to: .closed), ticketID: id, at: now, calendars: calendars, on: sql)
                    return try updated.decode(column: "number", as: Int.self)
                }
            }
            if let changed { numbers.append(changed) }
        }
        return numbers
    }
}

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
        application.storage[TaskKey.self] = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: .seconds(30), delay: .seconds(30)
        ) { _ in
            application.eventLoopGroup.next().makeFutureWithTask {
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
