import Foundation

// Reports (SPEC Q4, issue 18): counters per Moscow day and per "cell" (group, agent, channel, type),
// kept as daily rollups and read over any period. The same aggregation builds a day's rollup and
// a direct count from the tickets, so the two can be compared exactly.

/// Response and resolution times as histograms of working minutes: fixed buckets, so days and
/// cells add up, and percentiles are read by linear interpolation inside the bucket.
public enum ReportHistogram {
    /// Bucket lower bounds in working minutes; the last bucket is open (a week of working time and more).
    public static let edges = [0, 5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440, 2160, 2880, 4320, 7200, 10080]
    public static var count: Int { edges.count }

    public static func bucket(_ minutes: Int) -> Int {
        var index = 0
        for (i, edge) in edges.enumerated() where minutes >= edge { index = i }
        return index
    }

    /// The `p` quantile (0…1) of a histogram, in minutes; nil when it is empty.
    public static func percentile(_ counts: [Int], _ p: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = p * Double(total)
        var below = 0
        for (i, count) in counts.enumerated() where count > 0 {
            if Double(below + count) >= rank {
                let low = Double(edges[i])
                // The open last bucket is read as if it were as wide as the one before it.
                let high = i + 1 < edges.count ? Double(edges[i + 1]) : low * 2
                let inside = max(0, rank - Double(below)) / Double(count)
                return ((low + (high - low) * inside) * 10).rounded() / 10
            }
            below += count
        }
        return Double(edges[edges.count - 1])
    }
}

/// What a cell counts on one day.
public struct ReportCounters: Sendable, Equatable {
    public var created = 0
    public var solved = 0
    public var responded = 0
    /// Created, by priority (low, normal, high, urgent).
    public var priority = [0, 0, 0, 0]
    /// Created, by urgency: none, 1, 2, 3, 4.
    public var urgency = [0, 0, 0, 0, 0]
    /// Created, by responsibility: none, then `Responsibility.allCases` in order.
    public var responsibility = Array(repeating: 0, count: Responsibility.allCases.count + 1)
    /// Ratings of solutions given that day.
    public var good = 0
    public var bad = 0
    /// First response and resolution, working minutes.
    public var firstResponse = Array(repeating: 0, count: ReportHistogram.count)
    public var resolution = Array(repeating: 0, count: ReportHistogram.count)

    public init() {}

    public var isEmpty: Bool { self == ReportCounters() }

    public mutating func add(_ other: ReportCounters) {
        created += other.created
        solved += other.solved
        responded += other.responded
        good += other.good
        bad += other.bad
        for i in priority.indices { priority[i] += other.priority[i] }
        for i in urgency.indices { urgency[i] += other.urgency[i] }
        for i in responsibility.indices { responsibility[i] += other.responsibility[i] }
        for i in firstResponse.indices { firstResponse[i] += other.firstResponse[i] }
        for i in resolution.indices { resolution[i] += other.resolution[i] }
    }
}

/// Who and what a row of the rollup is about; -1 and "*" stand for "all" (the rollup keeps every
/// combination of the four filters, so a report reads one row a day whatever it filters on).
public struct ReportCell: Sendable, Hashable {
    public static let all = -1
    public static let any = "*"

    public var group: Int
    public var agent: Int
    public var channel: String
    public var type: String

    public init(group: Int, agent: Int, channel: String, type: String) {
        self.group = group
        self.agent = agent
        self.channel = channel
        self.type = type
    }

    /// The 16 cells a ticket's own cell counts in: each filter either its value or "all".
    public var generalizations: [ReportCell] {
        var result: [ReportCell] = []
        for mask in 0..<16 {
            result.append(ReportCell(group: mask & 1 == 0 ? group : Self.all, agent: mask & 2 == 0 ? agent : Self.all,
                                     channel: mask & 4 == 0 ? channel : Self.any, type: mask & 8 == 0 ? type : Self.any))
        }
        return result
    }

    /// The cell of a report's filters (nil: all).
    public static func filter(group: Int?, agent: Int?, channel: String?, type: String?) -> ReportCell {
        ReportCell(group: group ?? all, agent: agent ?? all, channel: channel ?? any, type: type ?? any)
    }

    /// Whether a ticket's own cell counts in this (filter) cell.
    public func covers(_ own: ReportCell) -> Bool {
        (group == Self.all || group == own.group) && (agent == Self.all || agent == own.agent)
            && (channel == Self.any || channel == own.channel) && (type == Self.any || type == own.type)
    }
}

