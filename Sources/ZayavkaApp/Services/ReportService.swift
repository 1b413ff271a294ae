import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// A report's filters (SPEC Q4): group, agent, organization, channel, type. Group and agent 0 mean "none".
struct ReportFilter: Sendable, Equatable {
    var group: Int?
    var agent: Int?
    var organization: Int?
    var channel: String?
    var type: String?

    var cell: ReportCell { .filter(group: group, agent: agent, channel: channel, type: type) }

    /// The filters as conditions on `tickets t`, each starting with " AND " (none: empty).
    var ticketConditions: SQLQueryString {
        var condition: SQLQueryString = ""
        if let group { condition = condition + (group == 0 ? " AND t.group_id IS NULL" : " AND t.group_id = \(bind: group)") }
        if let agent { condition = condition + (agent == 0 ? " AND t.assignee_id IS NULL" : " AND t.assignee_id = \(bind: agent)") }
        if let channel { condition = condition + " AND t.channel = \(bind: channel)" }
        if let type { condition = condition + " AND t.type = \(bind: type)" }
        if let organization { condition = condition + " AND t.organization_id = \(bind: organization)" }
        return condition
    }
}

/// What a report reads, from the rollups or counted directly: the same shape, so the two compare.
struct ReportData: Sendable, Equatable {
    struct Pair: Sendable, Equatable {
        var created = 0
        var solved = 0
    }
    struct Outcome: Sendable, Equatable, Hashable {
        var policyID: Int
        var metric: String
    }

    var daily: [Int: ReportCounters] = [:]
    var channels: [Int: [String: Int]] = [:]
    var types: [Int: [String: Int]] = [:]
    var agents: [Int: Pair] = [:]
    var sla: [Outcome: Pair] = [:]
    var causes: [String: Int] = [:]
    /// Open at the start of the period: created before it and not solved before it.
    var backlogBefore = 0

    /// Zero entries dropped: the rollups keep rows whose created count is 0.
    mutating func normalize() {
        daily = daily.filter { !$0.value.isEmpty }
        channels = channels.mapValues { $0.filter { $0.value != 0 } }.filter { !$0.value.isEmpty }
        types = types.mapValues { $0.filter { $0.value != 0 } }.filter { !$0.value.isEmpty }
        agents = agents.filter { $0.value != Pair() }
        sla = sla.filter { $0.value != Pair() }
        causes = causes.filter { $0.value != 0 }
    }
}

enum ReportService {
    // MARK: Reading

    private static func cellCondition(_ cell: ReportCell, agentAll: Bool = false, channelAll: Bool = false, typeAll: Bool = false) -> SQLQueryString {
        var condition: SQLQueryString = "group_id = \(bind: cell.group)"
        if !agentAll { condition = condition + " AND agent_id = \(bind: cell.agent)" }
        if !channelAll { condition = condition + " AND channel = \(bind: cell.channel)" }
        if !typeAll { condition = condition + " AND type = \(bind: cell.type)" }
        return condition
    }

    private static func counters(_ row: any SQLRow) throws -> ReportCounters {
        var c = ReportCounters()
        func v(_ name: String) throws -> Int { try row.decode(column: name, as: Int.self) }
        c.created = try v("created")
        c.solved = try v("solved")
        c.responded = try v("responded")
        c.priority = try (1...4).map { try v("p\($0)") }
        c.urgency = try (0...4).map { try v("u\($0)") }
        c.responsibility = try (0...Responsibility.allCases.count).map { try v("r\($0)") }
        c.good = try v("good")
        c.bad = try v("bad")
        c.firstResponse = try (0..<ReportHistogram.count).map { try v("f\($0)") }
        c.resolution = try (0..<ReportHistogram.count).map { try v("s\($0)") }
        return c
    }

