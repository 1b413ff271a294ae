import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Keeps a ticket's clocks in step with what happens to it, inside the caller's transaction.
enum SLAClocks {
    struct Row {
        var id: Int?
        var clock: SLAClock
        var policyID: Int?
        var calendarID: Int
        var warnPercent: Int
        var warnedAt: Date?
        var breachedAt: Date?
        var removed = false
    }

    static func insert(_ start: SLAStart, ticketID: Int, on sql: any SQLDatabase) -> [SQLQueryString] {
        start.clocks.map { clock in
            "(\(bind: ticketID), \(bind: start.policyID), \(bind: start.calendarID), \(bind: clock.metric.rawValue), \(bind: clock.targetMinutes), \(bind: clock.startedAt), \(bind: 0.0), \(bind: clock.dueAt(on: start.calendar)), \(bind: start.warnPercent), \(bind: clock.warnAt(percent: start.warnPercent, on: start.calendar)))"
        }
    }

    static let insertPrefix: SQLQueryString = """
        INSERT INTO sla_clocks (ticket_id, policy_id, calendar_id, metric, target_minutes, started_at, paused_seconds, due_at,
                                warn_percent, warn_at) VALUES
        """

    static func load(ticketID: Int, on sql: any SQLDatabase) async throws -> [Row] {
        try await sql.raw("""
            SELECT id, metric, target_minutes, started_at, paused_at, paused_seconds, stopped_at, due_at, calendar_id, warn_percent,
                   policy_id, warned_at, breached_at
            FROM sla_clocks WHERE ticket_id = \(bind: ticketID) ORDER BY id
            """).all().map { row in
            let metric = SLAMetric(rawValue: try row.decode(column: "metric", as: String.self)) ?? .resolution
            var clock = SLAClock(metric: metric, targetMinutes: try row.decode(column: "target_minutes", as: Int.self),
                                 startedAt: try row.decode(column: "started_at", as: Date.self))
            clock.pausedAt = try row.decode(column: "paused_at", as: Date?.self)
            clock.pausedWorkingSeconds = try row.decode(column: "paused_seconds", as: Double.self)
            clock.stoppedAt = try row.decode(column: "stopped_at", as: Date?.self)
            if metric == .promise { clock.deadline = try row.decode(column: "due_at", as: Date?.self) }
            return Row(id: try row.decode(column: "id", as: Int.self), clock: clock, policyID: try row.decode(column: "policy_id", as: Int?.self),
                       calendarID: try row.decode(column: "calendar_id", as: Int.self),
                       warnPercent: try row.decode(column: "warn_percent", as: Int.self),
                       warnedAt: try row.decode(column: "warned_at", as: Date?.self),
                       breachedAt: try row.decode(column: "breached_at", as: Date?.self))
        }
    }

    /// The policy the ticket's clocks run under (the first clock that names one).
    private static func policy(of rows: [Row], in setup: SLASetupCache.Setup) -> SLASetupCache.Policy? {
        rows.lazy.compactMap(\.policyID).compactMap { id in setup.policies.first { $0.id == id } }.first
    }

    /// A clock started afresh in a row (new or reused): its warning and breach may fire again.
    private static func restart(_ clock: SLAClock, in rows: inout [Row], policyID: Int?, calendarID: Int, warnPercent: Int) {
        if let index = rows.firstIndex(where: { $0.clock.metric == clock.metric }) {
            rows[index].clock = clock
            rows[index].policyID = policyID
            rows[index].calendarID = calendarID
            rows[index].warnPercent = warnPercent
            rows[index].warnedAt = nil
            rows[index].breachedAt = nil
            rows[index].removed = false
        } else {
            rows.append(Row(id: nil, clock: clock, policyID: policyID, calendarID: calendarID, warnPercent: warnPercent))
        }
    }

