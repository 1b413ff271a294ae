import Fluent
import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore

/// Keeps the reports' daily rollups (M028's `report_daily`, `report_sla`, `report_causes`) current:
/// the triggers mark the days a change touched, and this recomputes each such day from the tickets,
/// ratings and SLA outcomes of that day, in one transaction per day. The same loading and
/// aggregation serve a direct count over any period (`ReportService`), which is how a report
/// filtered by organization is answered and how the tests check the rollups.
enum ReportRollup {
    static let recomputed = Counter(label: "zayavka_report_days_recomputed_total")

    // MARK: Loading

    struct Loaded: Sendable {
        var tickets: [ReportTicket] = []
        var ratings: [ReportRating] = []
        var outcomes: [ReportSLAOutcome] = []
    }

    private static func cell(_ row: any SQLRow) throws -> ReportCell {
        ReportCell(group: try row.decode(column: "group_id", as: Int?.self) ?? 0, agent: try row.decode(column: "assignee_id", as: Int?.self) ?? 0,
                   channel: try row.decode(column: "channel", as: String.self), type: try row.decode(column: "type", as: String.self))
    }

    /// What happened in [start, end): tickets created, solved or first answered then, ratings of
    /// solutions given then, SLA targets stopped then; optionally only one organization's.
    static func load(from start: Date, to end: Date, organizationID: Int? = nil, on sql: any SQLDatabase) async throws -> Loaded {
        var loaded = Loaded()
        let organization: SQLQueryString = organizationID.map { " AND t.organization_id = \(bind: $0)" } ?? ""
        for row in try await sql.raw("""
            SELECT t.created_at, t.solved_at, t.first_response_at, t.channel, t.type, t.priority, t.urgency, t.responsibility, t.cause,
                   t.group_id, t.assignee_id
            FROM tickets t
            WHERE ((t.created_at >= \(bind: start) AND t.created_at < \(bind: end)) OR (t.solved_at >= \(bind: start) AND t.solved_at < \(bind: end))
                   OR (t.first_response_at >= \(bind: start) AND t.first_response_at < \(bind: end)))
            """ + organization).all() {
            loaded.tickets.append(ReportTicket(
                cell: try cell(row), createdAt: try row.decode(column: "created_at", as: Date.self),
                solvedAt: try row.decode(column: "solved_at", as: Date?.self), firstResponseAt: try row.decode(column: "first_response_at", as: Date?.self),
                priority: TicketPriority(rank: try row.decode(column: "priority", as: Int.self)) ?? .normal,
                urgency: try row.decode(column: "urgency", as: Int?.self),
                responsibility: try row.decode(column: "responsibility", as: String?.self).flatMap(Responsibility.init(rawValue:)),
                cause: try row.decode(column: "cause", as: String?.self)))
        }
        for row in try await sql.raw("""
            SELECT s.solved_at, s.rating, t.channel, t.type, t.group_id, t.assignee_id
            FROM satisfaction_surveys s JOIN tickets t ON t.id = s.ticket_id
            WHERE s.rating IS NOT NULL AND s.solved_at >= \(bind: start) AND s.solved_at < \(bind: end)
            """ + organization).all() {
            loaded.ratings.append(ReportRating(cell: try cell(row), solvedAt: try row.decode(column: "solved_at", as: Date.self),
                                               good: try row.decode(column: "rating", as: String.self) == SatisfactionRating.good.rawValue))
        }
        for row in try await sql.raw("""
            SELECT o.stopped_at, o.policy_id, o.metric, o.achieved, t.channel, t.type, t.group_id, t.assignee_id
            FROM sla_outcomes o JOIN tickets t ON t.id = o.ticket_id
            WHERE o.policy_id IS NOT NULL AND o.stopped_at >= \(bind: start) AND o.stopped_at < \(bind: end)
            """ + organization).all() {
            loaded.outcomes.append(ReportSLAOutcome(cell: try cell(row), stoppedAt: try row.decode(column: "stopped_at", as: Date.self),
                                                    policyID: try row.decode(column: "policy_id", as: Int.self),
                                                    metric: try row.decode(column: "metric", as: String.self),
                                                    achieved: try row.decode(column: "achieved", as: Bool.self)))
        }
        return loaded
    }

    /// Working minutes in the desk's default calendar (wall-clock minutes when it has none).
    static func workingTime(services: AppServices, on sql: any SQLDatabase) async throws -> @Sendable (Date, Date) -> Int {
        let calendars = try await services.sla.setup(sql).calendars
        let calendar = try await CalendarStore.id(on: sql).flatMap { calendars[$0] }
        return { start, end in
            guard end > start else { return 0 }
            if let calendar { return calendar.workingMinutes(from: start, to: end) }
            return Int(end.timeIntervalSince(start) / 60)
        }
    }

    /// The counts of `days` straight from the tickets (optionally one organization's).
    static func direct(days: ClosedRange<Int>, organizationID: Int? = nil, services: AppServices, on sql: any SQLDatabase) async throws -> ReportDays {
        let loaded = try await load(from: ReportDay.start(days.lowerBound), to: ReportDay.start(days.upperBound + 1), organizationID: organizationID, on: sql)
        let minutes = try await workingTime(services: services, on: sql)
        return ReportDays.aggregate(tickets: loaded.tickets, ratings: loaded.ratings, outcomes: loaded.outcomes, days: days, workingMinutes: minutes)
    }

    // MARK: Writing

