import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Closes solved tickets whose time is up. Safe with several instances: each ticket is closed by
/// a conditional UPDATE … RETURNING, so only the instance whose update took effect records the event.
enum AutoCloseJob {
    /// Closes what is due at `now`; returns the numbers closed.
    @discardableResult
    static func run(policy: AutoClosePolicy, context: ServiceContext) async throws -> [Int] {
        let (now, services, db) = (context.now, context.services, context.db)
        let sql = db as! any SQLDatabase
        let catalog = try await services.catalog.snapshot(db)
        let solvedKeys = catalog.statuses.filter { $0.category == .solved }.map(\.key)
        guard let closed = catalog.statuses.first(where: { $0.category == .closed })?.key, !solvedKeys.isEmpty else { return [] }
        let due = try await sql.raw("""
            SELECT id, number, status FROM tickets
            WHERE solved_at <= \(bind: policy.cutoff(now: now)) AND status IN (\(binds: solvedKeys))
            ORDER BY solved_at LIMIT 500
            """).all()
        var numbers: [Int] = []
        let slaSetup = try await services.sla.setup(sql)
        for row in due {
            let id = try row.decode(column: "id", as: Int.self)
            let before = try row.decode(column: "status", as: String.self)
            let changed = try await services.gate.run {
                try await db.transaction { db in
                    let sql = db as! any SQLDatabase
                    let updated = try await sql.raw("""
                        UPDATE tickets SET status = \(bind: closed), closed_at = \(bind: now), updated_at = \(bind: now)
                        WHERE id = \(bind: id) AND status = \(bind: before) AND solved_at <= \(bind: policy.cutoff(now: now)) RETURNING number
                        """).first()
                    guard let updated else { return nil as Int? }
                    try await History.record([NewEvent(ticketID: id, actorID: nil, kind: .statusChanged, field: "status",
                                                       before: before, after: closed, isPublic: true, at: now)], on: sql)
                    try await SLAClocks.handle(.statusChanged(from: .solved, to: .closed), ticketID: id, at: now, setup: slaSetup, on: sql)
                    return try updated.decode(column: "number", as: Int.self)
                }
            }
            if let changed { numbers.append(changed) }
        }
        return numbers
    }
}
