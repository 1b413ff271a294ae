import Foundation

/// A civil date (no time zone): the unit holidays, transfers and shortened days are given in.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses "YYYY-MM-DD"; nil for anything else, including dates that do not exist.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        let date = LocalDate(year: year, month: month, day: day)
        guard (1...12).contains(month), day >= 1, LocalDate(daysSinceEpoch: date.daysSinceEpoch) == date else { return nil }
        self = date
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// The day `instant` falls on in `zone`.
    public init(containing instant: Date, in zone: TimeZone) {
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        self.init(daysSinceEpoch: BusinessCalendar.floorDiv(local, 86_400))
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    public var weekdayIndex: Int { ((daysSinceEpoch % 7) + 7 + 3) % 7 }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
}

/// One stretch of working time within a day, in minutes from local midnight: [start, end).
public struct WorkingHours: Sendable, Hashable, Codable {
    public let start: Int
    public let end: Int

    public init(_ start: Int, _ end: Int) {
        precondition(0 <= start && start < end && end <= 1440, "working hours must lie within one day")
        self.start = start
        self.end = end
    }

    /// "09:00", "18:00" → WorkingHours; nil when malformed or empty.
    public init?(from: String, to: String) {
        guard let start = Self.minutes(from), let end = Self.minutes(to), start < end else { return nil }
        self.init(start, end)
    }

    /// "09:00-18:00" → WorkingHours.
    public init?(range text: String) {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return nil }
        self.init(from: parts[0], to: parts[1])
    }

    /// "09:00-18:00".
    public var rangeText: String {
        func clock(_ m: Int) -> String { (m / 60 < 10 ? "0" : "") + "\(m / 60):" + (m % 60 < 10 ? "0" : "") + "\(m % 60)" }
        return clock(start) + "-" + clock(end)
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0...59).contains(m),
              h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    public var minutes: Int { end - start }
}

/// When a team works (SPEC S1): weekly hours (several stretches a day allowed) in a time zone,
/// holidays, weekend days worked by transfer, and shortened pre-holiday days. Requests arrive at
/// any time; clocks run only in working time. All arithmetic is exact to the second across
/// holidays and daylight-saving changes.
public struct BusinessCalendar: Sendable, Equatable {
    public var timeZone: TimeZone
    /// Seven entries, Monday first.
    public var weekly: [[WorkingHours]]
    public var holidays: Set<LocalDate>
    /// Weekend (or otherwise free) days that are worked, with `transferredDayHours`.
    public var transferredWorkdays: Set<LocalDate>
    public var transferredDayHours: [WorkingHours]
    /// Days that end `shortening` minutes early (Russian pre-holiday days: one hour).
    public var shortDays: Set<LocalDate>
    public var shortening: Int

    public init(timeZone: TimeZone, weekly: [[WorkingHours]], holidays: Set<LocalDate> = [], transferredWorkdays: Set<LocalDate> = [],
                transferredDayHours: [WorkingHours]? = nil, shortDays: Set<LocalDate> = [], shortening: Int = 60) {
        precondition(weekly.count == 7, "a week has seven days")
        self.timeZone = timeZone
        self.weekly = weekly.map { $0.sorted { $0.start < $1.start } }
        self.holidays = holidays
        self.transferredWorkdays = transferredWorkdays
        self.transferredDayHours = (transferredDayHours ?? weekly.first(where: { !$0.isEmpty }) ?? []).sorted { $0.start < $1.start }
        self.shortDays = shortDays
        self.shortening = shortening
    }

    /// The same hours Monday to Friday, weekends free.
    public static func fiveDay(_ hours: [WorkingHours], timeZone: TimeZone = .moscow, days: ProductionCalendarDays = .init()) -> BusinessCalendar {
        BusinessCalendar(timeZone: timeZone, weekly: Array(repeating: hours, count: 5) + [[], []],
                         holidays: days.holidays, transferredWorkdays: days.workdays, shortDays: days.shortDays)
    }

    /// The working hours of one local date, after holidays, transfers and shortening.
    public func hours(on date: LocalDate) -> [WorkingHours] {
        if holidays.contains(date) { return [] }
        let base = transferredWorkdays.contains(date) ? transferredDayHours : weekly[date.weekdayIndex]
        return shortDays.contains(date) ? Self.shorten(base, by: shortening) : base
    }

    /// Cuts `minutes` off the end of the day, across stretches if need be.
    static func shorten(_ hours: [WorkingHours], by minutes: Int) -> [WorkingHours] {
        var remaining = minutes
        var result = hours
        while remaining > 0, let last = result.last {
            result.removeLast()
            if last.minutes > remaining { result.append(WorkingHours(last.start, last.end - remaining)) }
            remaining -= last.minutes
        }
        return result
    }

    // MARK: Arithmetic

    /// How far ahead the arithmetic looks for working time before concluding there is none.
    public static let horizonDays = 3 * 366

    /// The instant at which `minutes` of working time have passed since `start`; nil when the
    /// calendar has no working time within the horizon.
    public func adding(workingMinutes minutes: Int, to start: Date) -> Date? {
        adding(workingSeconds: Double(minutes) * 60, to: start)
    }

    /// The instant at which `seconds` of working time have passed since `start`.
    public func adding(workingSeconds seconds: TimeInterval, to start: Date) -> Date? {
        precondition(seconds >= 0, "durations are not negative")
        var remaining = seconds
        if remaining == 0 { return start }
        for period in periods(from: start) {
            let length = period.end.timeIntervalSince(period.start)
            if length >= remaining { return period.start.addingTimeInterval(remaining) }
            remaining -= length
        }
        return nil
    }

