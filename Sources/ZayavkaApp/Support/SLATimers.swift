import FluentKit
import Foundation
import SQLKit
import ZayavkaCore

/// Fires SLA warnings and breaches (SPEC S3). Safe with any number of instances: each firing is
/// claimed by a conditional UPDATE … RETURNING, so only the instance whose update took effect
/// records the event; the others see nothing to do.
enum SLATimerJob {
    struct Fired: Equatable, Sendable {
        let warnings: Int
        let breaches: Int
    }

    @discardableResult
    static func run(now: Date, services: AppServices, db: any Database) async throws -> Fired {
        let sql = db as! any SQLDatabase
        var warnings = 0
        var breaches = 0
        for (kind, stamp, instant) in [(EventKind.slaWarning, "warned_at", "warn_at"), (.slaBreached, "breached_at", "due_at")] {
            let due = try await sql.raw("""
                SELECT id FROM sla_clocks
                WHERE stopped_at IS NULL AND paused_at IS NULL AND \(ident: stamp) IS NULL AND \(ident: instant) <= \(bind: now)
                ORDER BY id LIMIT 500
                """).all().map { try $0.decode(column: "id", as: Int.self) }
            for id in due {
                let fired = try await services.gate.run {
                    try await db.transaction { db in
                        let sql = db as! any SQLDatabase
                        guard let row = try await sql.raw("""
                            UPDATE sla_clocks SET \(ident: stamp) = \(bind: now)
                            WHERE id = \(bind: id) AND \(ident: stamp) IS NULL AND stopped_at IS NULL
                            RETURNING ticket_id, metric, due_at
                            """).first() else { return false }
                        let due = try row.decode(column: "due_at", as: Date?.self)
                        try await History.record([NewEvent(
                            ticketID: try row.decode(column: "ticket_id", as: Int.self), actorID: nil, kind: kind,
                            field: try row.decode(column: "metric", as: String.self), after: due?.formatted(.iso8601),
                            isPublic: false, at: now)], on: sql)
                        return true
                    }
                }
                if fired { if kind == .slaWarning { warnings += 1 } else { breaches += 1 } }
            }
        }
        return Fired(warnings: warnings, breaches: breaches)
    }
}