    /// Applies `event` to the ticket's clocks and stores them with the ticket's nearest due time.
    static func handle(_ event: SLAEvent, ticketID: Int, at now: Date, setup: SLASetupCache.Setup, on sql: any SQLDatabase) async throws {
        let original = try await load(ticketID: ticketID, on: sql)
        var rows = original
        switch event {
        case .staffPublicReply:
            for index in rows.indices where [.firstResponse, .nextResponse].contains(rows[index].clock.metric) {
                guard let calendar = setup.calendars[rows[index].calendarID] else { continue }
                rows[index].clock.stop(at: now, on: calendar)
            }
        case .customerReply(let answered):
            // The next response is owed from the earliest unanswered customer message.
            guard answered, !rows.contains(where: { $0.clock.metric == .nextResponse && $0.clock.stoppedAt == nil }),
                  let policy = policy(of: rows, in: setup), let minutes = policy.policy.targets[.nextResponse] else { return }
            restart(SLAClock(metric: .nextResponse, targetMinutes: minutes, startedAt: now), in: &rows, policyID: policy.id,
                    calendarID: policy.calendarID, warnPercent: policy.policy.warnAtPercent)
        case .statusChanged(let from, let to):
            for index in rows.indices {
                guard let calendar = setup.calendars[rows[index].calendarID] else { continue }
                if to == .solved || to == .closed {
                    rows[index].clock.stop(at: now, on: calendar)
                } else if to == .pending {
                    rows[index].clock.pause(at: now)
                } else if from == .pending {
                    rows[index].clock.resume(at: now, on: calendar)
                }
            }
        case .promised(let deadline):
            let policy = policy(of: rows, in: setup)
            var calendarID = policy?.calendarID ?? rows.first?.calendarID
            if calendarID == nil { calendarID = try await CalendarStore.id(on: sql) }
            guard let calendarID else { return }
            restart(.promise(madeAt: now, deadline: deadline), in: &rows, policyID: policy?.id, calendarID: calendarID,
                    warnPercent: policy?.policy.warnAtPercent ?? 80)
        }
        try await save(rows, was: original, ticketID: ticketID, at: now, calendars: setup.calendars, on: sql)
    }

    /// Recomputes the clocks after a change of type, priority, urgency or group (SPEC S2): the policy
    /// that matches now applies, time already spent counts. Returns the history events that say
    /// which due times moved and why (`reason`: the fields whose change caused it).
    static func replan(ticketID: Int, subject: SLASubject, createdAt: Date, firstResponseAt: Date?, waitingSince: Date?,
                       reason: String, actorID: Int?, at now: Date, setup: SLASetupCache.Setup, on sql: any SQLDatabase) async throws -> [NewEvent] {
        let original = try await load(ticketID: ticketID, on: sql)
        let match = setup.policies.first { $0.policy.conditions.matches(subject) }
        let calendarID = match?.calendarID ?? original.first?.calendarID
        guard let calendarID, let calendar = setup.calendars[calendarID] else { return [] }
        let clocks = SLAReplan.clocks(original.map(\.clock), targets: match?.policy.targets ?? [:], createdAt: createdAt,
                                      firstResponseAt: firstResponseAt, waitingSince: waitingSince)
        var rows = original
        for index in rows.indices where !clocks.contains(where: { $0.metric == rows[index].clock.metric }) { rows[index].removed = true }
        for clock in clocks {
            let settled = clock.stoppedAt != nil || clock.metric == .promise
            if let index = rows.firstIndex(where: { $0.clock.metric == clock.metric }) {
                guard !settled else { continue }
                rows[index].clock = clock
                rows[index].policyID = match?.id
                rows[index].calendarID = calendarID
                rows[index].warnPercent = match?.policy.warnAtPercent ?? rows[index].warnPercent
                // A deadline moved into the future may be warned about and breached again.
                if let warn = clock.warnAt(percent: rows[index].warnPercent, on: calendar), warn > now { rows[index].warnedAt = nil }
                if let due = clock.dueAt(on: calendar), due > now { rows[index].breachedAt = nil }
            } else {
                rows.append(Row(id: nil, clock: clock, policyID: match?.id, calendarID: calendarID, warnPercent: match?.policy.warnAtPercent ?? 80))
            }
        }
        try await save(rows, was: original, ticketID: ticketID, at: now, calendars: setup.calendars, on: sql)
        var events: [NewEvent] = []
        for metric in SLAMetric.allCases {
            let before = original.first { $0.clock.metric == metric }
            let after = rows.first { $0.clock.metric == metric && !$0.removed }
            let dueBefore = before.flatMap { row in setup.calendars[row.calendarID].flatMap { row.clock.dueAt(on: $0) } }
            let dueAfter = after.flatMap { row in setup.calendars[row.calendarID].flatMap { row.clock.dueAt(on: $0) } }
            guard (before == nil) != (after == nil) || dueBefore != dueAfter || before?.clock.targetMinutes != after?.clock.targetMinutes
            else { continue }
            events.append(NewEvent(ticketID: ticketID, actorID: actorID, kind: .slaRecomputed, field: metric.rawValue,
                                   before: dueBefore?.formatted(.iso8601), after: dueAfter?.formatted(.iso8601), isPublic: false,
                                   at: now, reason: reason))
        }
        return events
    }