    /// Working time between two instants, in seconds (zero when `end` is not after `start`).
    public func workingSeconds(from start: Date, to end: Date) -> TimeInterval {
        guard end > start else { return 0 }
        var total: TimeInterval = 0
        for period in periods(from: start) {
            if period.start >= end { break }
            total += min(period.end, end).timeIntervalSince(period.start)
        }
        return total
    }

    /// Whole working minutes between two instants.
    public func workingMinutes(from start: Date, to end: Date) -> Int { Int(workingSeconds(from: start, to: end) / 60) }

    /// `instant` itself when it is working time, else the start of the next working period.
    public func nextWorkingInstant(from instant: Date) -> Date? {
        for period in periods(from: instant) { return period.start }
        return nil
    }

    /// Whether an instant is working time (the definition the arithmetic follows).
    public func isWorking(_ instant: Date) -> Bool {
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: instant)
        let day = Self.floorDiv(local, 86_400)
        let second = local - day * 86_400
        return hours(on: LocalDate(daysSinceEpoch: day)).contains { $0.start * 60 <= second && second < $0.end * 60 }
    }

    /// Working periods from `start` onwards, in order, clipped to begin no earlier than `start`.
    public func periods(from start: Date) -> PeriodSequence { PeriodSequence(calendar: self, start: start) }

    public struct Period: Sendable, Equatable {
        public let start: Date
        public let end: Date
    }

    /// Walks stretches of constant UTC offset; within one, local time is absolute time plus the
    /// offset, so a local working interval maps to one absolute interval, exact across DST gaps
    /// (skipped local times are never working) and overlaps (repeated local times work twice).
    public struct PeriodSequence: Sequence, IteratorProtocol {
        let calendar: BusinessCalendar
        var cursor: Date
        let limit: Date
        var pending: [Period] = []

        init(calendar: BusinessCalendar, start: Date) {
            self.calendar = calendar
            self.cursor = start
            self.limit = start.addingTimeInterval(Double(BusinessCalendar.horizonDays) * 86_400)
        }

        public mutating func next() -> Period? {
            while pending.isEmpty {
                guard cursor < limit else { return nil }
                fillNextSegment()
            }
            return pending.removeFirst()
        }

        /// Collects the periods of the offset segment starting at `cursor` (at most one local day at a time).
        private mutating func fillNextSegment() {
            let zone = calendar.timeZone
            let offset = zone.secondsFromGMT(for: cursor)
            let transition = zone.nextDaylightSavingTimeTransition(after: cursor) ?? limit
            let localStart = cursor.timeIntervalSince1970 + Double(offset)
            let day = BusinessCalendar.floorDiv(Int(localStart.rounded(.down)), 86_400)
            // Stop at the end of this local day or at the next offset change, whichever is first.
            let dayEnd = Date(timeIntervalSince1970: Double((day + 1) * 86_400 - offset))
            let segmentEnd = Swift.min(dayEnd, transition, limit)
            for hours in calendar.hours(on: LocalDate(daysSinceEpoch: day)) {
                let a = Date(timeIntervalSince1970: Double(day * 86_400 + hours.start * 60 - offset))
                let b = Date(timeIntervalSince1970: Double(day * 86_400 + hours.end * 60 - offset))
                let start = Swift.max(a, cursor)
                let end = Swift.min(b, segmentEnd)
                if start < end { pending.append(Period(start: start, end: end)) }
            }
            cursor = segmentEnd
        }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

extension TimeZone {
    /// Europe/Moscow: the default for every calendar (SPEC S1).
    public static let moscow = TimeZone(identifier: "Europe/Moscow")!
}

/// The special days of a production calendar: holidays, worked weekend days, shortened days.
public struct ProductionCalendarDays: Sendable, Equatable {
    public var holidays: Set<LocalDate>
    public var workdays: Set<LocalDate>
    public var shortDays: Set<LocalDate>

    public init(holidays: Set<LocalDate> = [], workdays: Set<LocalDate> = [], shortDays: Set<LocalDate> = []) {
        self.holidays = holidays
        self.workdays = workdays
        self.shortDays = shortDays
    }

    public enum Kind: String, Sendable, CaseIterable { case holiday, workday, short }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let text: String
        public var description: String { "line \(line): cannot read “\(text)” (expected “YYYY-MM-DD holiday|workday|short”)" }
    }

    /// Reads lines "YYYY-MM-DD kind", with "#" comments and blank lines allowed; commas work as separators
    /// too, so "date,kind,comment" CSV reads the same.
    public static func parse(_ text: String) throws -> ProductionCalendarDays {
        var days = ProductionCalendarDays()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count >= 2, let date = LocalDate(fields[0]), let kind = Kind(rawValue: String(fields[1])) else {
                throw ParseError(line: index + 1, text: raw.trimmingCharacters(in: .whitespaces))
            }
            switch kind {
            case .holiday: days.holidays.insert(date)
            case .workday: days.workdays.insert(date)
            case .short: days.shortDays.insert(date)
            }
        }
        return days
    }

    /// The same data as text, one date a line, sorted: what `parse` reads back.
    public func export() -> String {
        let lines = holidays.map { ($0, Kind.holiday) } + workdays.map { ($0, Kind.workday) } + shortDays.map { ($0, Kind.short) }
        return lines.sorted { ($0.0, $0.1.rawValue) < ($1.0, $1.1.rawValue) }.map { "\($0.0) \($0.1.rawValue)" }.joined(separator: "\n") + "\n"
    }
}