/// One ticket as the reports see it.
public struct ReportTicket: Sendable {
    public var cell: ReportCell
    public var createdAt: Date
    public var solvedAt: Date?
    public var firstResponseAt: Date?
    public var priority: TicketPriority
    public var urgency: Int?
    public var responsibility: Responsibility?
    public var cause: String?

    public init(cell: ReportCell, createdAt: Date, solvedAt: Date?, firstResponseAt: Date?, priority: TicketPriority, urgency: Int?,
                responsibility: Responsibility?, cause: String?) {
        self.cell = cell
        self.createdAt = createdAt
        self.solvedAt = solvedAt
        self.firstResponseAt = firstResponseAt
        self.priority = priority
        self.urgency = urgency
        self.responsibility = responsibility
        self.cause = cause
    }
}

/// A rating, a finished SLA target: with the ticket's cell and the day it counts on.
public struct ReportRating: Sendable {
    public var cell: ReportCell
    public var solvedAt: Date
    public var good: Bool
    public init(cell: ReportCell, solvedAt: Date, good: Bool) {
        self.cell = cell
        self.solvedAt = solvedAt
        self.good = good
    }
}

public struct ReportSLAOutcome: Sendable {
    public var cell: ReportCell
    public var stoppedAt: Date
    public var policyID: Int
    public var metric: String
    public var achieved: Bool
    public init(cell: ReportCell, stoppedAt: Date, policyID: Int, metric: String, achieved: Bool) {
        self.cell = cell
        self.stoppedAt = stoppedAt
        self.policyID = policyID
        self.metric = metric
        self.achieved = achieved
    }
}

/// Days as the reports count them: Moscow dates, as days since 1970-01-01.
public enum ReportDay {
    public static func of(_ date: Date) -> Int { LocalDate(containing: date, in: ReviewWeek.moscow).daysSinceEpoch }
    public static func start(_ day: Int) -> Date { ReviewWeek.start(of: LocalDate(daysSinceEpoch: day)) }
}

/// Everything counted on some days, per ticket cell (before the "all" generalizations).
public struct ReportDays: Sendable, Equatable {
    public struct SLAKey: Sendable, Hashable {
        public var cell: ReportCell
        public var policyID: Int
        public var metric: String
        public init(cell: ReportCell, policyID: Int, metric: String) {
            self.cell = cell
            self.policyID = policyID
            self.metric = metric
        }
    }
    public struct CauseKey: Sendable, Hashable {
        public var cell: ReportCell
        public var cause: String
        public init(cell: ReportCell, cause: String) {
            self.cell = cell
            self.cause = cause
        }
    }

    public var counters: [Int: [ReportCell: ReportCounters]] = [:]
    /// Met and missed targets.
    public var sla: [Int: [SLAKey: (met: Int, missed: Int)]] = [:]
    /// Created, by cause.
    public var causes: [Int: [CauseKey: Int]] = [:]

    public init() {}

    public static func == (lhs: ReportDays, rhs: ReportDays) -> Bool {
        lhs.counters == rhs.counters && lhs.causes == rhs.causes
            && lhs.sla.mapValues { $0.mapValues { [$0.met, $0.missed] } } == rhs.sla.mapValues { $0.mapValues { [$0.met, $0.missed] } }
    }

