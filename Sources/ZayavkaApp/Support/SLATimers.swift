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
    static func run(context: ServiceContext) async throws -> Fired {
        let (now, services, db) = (context.now, context.services, context.db)
        let sql = db as! any SQLDatabase
        let setup = try await services.sla.setup(sql)
        var warnings = 0
        var breaches = 0
        for (kind, stamp, instant) in [(EventKind.slaWarning, "warned_at", "warn_at"), (.slaBreached, "breached_at", "due_at")] {
            let due = try await sql.raw("""
                SELECT id FROM sla_clocks
                WHERE \(ident: stamp) IS NULL AND stopped_at IS NULL AND paused_at IS NULL AND \(ident: instant) <= \(bind: now)
                ORDER BY \(ident: instant) LIMIT 500
                """).all().map { try $0.decode(column: "id", as: Int.self) }
            for id in due {
                let fired = try await services.gate.run {
                    try await db.transaction { db in
                        let sql = db as! any SQLDatabase
                        guard let row = try await sql.raw("""
                            UPDATE sla_clocks SET \(ident: stamp) = \(bind: now)
                            WHERE id = \(bind: id) AND \(ident: stamp) IS NULL AND stopped_at IS NULL AND paused_at IS NULL
                              AND \(ident: instant) <= \(bind: now)
                            RETURNING ticket_id, metric, due_at, policy_id
                            """).first() else { return false }
                        let ticketID = try row.decode(column: "ticket_id", as: Int.self)
                        let metric = try row.decode(column: "metric", as: String.self)
                        let due = try row.decode(column: "due_at", as: Date?.self)
                        var events = [NewEvent(ticketID: ticketID, actorID: nil, kind: kind, field: metric, after: due?.formatted(.iso8601),
                                               isPublic: false, at: now)]
                        if kind == .slaBreached, let policyID = try row.decode(column: "policy_id", as: Int?.self),
                           let policy = setup.policies.first(where: { $0.id == policyID }) {
                            events += try await escalate(ticketID: ticketID, metric: metric, policy.policy.escalation, at: now, on: sql)
                        }
                        try await History.record(events, on: sql)
                        return true
                    }
                }
                if fired { if kind == .slaWarning { warnings += 1 } else { breaches += 1 } }
            }
        }
        return Fired(warnings: warnings, breaches: breaches)
    }

    /// The policy's escalation for a missed target (SPEC S3): a priority one step up and a hand-off
    /// to another group or person, each in the history with the breach as its reason. (Who is told
    /// is decided by the mail notifier from the same policy.) The raised priority does not recompute
    /// the due times: the escalation answers a breach, it does not move the deadline.
    static func escalate(ticketID: Int, metric: String, _ escalation: SLAEscalation, at now: Date, on sql: any SQLDatabase) async throws -> [NewEvent] {
        guard escalation.raisePriority || escalation.reassignGroupID != nil || escalation.reassignUserID != nil,
              let ticket = try await sql.raw("""
                  SELECT priority, assignee_id, group_id FROM tickets WHERE id = \(bind: ticketID)
                  """).first() else { return [] }
        let reason = "sla_breached:" + metric
        var assignments: [SQLQueryString] = []
        var events: [NewEvent] = []
        let priority = TicketPriority(rank: try ticket.decode(column: "priority", as: Int.self)) ?? .normal
        let raised = escalation.priority(after: priority)
        if raised != priority {
            assignments.append("priority = \(bind: raised.rank)")
            events.append(NewEvent(ticketID: ticketID, actorID: nil, kind: .fieldChanged, field: "priority", before: priority.rawValue,
                                   after: raised.rawValue, isPublic: false, at: now, reason: reason))
        }
        let group = try ticket.decode(column: "group_id", as: Int?.self)
        if let target = escalation.reassignGroupID, target != group {
            assignments.append("group_id = \(bind: target)")
            events.append(NewEvent(ticketID: ticketID, actorID: nil, kind: .fieldChanged, field: "group_id", before: group.map(String.init),
                                   after: String(target), isPublic: false, at: now, reason: reason))
        }
        let assignee = try ticket.decode(column: "assignee_id", as: Int?.self)
        if let target = escalation.reassignUserID, target != assignee {
            assignments.append("assignee_id = \(bind: target)")
            events.append(NewEvent(ticketID: ticketID, actorID: nil, kind: .assigned, field: "assignee_id", before: assignee.map(String.init),
                                   after: String(target), isPublic: true, at: now, reason: reason))
        }
        guard !assignments.isEmpty else { return [] }
        assignments.append("updated_at = \(bind: now)")
        try await sql.raw("UPDATE tickets SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: ticketID)").run()
        return events
    }
}