    /// The period's figures from the rollups (no organization filter).
    static func fromRollups(_ period: ReportPeriod, filter: ReportFilter, on sql: any SQLDatabase) async throws -> ReportData {
        let cell = filter.cell
        let (first, last) = (period.days.lowerBound, period.days.upperBound)
        let days: SQLQueryString = " AND day >= \(bind: first) AND day <= \(bind: last)"
        var data = ReportData()
        let columns = ReportTables.counterColumns.joined(separator: ", ")
        for row in try await sql.raw("SELECT day, \(unsafeRaw: columns) FROM report_daily WHERE " + cellCondition(cell) + days).all() {
            data.daily[try row.decode(column: "day", as: Int.self)] = try counters(row)
        }
        if filter.channel == nil {
            for row in try await sql.raw("SELECT day, channel, created FROM report_daily WHERE " + cellCondition(cell, channelAll: true)
                                         + " AND channel <> '*'" + days).all() {
                data.channels[try row.decode(column: "day", as: Int.self), default: [:]][try row.decode(column: "channel", as: String.self)] =
                    try row.decode(column: "created", as: Int.self)
            }
        }
        if filter.type == nil {
            for row in try await sql.raw("SELECT day, type, created FROM report_daily WHERE " + cellCondition(cell, typeAll: true)
                                         + " AND type <> '*'" + days).all() {
                data.types[try row.decode(column: "day", as: Int.self), default: [:]][try row.decode(column: "type", as: String.self)] =
                    try row.decode(column: "created", as: Int.self)
            }
        }
        var agentCondition = cellCondition(cell, agentAll: true) + " AND agent_id <> -1"
        if let agent = filter.agent { agentCondition = agentCondition + " AND agent_id = \(bind: agent)" }
        for row in try await sql.raw("SELECT agent_id, SUM(created) AS created, SUM(solved) AS solved FROM report_daily WHERE " + agentCondition + days
                                     + " GROUP BY agent_id").all() {
            data.agents[try row.decode(column: "agent_id", as: Int.self)] = .init(created: try row.decode(column: "created", as: Int.self),
                                                                                  solved: try row.decode(column: "solved", as: Int.self))
        }
        for row in try await sql.raw("SELECT policy_id, metric, SUM(met) AS met, SUM(missed) AS missed FROM report_sla WHERE " + cellCondition(cell) + days
                                     + " GROUP BY policy_id, metric").all() {
            data.sla[.init(policyID: try row.decode(column: "policy_id", as: Int.self), metric: try row.decode(column: "metric", as: String.self))] =
                .init(created: try row.decode(column: "met", as: Int.self), solved: try row.decode(column: "missed", as: Int.self))
        }
        for row in try await sql.raw("SELECT cause, SUM(created) AS created FROM report_causes WHERE " + cellCondition(cell) + days
                                     + " GROUP BY cause").all() {
            data.causes[try row.decode(column: "cause", as: String.self)] = try row.decode(column: "created", as: Int.self)
        }
        data.backlogBefore = try await sql.raw("""
            SELECT COALESCE(SUM(created), 0) - COALESCE(SUM(solved), 0) AS n FROM report_daily WHERE
            """ + " " + cellCondition(cell) + " AND day < \(bind: first)").first()?.decode(column: "n", as: Int.self) ?? 0
        data.normalize()
        return data
    }

    /// The same figures counted from the tickets themselves (any filter, organization included).
    static func direct(_ period: ReportPeriod, filter: ReportFilter, services: AppServices, on sql: any SQLDatabase) async throws -> ReportData {
        let counts = try await ReportRollup.direct(days: period.days, organizationID: filter.organization, services: services, on: sql)
        let cell = filter.cell
        var data = ReportData()
        for (day, counters) in counts.narrowed(to: cell).counters { data.daily[day] = counters[cell] }
        var anyChannel = cell, anyType = cell, anyAgent = cell
        anyChannel.channel = ReportCell.any
        anyType.type = ReportCell.any
        anyAgent.agent = ReportCell.all
        for (day, cells) in counts.counters {
            for (own, c) in cells {
                if filter.channel == nil, anyChannel.covers(own) { data.channels[day, default: [:]][own.channel, default: 0] += c.created }
                if filter.type == nil, anyType.covers(own) { data.types[day, default: [:]][own.type, default: 0] += c.created }
                if anyAgent.covers(own), filter.agent == nil || filter.agent == own.agent {
                    data.agents[own.agent, default: .init()].created += c.created
                    data.agents[own.agent, default: .init()].solved += c.solved
                }
            }
        }
        let narrowed = counts.narrowed(to: cell)
        for (_, keys) in narrowed.sla {
            for (key, value) in keys {
                data.sla[.init(policyID: key.policyID, metric: key.metric), default: .init()].created += value.met
                data.sla[.init(policyID: key.policyID, metric: key.metric), default: .init()].solved += value.missed
            }
        }
        for (_, keys) in narrowed.causes { for (key, value) in keys { data.causes[key.cause, default: 0] += value } }
        let start = ReportDay.start(period.days.lowerBound)
        data.backlogBefore = try await sql.raw("""
            SELECT COUNT(*) AS n FROM tickets t WHERE t.created_at < \(bind: start) AND (t.solved_at IS NULL OR t.solved_at >= \(bind: start))
            """ + filter.ticketConditions).first()?.decode(column: "n", as: Int.self) ?? 0
        data.normalize()
        return data
    }

    // MARK: The report

