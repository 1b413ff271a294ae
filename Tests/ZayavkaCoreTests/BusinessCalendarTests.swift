import Foundation
import PropertyBased
import Testing
@testable import ZayavkaCore

/// A deliberately naive reference: walks minute by minute and asks Foundation's Calendar (not the
/// engine's offset arithmetic) for each minute's local date and time.
struct MinuteWalker {
    let calendar: BusinessCalendar
    let gregorian: Calendar

    init(_ calendar: BusinessCalendar) {
        self.calendar = calendar
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = calendar.timeZone
        self.gregorian = gregorian
    }

    func isWorking(_ t: Date) -> Bool {
        let c = gregorian.dateComponents([.year, .month, .day, .hour, .minute], from: t)
        let minute = c.hour! * 60 + c.minute!
        return calendar.hours(on: LocalDate(year: c.year!, month: c.month!, day: c.day!)).contains { $0.start <= minute && minute < $0.end }
    }

    func adding(_ minutes: Int, to start: Date) -> Date? {
        var t = start
        var counted = 0
        var steps = 0
        while counted < minutes {
            if isWorking(t) { counted += 1 }
            t += 60
            steps += 1
            if steps > 400_000 { return nil }
        }
        return t
    }

    func workingMinutes(from start: Date, to end: Date) -> Int {
        var t = start
        var counted = 0
        while t < end {
            if isWorking(t) { counted += 1 }
            t += 60
        }
        return counted
    }

    func next(from start: Date) -> Date? {
        var t = start
        for _ in 0..<400_000 {
            if isWorking(t) { return t }
            t += 60
        }
        return nil
    }
}

@Suite("Business calendar arithmetic")
struct BusinessCalendarTests {
    static let zones = ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
        .map { TimeZone(identifier: $0)! }

    /// Day templates, including stretches across the night hours where DST changes happen.
    static let dayTemplates: [[WorkingHours]] = [
        [], [WorkingHours(9 * 60, 18 * 60)], [WorkingHours(7 * 60, 17 * 60)],
        [WorkingHours(9 * 60, 13 * 60), WorkingHours(14 * 60, 18 * 60)], [WorkingHours(0, 1440)],
        [WorkingHours(90, 210)], [WorkingHours(22 * 60, 1440)], [WorkingHours(0, 150), WorkingHours(20 * 60 + 5, 23 * 60 + 55)],
    ]

    static let base = LocalDate(year: 2025, month: 1, day: 1)

    /// Builds a calendar from generated numbers: a template per weekday, and special days as
    /// offset * 3 + kind within two years from 2025-01-01 (so DST changes of 2025 and 2026 are inside).
    static func calendar(zone: Int, week: [Int], specials: [Int]) -> BusinessCalendar {
        var days = ProductionCalendarDays()
        for code in specials {
            let date = base.adding(days: code / 3)
            switch code % 3 {
            case 0: days.holidays.insert(date)
            case 1: days.workdays.insert(date)
            default: days.shortDays.insert(date)
            }
        }
        return BusinessCalendar(timeZone: zones[zone], weekly: week.map { dayTemplates[$0] }, holidays: days.holidays,
                                transferredWorkdays: days.workdays, transferredDayHours: dayTemplates[3], shortDays: days.shortDays)
    }

    static let specialsGen = Gen.int(in: 0...(730 * 3 - 1)).array(of: 0...40)
    static let weekGen = Gen.int(in: 0...7).array(of: 7...7)
    /// Minute-aligned instants across 2025–2026.
    static let startGen = Gen.int(in: 0...(730 * 1440))

    static func instant(_ minutes: Int) -> Date {
        Date(timeIntervalSince1970: Double(base.daysSinceEpoch * 86_400 + minutes * 60))
    }