    /// Stores what changed, records the outcome of every clock that stopped (for reports), and the
    /// ticket's nearest due time.
    private static func save(_ rows: [Row], was original: [Row], ticketID: Int, at now: Date, calendars: [Int: BusinessCalendar],
                             on sql: any SQLDatabase) async throws {
        var changed = false
        var nextDue: Date?
        for row in rows {
            let before = row.id.flatMap { id in original.first { $0.id == id } }
            if row.removed {
                if let id = row.id { try await sql.raw("DELETE FROM sla_clocks WHERE id = \(bind: id)").run(); changed = true }
                continue
            }
            let calendar = calendars[row.calendarID]
            let due = calendar.flatMap { row.clock.dueAt(on: $0) }
            let warn = calendar.flatMap { row.clock.warnAt(percent: row.warnPercent, on: $0) }
            if let id = row.id {
                if let before, before.clock == row.clock, before.policyID == row.policyID, before.warnedAt == row.warnedAt,
                   before.breachedAt == row.breachedAt, before.calendarID == row.calendarID {
                    // unchanged
                } else {
                    changed = true
                    try await sql.raw("""
                        UPDATE sla_clocks SET policy_id = \(bind: row.policyID), calendar_id = \(bind: row.calendarID),
                               target_minutes = \(bind: row.clock.targetMinutes), started_at = \(bind: row.clock.startedAt),
                               paused_at = \(bind: row.clock.pausedAt), paused_seconds = \(bind: row.clock.pausedWorkingSeconds),
                               stopped_at = \(bind: row.clock.stoppedAt), due_at = \(bind: due), warn_percent = \(bind: row.warnPercent),
                               warn_at = \(bind: warn), warned_at = \(bind: row.warnedAt), breached_at = \(bind: row.breachedAt)
                        WHERE id = \(bind: id)
                        """).run()
                }
            } else {
                changed = true
                try await sql.raw("""
                    INSERT INTO sla_clocks (ticket_id, policy_id, calendar_id, metric, target_minutes, started_at, paused_at, paused_seconds,
                                            stopped_at, due_at, warn_percent, warn_at)
                    VALUES (\(bind: ticketID), \(bind: row.policyID), \(bind: row.calendarID), \(bind: row.clock.metric.rawValue),
                            \(bind: row.clock.targetMinutes), \(bind: row.clock.startedAt), \(bind: row.clock.pausedAt),
                            \(bind: row.clock.pausedWorkingSeconds), \(bind: row.clock.stoppedAt), \(bind: due), \(bind: row.warnPercent),
                            \(bind: warn))
                    """).run()
            }
            if let stopped = row.clock.stoppedAt, before?.clock.stoppedAt == nil || before?.clock.startedAt != row.clock.startedAt,
               let calendar {
                let state = row.clock.state(at: stopped, on: calendar, warnAtPercent: row.warnPercent)
                try await sql.raw("""
                    INSERT INTO sla_outcomes (ticket_id, policy_id, metric, target_minutes, started_at, due_at, stopped_at, working_minutes, achieved)
                    VALUES (\(bind: ticketID), \(bind: row.policyID), \(bind: row.clock.metric.rawValue), \(bind: row.clock.targetMinutes),
                            \(bind: row.clock.startedAt), \(bind: row.clock.dueAt(on: calendar)), \(bind: stopped),
                            \(bind: Int(row.clock.elapsedWorkingSeconds(at: stopped, on: calendar) / 60)), \(bind: state == .achieved))
                    """).run()
            }
            if row.clock.stoppedAt == nil, let due { nextDue = nextDue.map { min($0, due) } ?? due }
        }
        guard changed else { return }
        try await sql.raw("UPDATE tickets SET next_due_at = \(bind: nextDue) WHERE id = \(bind: ticketID)").run()
    }

    /// The clocks of a ticket as the API shows them, states computed at `now`.
    static func dto(ticketID: Int, at now: Date, calendars: [Int: BusinessCalendar], on sql: any SQLDatabase) async throws -> [SLAClockDTO] {
        let rows = try await load(ticketID: ticketID, on: sql)
        guard !rows.isEmpty else { return [] }
        var policies: [Int: String] = [:]
        for row in try await sql.raw("""
            SELECT id, key FROM sla_policies WHERE id IN (SELECT policy_id FROM sla_clocks WHERE ticket_id = \(bind: ticketID))
            """).all() {
            policies[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "key", as: String.self)
        }
        return rows.compactMap { row in
            guard let calendar = calendars[row.calendarID] else { return nil }
            return SLAClockDTO(metric: row.clock.metric, policy: row.policyID.flatMap { policies[$0] }, targetMinutes: row.clock.targetMinutes,
                               startedAt: row.clock.startedAt, dueAt: row.clock.dueAt(on: calendar), stoppedAt: row.clock.stoppedAt,
                               state: row.clock.state(at: now, on: calendar, warnAtPercent: row.warnPercent),
                               elapsedMinutes: Int(row.clock.elapsedWorkingSeconds(at: now, on: calendar) / 60),
                               warnedAt: row.warnedAt, breachedAt: row.breachedAt)
        }
    }
}
