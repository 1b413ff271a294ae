import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Active SLA policies, and every calendar (clocks started under a policy since deactivated still
/// need theirs), cached briefly like the status catalogue.
final class SLASetupCache: Sendable {
    struct Policy: Sendable {
        let id: Int
        let policy: SLAPolicy
        let calendarID: Int
    }

    struct Setup: Sendable {
        let policies: [Policy]
        let calendars: [Int: BusinessCalendar]
    }

    private let cache = RefreshingCache<Setup>()

    func setup(_ sql: any SQLDatabase) async throws -> Setup {
        try await cache.value {
            let policies = try await sql.raw("""
                SELECT id, key, name, conditions, targets, warn_at_percent, calendar_id FROM sla_policies
                WHERE active = \(bind: true) ORDER BY position, id
                """).all().map { row in
                Policy(id: try row.decode(column: "id", as: Int.self),
                       policy: SLAPolicy(key: try row.decode(column: "key", as: String.self), name: try row.decode(column: "name", as: String.self),
                                         conditions: try WorkingTimeJSON.decode(SLAConditions.self, try row.decode(column: "conditions", as: String.self)),
                                         targets: try WorkingTimeJSON.decode(SLATargetsDTO.self, try row.decode(column: "targets", as: String.self)).metrics,
                                         warnAtPercent: try row.decode(column: "warn_at_percent", as: Int.self)),
                       calendarID: try row.decode(column: "calendar_id", as: Int.self))
            }
            let calendars = try await CalendarStore.load(where: "1 = 1", on: sql).map { ($0.id, $0.calendar) }
            return Setup(policies: policies, calendars: Dictionary(uniqueKeysWithValues: calendars))
        }
    }

    func invalidate() { cache.invalidate() }
}

/// Clocks to start for a new ticket: the first matching policy's first-response and resolution targets.
struct SLAStart: Sendable {
    let policyID: Int
    let calendarID: Int
    let warnPercent: Int
    let clocks: [SLAClock]
    let calendar: BusinessCalendar

    static func plan(for subject: SLASubject, at now: Date, setup: SLASetupCache.Setup) -> SLAStart? {
        guard let match = setup.policies.first(where: { $0.policy.conditions.matches(subject) }),
              let calendar = setup.calendars[match.calendarID] else { return nil }
        let clocks = [SLAMetric.firstResponse, .resolution].compactMap { metric in
            match.policy.targets[metric].map { SLAClock(metric: metric, targetMinutes: $0, startedAt: now) }
        }
        return clocks.isEmpty ? nil : SLAStart(policyID: match.id, calendarID: match.calendarID, warnPercent: match.policy.warnAtPercent,
                                               clocks: clocks, calendar: calendar)
    }

    var nextDue: Date? { clocks.compactMap { $0.dueAt(on: calendar) }.min() }
}

/// What happened to a ticket, as far as its clocks are concerned.
enum SLAEvent {
    case staffPublicReply
    case statusChanged(from: StatusCategory, to: StatusCategory)
}

/// Keeps a ticket's clocks in step with what happens to it, inside the caller's transaction.
enum SLAClocks {
    struct Row {
        let id: Int
        var clock: SLAClock
        let calendarID: Int
        let warnPercent: Int
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
            SELECT id, metric, target_minutes, started_at, paused_at, paused_seconds, stopped_at, calendar_id, warn_percent
            FROM sla_clocks WHERE ticket_id = \(bind: ticketID) ORDER BY id
            """).all().map { row in
            var clock = SLAClock(metric: SLAMetric(rawValue: try row.decode(column: "metric", as: String.self)) ?? .resolution,
                                 targetMinutes: try row.decode(column: "target_minutes", as: Int.self),
                                 startedAt: try row.decode(column: "started_at", as: Date.self))
            clock.pausedAt = try row.decode(column: "paused_at", as: Date?.self)
            clock.pausedWorkingSeconds = try row.decode(column: "paused_seconds", as: Double.self)
            clock.stoppedAt = try row.decode(column: "stopped_at", as: Date?.self)
            return Row(id: try row.decode(column: "id", as: Int.self), clock: clock, calendarID: try row.decode(column: "calendar_id", as: Int.self),
                       warnPercent: try row.decode(column: "warn_percent", as: Int.self))
        }
    }

    /// Applies `event` to the ticket's clocks and stores them with the ticket's nearest due time.
    static func handle(_ event: SLAEvent, ticketID: Int, at now: Date, calendars: [Int: BusinessCalendar], on sql: any SQLDatabase) async throws {
        var rows = try await load(ticketID: ticketID, on: sql)
        guard !rows.isEmpty else { return }
        var changed = false
        for index in rows.indices {
            guard let calendar = calendars[rows[index].calendarID] else { continue }
            let before = rows[index].clock
            switch event {
            case .staffPublicReply:
                if before.metric == .firstResponse { rows[index].clock.stop(at: now, on: calendar) }
            case .statusChanged(let from, let to):
                if to == .solved || to == .closed {
                    rows[index].clock.stop(at: now, on: calendar)
                } else if to == .pending {
                    rows[index].clock.pause(at: now)
                } else if from == .pending {
                    rows[index].clock.resume(at: now, on: calendar)
                }
            }
            if rows[index].clock != before { changed = true }
        }
        guard changed else { return }
        var nextDue: Date?
        for row in rows {
            let due = calendars[row.calendarID].flatMap { row.clock.dueAt(on: $0) }
            let warn = calendars[row.calendarID].flatMap { row.clock.warnAt(percent: row.warnPercent, on: $0) }
            try await sql.raw("""
                UPDATE sla_clocks SET paused_at = \(bind: row.clock.pausedAt), paused_seconds = \(bind: row.clock.pausedWorkingSeconds),
                       stopped_at = \(bind: row.clock.stoppedAt), due_at = \(bind: due), warn_at = \(bind: warn) WHERE id = \(bind: row.id)
                """).run()
            if row.clock.stoppedAt == nil, let due { nextDue = nextDue.map { min($0, due) } ?? due }
        }
        try await sql.raw("UPDATE tickets SET next_due_at = \(bind: nextDue) WHERE id = \(bind: ticketID)").run()
    }

    /// The clocks of a ticket as the API shows them, states computed at `now`.
    static func dto(ticketID: Int, at now: Date, calendars: [Int: BusinessCalendar], on sql: any SQLDatabase) async throws -> [SLAClockDTO] {
        let rows = try await load(ticketID: ticketID, on: sql)
        guard !rows.isEmpty else { return [] }
        var policies: [Int: String] = [:]
        var fired: [Int: (Date?, Date?)] = [:]
        for row in try await sql.raw("""
            SELECT c.id, p.key, c.warned_at, c.breached_at FROM sla_clocks c LEFT JOIN sla_policies p ON p.id = c.policy_id
            WHERE c.ticket_id = \(bind: ticketID)
            """).all() {
            let id = try row.decode(column: "id", as: Int.self)
            policies[id] = try row.decode(column: "key", as: String?.self)
            fired[id] = (try row.decode(column: "warned_at", as: Date?.self), try row.decode(column: "breached_at", as: Date?.self))
        }
        return rows.compactMap { row in
            guard let calendar = calendars[row.calendarID] else { return nil }
            let percent = row.warnPercent
            let policy = policies[row.id]
            return SLAClockDTO(metric: row.clock.metric, policy: policy, targetMinutes: row.clock.targetMinutes,
                               startedAt: row.clock.startedAt, dueAt: row.clock.dueAt(on: calendar), stoppedAt: row.clock.stoppedAt,
                               state: row.clock.state(at: now, on: calendar, warnAtPercent: percent),
                               elapsedMinutes: Int(row.clock.elapsedWorkingSeconds(at: now, on: calendar) / 60),
                               warnedAt: fired[row.id]?.0, breachedAt: fired[row.id]?.1)
        }
    }
}

struct SLAClockDTO: Content {
    let metric: SLAMetric
    let policy: String?
    let targetMinutes: Int
    let startedAt: Date
    let dueAt: Date?
    let stoppedAt: Date?
    let state: SLAState
    let elapsedMinutes: Int
    /// When the timers recorded the warning and the breach.
    let warnedAt: Date?
    let breachedAt: Date?

    enum CodingKeys: String, CodingKey {
        case metric, policy, state
        case targetMinutes = "target_minutes", startedAt = "started_at", dueAt = "due_at", stoppedAt = "stopped_at",
             elapsedMinutes = "elapsed_minutes", warnedAt = "warned_at", breachedAt = "breached_at"
    }
}