    @Test("adding working minutes matches the minute-by-minute walker")
    func addingMatchesWalker() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...4), Self.weekGen, Self.specialsGen, Self.startGen, Gen.int(in: 0...2400)) {
            zone, week, specials, start, minutes in
            let calendar = Self.calendar(zone: zone, week: week, specials: specials)
            guard calendar.weekly.contains(where: { !$0.isEmpty }) else { return }
            let from = Self.instant(start)
            #expect(calendar.adding(workingMinutes: minutes, to: from) == MinuteWalker(calendar).adding(minutes, to: from),
                    "zone \(calendar.timeZone.identifier) from \(from) + \(minutes) min")
        }
    }

    @Test("working time between two instants matches the walker")
    func workingTimeMatchesWalker() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...4), Self.weekGen, Self.specialsGen, Self.startGen, Gen.int(in: 0...(6 * 1440))) {
            zone, week, specials, start, span in
            let calendar = Self.calendar(zone: zone, week: week, specials: specials)
            let from = Self.instant(start)
            let to = from.addingTimeInterval(Double(span) * 60)
            #expect(calendar.workingMinutes(from: from, to: to) == MinuteWalker(calendar).workingMinutes(from: from, to: to),
                    "zone \(calendar.timeZone.identifier) from \(from) to \(to)")
        }
    }

    @Test("the next working instant matches the walker, and working time from it adds up")
    func nextWorkingInstantMatchesWalker() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...4), Self.weekGen, Self.specialsGen, Self.startGen) { zone, week, specials, start in
            let calendar = Self.calendar(zone: zone, week: week, specials: specials)
            guard calendar.weekly.contains(where: { !$0.isEmpty }) else { return }
            let from = Self.instant(start)
            let next = calendar.nextWorkingInstant(from: from)
            #expect(next == MinuteWalker(calendar).next(from: from))
            #expect(calendar.isWorking(from) == MinuteWalker(calendar).isWorking(from))
            if let next { #expect(calendar.workingSeconds(from: from, to: next) == 0) }
        }
    }

    @Test("adding then measuring gives back the duration")
    func roundTrip() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...4), Self.weekGen, Self.specialsGen, Self.startGen, Gen.int(in: 0...20_000)) {
            zone, week, specials, start, minutes in
            let calendar = Self.calendar(zone: zone, week: week, specials: specials)
            let from = Self.instant(start)
            guard let due = calendar.adding(workingMinutes: minutes, to: from) else { return }
            #expect(calendar.workingMinutes(from: from, to: due) == minutes)
        }
    }

    // MARK: Worked examples

    let moscow9to18 = BusinessCalendar.fiveDay([WorkingHours(9 * 60, 18 * 60)])

    func moscow(_ text: String) -> Date {
        try! Date(text + "+03:00", strategy: .iso8601)
    }

    @Test("a Friday evening request with 4 working hours is due Monday at 13:00 Moscow time")
    func weekend() {
        #expect(moscow9to18.adding(workingMinutes: 240, to: moscow("2026-03-13T17:30:00")) == moscow("2026-03-16T12:30:00"))
        #expect(moscow9to18.adding(workingMinutes: 240, to: moscow("2026-03-13T19:00:00")) == moscow("2026-03-16T13:00:00"))
        #expect(moscow9to18.nextWorkingInstant(from: moscow("2026-03-14T10:00:00")) == moscow("2026-03-16T09:00:00"))
        #expect(moscow9to18.workingMinutes(from: moscow("2026-03-13T17:00:00"), to: moscow("2026-03-16T10:00:00")) == 120)
    }

    @Test("holidays are skipped, a worked Saturday counts, a shortened day ends an hour early")
    func specialDays() {
        var calendar = moscow9to18
        calendar.holidays = [LocalDate("2026-03-09")!]
        calendar.transferredWorkdays = [LocalDate("2026-03-07")!]
        calendar.shortDays = [LocalDate("2026-03-06")!]
        // Friday (short day, ends 17:00) 16:00 + 3 h: 1 h Friday, 2 h on the worked Saturday.
        #expect(calendar.adding(workingMinutes: 180, to: moscow("2026-03-06T16:00:00")) == moscow("2026-03-07T11:00:00"))
        // Saturday 17:00 + 2 h: 1 h Saturday, Monday is a holiday, 1 h Tuesday.
        #expect(calendar.adding(workingMinutes: 120, to: moscow("2026-03-07T17:00:00")) == moscow("2026-03-10T10:00:00"))
        #expect(calendar.hours(on: LocalDate("2026-03-06")!) == [WorkingHours(9 * 60, 17 * 60)])
    }

    @Test("several stretches a day, and shortening across them")
    func stretches() {
        let lunch = BusinessCalendar.fiveDay([WorkingHours(9 * 60, 13 * 60), WorkingHours(14 * 60, 18 * 60)])
        #expect(lunch.adding(workingMinutes: 240, to: moscow("2026-03-11T12:00:00")) == moscow("2026-03-11T17:00:00"))
        #expect(BusinessCalendar.shorten([WorkingHours(9 * 60, 13 * 60), WorkingHours(14 * 60, 14 * 60 + 30)], by: 60)
                == [WorkingHours(9 * 60, 12 * 60 + 30)])
    }

    @Test("across a daylight-saving change the clock counts real time")
    func daylightSaving() {
        // Berlin springs forward on 2026-03-29 at 02:00 → 03:00; a night shift 01:30–03:30 then lasts one hour.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let night = BusinessCalendar(timeZone: berlin, weekly: Array(repeating: [WorkingHours(90, 210)], count: 7))
        let start = try! Date("2026-03-29T01:30:00+01:00", strategy: .iso8601)
        #expect(night.workingMinutes(from: start, to: start.addingTimeInterval(6 * 3600)) == 60)
        // And falls back on 2026-10-25 at 03:00 → 02:00: the same shift then lasts three hours.
        let autumn = try! Date("2026-10-25T01:30:00+02:00", strategy: .iso8601)
        #expect(night.workingMinutes(from: autumn, to: autumn.addingTimeInterval(6 * 3600)) == 180)
    }

    @Test("a calendar without working time says so instead of looping")
    func noWorkingTime() {
        let never = BusinessCalendar(timeZone: .moscow, weekly: Array(repeating: [], count: 7))
        #expect(never.adding(workingMinutes: 1, to: Date()) == nil)
        #expect(never.nextWorkingInstant(from: Date()) == nil)
    }

    @Test("local dates convert, know their weekday, and parse strictly")
    func localDates() {
        #expect(LocalDate("2026-01-01")!.weekdayIndex == 3)  // Thursday
        #expect(LocalDate("2027-01-01")!.weekdayIndex == 4)  // Friday
        #expect(LocalDate("1969-12-31")!.daysSinceEpoch == -1)
        #expect(LocalDate("2026-02-29") == nil && LocalDate("2026-13-01") == nil && LocalDate("26-1-1") == nil)
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            #expect(LocalDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
    }

    @Test("production calendar files read, report bad lines, and round-trip")
    func productionFile() throws {
        let days = try ProductionCalendarDays.parse("""
            # comment
            2026-01-01 holiday  # Новый год
            2026-03-06,short,предпраздничный

            2026-03-07 workday
            """)
        #expect(days.holidays == [LocalDate("2026-01-01")!] && days.shortDays == [LocalDate("2026-03-06")!])
        #expect(try ProductionCalendarDays.parse(days.export()) == days)
        #expect(throws: ProductionCalendarDays.ParseError(line: 2, text: "2026-02-30 holiday")) {
            try ProductionCalendarDays.parse("2026-01-01 holiday\n2026-02-30 holiday")
        }
    }
}