    /// Counts what happened on `days` (nil: any day): creation, solution and first response on their
    /// own days, ratings on the solution's day, SLA targets on the day they stopped. `workingMinutes`
    /// measures a span in the desk's working time.
    public static func aggregate(tickets: [ReportTicket], ratings: [ReportRating], outcomes: [ReportSLAOutcome], days: ClosedRange<Int>?,
                                 workingMinutes: (Date, Date) -> Int) -> ReportDays {
        var result = ReportDays()
        func within(_ day: Int) -> Bool { days?.contains(day) ?? true }
        for ticket in tickets {
            let created = ReportDay.of(ticket.createdAt)
            if within(created) {
                var c = result.counters[created, default: [:]][ticket.cell, default: ReportCounters()]
                c.created += 1
                c.priority[min(max(ticket.priority.rank - 1, 0), 3)] += 1
                c.urgency[ticket.urgency.map { min(max($0, 0), 4) } ?? 0] += 1
                c.responsibility[ticket.responsibility.flatMap { Responsibility.allCases.firstIndex(of: $0) }.map { $0 + 1 } ?? 0] += 1
                result.counters[created, default: [:]][ticket.cell] = c
                if let cause = ticket.cause?.trimmingCharacters(in: .whitespacesAndNewlines), !cause.isEmpty {
                    result.causes[created, default: [:]][CauseKey(cell: ticket.cell, cause: String(cause.prefix(100))), default: 0] += 1
                }
            }
            if let solved = ticket.solvedAt, within(ReportDay.of(solved)) {
                let day = ReportDay.of(solved)
                var c = result.counters[day, default: [:]][ticket.cell, default: ReportCounters()]
                c.solved += 1
                c.resolution[ReportHistogram.bucket(workingMinutes(ticket.createdAt, solved))] += 1
                result.counters[day, default: [:]][ticket.cell] = c
            }
            if let responded = ticket.firstResponseAt, within(ReportDay.of(responded)) {
                let day = ReportDay.of(responded)
                var c = result.counters[day, default: [:]][ticket.cell, default: ReportCounters()]
                c.responded += 1
                c.firstResponse[ReportHistogram.bucket(workingMinutes(ticket.createdAt, responded))] += 1
                result.counters[day, default: [:]][ticket.cell] = c
            }
        }
        for rating in ratings where within(ReportDay.of(rating.solvedAt)) {
            let day = ReportDay.of(rating.solvedAt)
            var c = result.counters[day, default: [:]][rating.cell, default: ReportCounters()]
            if rating.good { c.good += 1 } else { c.bad += 1 }
            result.counters[day, default: [:]][rating.cell] = c
        }
        for outcome in outcomes where within(ReportDay.of(outcome.stoppedAt)) {
            let day = ReportDay.of(outcome.stoppedAt)
            let key = SLAKey(cell: outcome.cell, policyID: outcome.policyID, metric: outcome.metric)
            var value = result.sla[day, default: [:]][key] ?? (0, 0)
            if outcome.achieved { value.met += 1 } else { value.missed += 1 }
            result.sla[day, default: [:]][key] = value
        }
        return result
    }

    /// The same counts for one filter cell: what a report with these filters reads.
    public func narrowed(to filter: ReportCell) -> ReportDays {
        var result = ReportDays()
        for (day, cells) in counters {
            var sum = ReportCounters()
            for (cell, counters) in cells where filter.covers(cell) { sum.add(counters) }
            if !sum.isEmpty { result.counters[day] = [filter: sum] }
        }
        for (day, keys) in sla {
            for (key, value) in keys where filter.covers(key.cell) {
                let narrowed = SLAKey(cell: filter, policyID: key.policyID, metric: key.metric)
                let before = result.sla[day, default: [:]][narrowed] ?? (0, 0)
                result.sla[day, default: [:]][narrowed] = (before.met + value.met, before.missed + value.missed)
            }
        }
        for (day, keys) in causes {
            for (key, value) in keys where filter.covers(key.cell) {
                result.causes[day, default: [:]][CauseKey(cell: filter, cause: key.cause), default: 0] += value
            }
        }
        return result
    }
}

/// A report's period: whole Moscow days, at most three years; and how its charts group the days.
public struct ReportPeriod: Sendable, Equatable {
    public static let maxDays = 1_096

    public enum Granularity: String, Sendable { case day, week, month }

    public let from: LocalDate
    public let to: LocalDate

    /// Checks a period: both ends given as dates, `from` not after `to`, not longer than three years.
    public init(from: LocalDate, to: LocalDate) throws {
        var errors: [FieldError] = []
        if from > to { errors.append(FieldError("from", .outOfRange, "from ≤ to")) }
        if to.daysSinceEpoch - from.daysSinceEpoch + 1 > Self.maxDays { errors.append(FieldError("to", .outOfRange, "≤ \(Self.maxDays) days")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        self.from = from
        self.to = to
    }

    public var days: ClosedRange<Int> { from.daysSinceEpoch...to.daysSinceEpoch }

    public var granularity: Granularity {
        let length = to.daysSinceEpoch - from.daysSinceEpoch + 1
        return length <= 62 ? .day : length <= 370 ? .week : .month
    }

    /// The first day of the chart bucket a day falls in (a Monday, or the 1st of the month), clamped to the period.
    public func bucket(of day: Int) -> Int {
        let date = LocalDate(daysSinceEpoch: day)
        let start: Int = switch granularity {
        case .day: day
        case .week: day - date.weekdayIndex
        case .month: LocalDate(year: date.year, month: date.month, day: 1).daysSinceEpoch
        }
        return max(start, from.daysSinceEpoch)
    }
}