    /// Replaces the rollup rows of one day (inside the caller's transaction).
    static func write(day: Int, _ counts: ReportDays, on sql: any SQLDatabase) async throws {
        for table in ["report_daily", "report_sla", "report_causes"] {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE day = \(bind: day)").run()
        }
        var cube: [ReportCell: ReportCounters] = [:]
        for (cell, counters) in counts.counters[day] ?? [:] {
            for general in cell.generalizations { cube[general, default: ReportCounters()].add(counters) }
        }
        let columns = ReportTables.counterColumns
        // (No sorting: the rows' order does not matter, and describing a cell to sort by it costs more than the whole write.)
        let rows: [SQLQueryString] = cube.map { cell, c in
            let values = [c.created, c.solved, c.responded] + c.priority + c.urgency + c.responsibility + [c.good, c.bad] + c.firstResponse + c.resolution
            return "(\(bind: day), \(bind: cell.group), \(bind: cell.agent), \(bind: cell.channel), \(bind: cell.type), \(binds: values))"
        }
        try await insert(rows, into: "report_daily (day, group_id, agent_id, channel, type, \(columns.joined(separator: ", ")))", per: 100, on: sql)
        var sla: [ReportDays.SLAKey: (met: Int, missed: Int)] = [:]
        for (key, value) in counts.sla[day] ?? [:] {
            for general in key.cell.generalizations {
                let k = ReportDays.SLAKey(cell: general, policyID: key.policyID, metric: key.metric)
                let before = sla[k] ?? (0, 0)
                sla[k] = (before.met + value.met, before.missed + value.missed)
            }
        }
        let slaRows: [SQLQueryString] = sla.map { key, value in
            "(\(bind: day), \(bind: key.cell.group), \(bind: key.cell.agent), \(bind: key.cell.channel), \(bind: key.cell.type), \(bind: key.policyID), \(bind: key.metric), \(bind: value.met), \(bind: value.missed))"
        }
        try await insert(slaRows, into: "report_sla (day, group_id, agent_id, channel, type, policy_id, metric, met, missed)", per: 200, on: sql)
        var causes: [ReportDays.CauseKey: Int] = [:]
        for (key, value) in counts.causes[day] ?? [:] {
            for general in key.cell.generalizations { causes[ReportDays.CauseKey(cell: general, cause: key.cause), default: 0] += value }
        }
        let causeRows: [SQLQueryString] = causes.map { key, value in
            "(\(bind: day), \(bind: key.cell.group), \(bind: key.cell.agent), \(bind: key.cell.channel), \(bind: key.cell.type), \(bind: key.cause), \(bind: value))"
        }
        try await insert(causeRows, into: "report_causes (day, group_id, agent_id, channel, type, cause, created)", per: 200, on: sql)
    }

    /// Multi-row INSERTs of `per` rows each (`target`: the table and its column list).
    private static func insert(_ rows: [SQLQueryString], into target: String, per: Int, on sql: any SQLDatabase) async throws {
        for start in stride(from: 0, to: rows.count, by: per) {
            try await sql.raw("INSERT INTO \(unsafeRaw: target) VALUES " + rows[start..<min(start + per, rows.count)].joined(separator: ", ")).run()
        }
    }

    /// Recomputes the days the triggers marked (oldest first, up to `limit`); returns how many.
    @discardableResult
    static func run(context: ServiceContext, limit: Int = 60) async throws -> Int {
        let (services, sql) = (context.services, context.sql)
        let marked = try await sql.raw("SELECT day, MAX(id) AS upto FROM report_dirty GROUP BY day ORDER BY day LIMIT \(bind: limit)").all()
        guard !marked.isEmpty else { return 0 }
        let minutes = try await workingTime(services: services, on: sql)
        let postgres = sql.dialect.name == "postgresql"
        var done = 0
        for row in marked {
            let day = try row.decode(column: "day", as: Int.self)
            let upto = try row.decode(column: "upto", as: Int.self)
            // Read and count outside the write lock; a change that commits meanwhile marks the day again
            // (a mark newer than `upto`), so the day is counted once more next round.
            let loaded = try await load(from: ReportDay.start(day), to: ReportDay.start(day + 1), on: sql)
            let counts = ReportDays.aggregate(tickets: loaded.tickets, ratings: loaded.ratings, outcomes: loaded.outcomes, days: day...day,
                                              workingMinutes: minutes)
            let recomputed: Bool = try await services.write(on: context.db) { db in
                let sql = db as! any SQLDatabase
                // One instance at a time per day (PostgreSQL); SQLite runs one writer anyway.
                if postgres, try await sql.raw("SELECT pg_try_advisory_xact_lock(\(bind: 18_000_000_000 + Int64(day))) AS got").first()?
                    .decode(column: "got", as: Bool.self) != true { return false }
                try await write(day: day, counts, on: sql)
                try await sql.raw("DELETE FROM report_dirty WHERE day = \(bind: day) AND id <= \(bind: upto)").run()
                return true
            }
            if recomputed { done += 1 }
        }
        recomputed.increment(by: done)
        return done
    }

    /// Every day again (`zayavka reports rebuild`): marks all days, then works through them.
    static func rebuild(context: ServiceContext, progress: (Int) -> Void = { _ in }) async throws -> Int {
        try await context.services.write(on: context.db) { db in try await ReportTables.markAllDays(on: db as! any SQLDatabase) }
        var total = 0
        while true {
            let done = try await run(context: context, limit: 100)
            if done == 0 {
                // Days another instance holds are left for it; nothing else is marked.
                let left = try await context.sql.raw("SELECT COUNT(*) AS n FROM report_dirty").first()?.decode(column: "n", as: Int.self) ?? 0
                if left == 0 { break }
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            total += done
            progress(total)
        }
        return total
    }
}