@Suite("The Russian production calendar")
struct RussianCalendarTests {
    let calendar = BusinessCalendar.russianFiveDay()

    func moscow(_ text: String) -> Date { try! Date(text + "+03:00", strategy: .iso8601) }

    @Test("each year has the published totals: 247 working days, 118 days off, 1972 hours at 40 h a week",
          arguments: [2025, 2026, 2027])
    func yearlyTotals(year: Int) {
        var workingDays = 0
        var date = LocalDate(year: year, month: 1, day: 1)
        let end = LocalDate(year: year + 1, month: 1, day: 1)
        var days = 0
        while date < end {
            let minutes = calendar.hours(on: date).reduce(0) { $0 + $1.minutes }
            if minutes > 0 { workingDays += 1 }
            days += 1
            date = date.adding(days: 1)
        }
        // The 40-hour-week norm: 8 hours a working day, 7 on a shortened one.
        let shortened = ProductionCalendarDays.russia.shortDays.filter { $0.year == year }.count
        #expect(workingDays == 247)
        #expect(days - workingDays == 118)
        #expect(workingDays * 8 - shortened == 1972)
        #expect(shortened == 4)
    }

    @Test("a request at 17:30 on the last working day before the New Year holidays, 4 working hours, is due on the first working day after them")
    func newYear() {
        // 2025 → 2026: 31 Dec 2025 is a day off (moved from 5 Jan); 1–11 Jan 2026 are off (3 Jan moved to 9 Jan).
        #expect(calendar.adding(workingMinutes: 240, to: moscow("2025-12-30T17:30:00")) == moscow("2026-01-12T12:30:00"))
        // 2026 → 2027: 31 Dec 2026 is a day off (moved from 4 Jan); 1–10 Jan 2027 are off.
        #expect(calendar.adding(workingMinutes: 240, to: moscow("2026-12-30T17:30:00")) == moscow("2027-01-11T12:30:00"))
        #expect(calendar.nextWorkingInstant(from: moscow("2026-01-01T10:00:00")) == moscow("2026-01-12T09:00:00"))
    }

    @Test("the pre-holiday day before May Day 2026 ends at 17:00; the holidays are skipped")
    func mayDay() {
        #expect(calendar.hours(on: LocalDate("2026-04-30")!) == [WorkingHours(9 * 60, 17 * 60)])
        #expect(calendar.adding(workingMinutes: 120, to: moscow("2026-04-30T16:00:00")) == moscow("2026-05-04T10:00:00"))
        // 9 May 2026 is a Saturday: Monday 11 May is off, so Friday 8 May is short.
        #expect(calendar.adding(workingMinutes: 60, to: moscow("2026-05-08T16:30:00")) == moscow("2026-05-12T09:30:00"))
    }

    @Test("worked Saturdays count: 1 November 2025 and 20 February 2027 (both shortened)")
    func workedSaturdays() {
        #expect(calendar.hours(on: LocalDate("2025-11-01")!) == [WorkingHours(9 * 60, 17 * 60)])
        #expect(calendar.hours(on: LocalDate("2027-02-20")!) == [WorkingHours(9 * 60, 17 * 60)])
        #expect(calendar.hours(on: LocalDate("2027-02-22")!).isEmpty)
        #expect(calendar.adding(workingMinutes: 60, to: moscow("2025-10-31T17:30:00")) == moscow("2025-11-01T09:30:00"))
    }
}