    static func report(_ period: ReportPeriod, filter: ReportFilter, context: ServiceContext) async throws -> ReportDTO {
        try context.require(.manageQuality)
        let sql = context.sql
        var errors: [FieldError] = []
        if let channel = filter.channel, TicketChannel(rawValue: channel) == nil {
            errors.append(FieldError("channel", .unknownValue, TicketChannel.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        if let type = filter.type, TicketType(rawValue: type) == nil {
            errors.append(FieldError("type", .unknownValue, TicketType.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let data = filter.organization == nil
            ? try await fromRollups(period, filter: filter, on: sql)
            : try await direct(period, filter: filter, services: context.services, on: sql)
        return try await dto(data, period: period, filter: filter, context: context)
    }

    private struct NameRow: Decodable {
        let id: Int
        let name: String
    }

    static func dto(_ data: ReportData, period: ReportPeriod, filter: ReportFilter, context: ServiceContext) async throws -> ReportDTO {
        let sql = context.sql
        // Chart buckets: days, weeks or months.
        var buckets: [Int: ReportCounters] = [:]
        var bucketChannels: [Int: [String: Int]] = [:]
        var bucketTypes: [Int: [String: Int]] = [:]
        var starts = Set<Int>()
        for day in period.days { starts.insert(period.bucket(of: day)) }
        for (day, c) in data.daily { buckets[period.bucket(of: day), default: ReportCounters()].add(c) }
        for (day, map) in data.channels { for (k, v) in map { bucketChannels[period.bucket(of: day), default: [:]][k, default: 0] += v } }
        for (day, map) in data.types { for (k, v) in map { bucketTypes[period.bucket(of: day), default: [:]][k, default: 0] += v } }
        var total = ReportCounters()
        for (_, c) in data.daily { total.add(c) }
        // Backlog at the end of each bucket: open at the start, plus created, less solved.
        var backlog = data.backlogBefore
        var series: [ReportDTO.Point] = []
        for start in starts.sorted() {
            let c = buckets[start] ?? ReportCounters()
            backlog += c.created - c.solved
            series.append(.init(start: LocalDate(daysSinceEpoch: start).description, created: c.created, solved: c.solved, backlog: backlog,
                                firstResponseMedian: ReportHistogram.percentile(c.firstResponse, 0.5),
                                resolutionMedian: ReportHistogram.percentile(c.resolution, 0.5), good: c.good, bad: c.bad,
                                channels: bucketChannels[start] ?? [:], types: bucketTypes[start] ?? [:]))
        }
        // Urgent requests per month (seed 000 counts them): priority urgent, by month of creation.
        var urgent: [String: Int] = [:]
        for (day, c) in data.daily {
            let date = LocalDate(daysSinceEpoch: day)
            urgent[String(format: "%04d-%02d", date.year, date.month), default: 0] += c.priority[3]
        }
        var months: [String] = []
        var cursor = LocalDate(year: period.from.year, month: period.from.month, day: 1)
        while cursor.daysSinceEpoch <= period.to.daysSinceEpoch {
            months.append(String(format: "%04d-%02d", cursor.year, cursor.month))
            cursor = cursor.month == 12 ? LocalDate(year: cursor.year + 1, month: 1, day: 1) : LocalDate(year: cursor.year, month: cursor.month + 1, day: 1)
        }
        let language = context.language
        var channelTotals: [String: Int] = [:], typeTotals: [String: Int] = [:]
        for (_, map) in data.channels { for (k, v) in map { channelTotals[k, default: 0] += v } }
        for (_, map) in data.types { for (k, v) in map { typeTotals[k, default: 0] += v } }
        if let channel = filter.channel { channelTotals = [channel: total.created] }
        if let type = filter.type { typeTotals = [type: total.created] }
        let priorities = Dictionary(uniqueKeysWithValues: TicketPriority.allCases.map { ($0.rawValue, total.priority[$0.rank - 1]) })
        var urgencies = ["none": total.urgency[0]]
        for level in 1...4 { urgencies[String(level)] = total.urgency[level] }
        var responsibilities = ["none": total.responsibility[0]]
        for (i, r) in Responsibility.allCases.enumerated() { responsibilities[r.rawValue] = total.responsibility[i + 1] }
        // SLA outcomes with the policies' names.
        let policyNames = Dictionary(try await sql.raw("SELECT id, name FROM sla_policies").all(decoding: NameRow.self).map { ($0.id, $0.name) },
                                     uniquingKeysWith: { a, _ in a })
        let sla = data.sla.sorted { ($0.key.policyID, $0.key.metric) < ($1.key.policyID, $1.key.metric) }.map { key, value in
            ReportDTO.SLA(policyId: key.policyID, policy: policyNames[key.policyID] ?? "#\(key.policyID)", metric: key.metric,
                          metricName: SLAMetricNames.name(key.metric, language), met: value.created, missed: value.solved,
                          share: value.created + value.solved == 0 ? nil : (Double(value.created) * 1000 / Double(value.created + value.solved)).rounded() / 10)
        }
        // Agents: solved in the period, open now, their average review score in the period.
        let agentIDs = data.agents.keys.filter { $0 > 0 }
        var names: [Int: String] = [:]
        var open: [Int: Int] = [:]
        var scores: [Int: Double] = [:]
        if !agentIDs.isEmpty {
            for row in try await sql.raw("SELECT id, name FROM users WHERE id IN (\(binds: Array(agentIDs)))").all(decoding: NameRow.self) { names[row.id] = row.name }
            let catalog = try await context.services.catalog.snapshot(context.db)
            let active = catalog.statuses.filter { $0.category.isActive }.map(\.key)
            for row in try await sql.raw("""
                SELECT assignee_id, COUNT(*) AS n FROM tickets WHERE assignee_id IN (\(binds: Array(agentIDs))) AND status IN (\(binds: active)) GROUP BY assignee_id
                """).all() {
                open[try row.decode(column: "assignee_id", as: Int.self)] = try row.decode(column: "n", as: Int.self)
            }
            let firstWeek = period.from.adding(days: -period.from.weekdayIndex).description
            for row in try await sql.raw("""
                SELECT agent_id, AVG(total) AS average FROM reviews WHERE status = 'done' AND total IS NOT NULL AND agent_id IN (\(binds: Array(agentIDs)))
                AND week >= \(bind: firstWeek) AND week <= \(bind: period.to.description) GROUP BY agent_id
                """).all() {
                scores[try row.decode(column: "agent_id", as: Int.self)] = ((try row.decode(column: "average", as: Double.self)) * 10).rounded() / 10
            }
        }
        let agents = data.agents.sorted { ($0.value.solved, -$0.key) > ($1.value.solved, -$1.key) }.map { id, pair in
            ReportDTO.Agent(agent: id > 0 ? PersonRef(id: id, name: names[id] ?? "#\(id)") : nil, created: pair.created, solved: pair.solved,
                            openNow: open[id], reviewScore: scores[id])
        }
        // The latest comments of ratings in the period (straight from the surveys: they are few).
        var commentQuery: SQLQueryString = """
            SELECT t.number, s.rating, s.comment, s.rated_at FROM satisfaction_surveys s JOIN tickets t ON t.id = s.ticket_id
            WHERE s.comment IS NOT NULL AND s.rating IS NOT NULL
            AND s.solved_at >= \(bind: ReportDay.start(period.days.lowerBound)) AND s.solved_at < \(bind: ReportDay.start(period.days.upperBound + 1))
            """
        commentQuery = commentQuery + filter.ticketConditions
        // Newest solutions first, along the partial index of commented surveys: it stops at the 20th.
        let comments = try await sql.raw(commentQuery + " ORDER BY s.solved_at DESC LIMIT 20").all().map { row in
            ReportDTO.Comment(ticketNumber: try row.decode(column: "number", as: Int.self),
                              rating: SatisfactionRating(rawValue: try row.decode(column: "rating", as: String.self)) ?? .bad,
                              comment: try row.decode(column: "comment", as: String.self), ratedAt: try row.decode(column: "rated_at", as: Date?.self))
        }
        let rated = total.good + total.bad
        return ReportDTO(
            from: period.from.description, to: period.to.description, granularity: period.granularity.rawValue,
            totals: .init(created: total.created, solved: total.solved, responded: total.responded, backlog: backlog,
                          firstResponseMedian: ReportHistogram.percentile(total.firstResponse, 0.5),
                          firstResponseP90: ReportHistogram.percentile(total.firstResponse, 0.9),
                          resolutionMedian: ReportHistogram.percentile(total.resolution, 0.5),
                          resolutionP90: ReportHistogram.percentile(total.resolution, 0.9),
                          good: total.good, bad: total.bad, satisfaction: rated == 0 ? nil : (Double(total.good) * 1000 / Double(rated)).rounded() / 10),
            series: series,
            channels: channelTotals.filter { $0.value > 0 }, types: typeTotals.filter { $0.value > 0 }, priorities: priorities,
            urgencies: urgencies, responsibilities: responsibilities,
            causes: data.causes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(20).map { .init(cause: $0.key, created: $0.value) },
            sla: sla, agents: agents,
            urgentByMonth: months.map { .init(month: $0, count: urgent[$0] ?? 0) },
            comments: comments)
    }
}
