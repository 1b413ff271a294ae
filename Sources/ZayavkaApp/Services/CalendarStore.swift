import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Calendars and their special days in the database.
enum CalendarStore {
    struct Stored {
        let id: Int
        let key: String
        let name: String
        let isDefault: Bool
        let calendar: BusinessCalendar
        let dayCount: Int
    }

    static func replaceDays(calendarID: Int, with days: ProductionCalendarDays, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM calendar_days WHERE calendar_id = \(bind: calendarID)").run()
        let all: [SQLQueryString] = days.holidays.map { "(\(bind: calendarID), \(bind: $0.description), 'holiday')" }
            + days.workdays.map { "(\(bind: calendarID), \(bind: $0.description), 'workday')" }
            + days.shortDays.map { "(\(bind: calendarID), \(bind: $0.description), 'short')" }
        for chunk in stride(from: 0, to: all.count, by: 200) {
            let part = Array(all[chunk..<min(chunk + 200, all.count)])
            try await sql.raw("INSERT INTO calendar_days (calendar_id, date, kind) VALUES " + part.joined(separator: ", ")).run()
        }
    }

    static func days(calendarID: Int, on sql: any SQLDatabase) async throws -> ProductionCalendarDays {
        var text = ""
        for row in try await sql.raw("SELECT date, kind FROM calendar_days WHERE calendar_id = \(bind: calendarID)").all() {
            text += try row.decode(column: "date", as: String.self) + " " + row.decode(column: "kind", as: String.self) + "\n"
        }
        return try ProductionCalendarDays.parse(text)
    }

    static func load(where condition: SQLQueryString, on sql: any SQLDatabase) async throws -> [Stored] {
        var result: [Stored] = []
        for row in try await sql.raw("""
            SELECT id, key, name, time_zone, weekly, transferred_day_hours, shortening, is_default FROM business_calendars WHERE
            """ + " " + condition + " ORDER BY id").all() {
            let id = try row.decode(column: "id", as: Int.self)
            let days = try await days(calendarID: id, on: sql)
            let weekly = try WorkingTimeJSON.decode([[String]].self, try row.decode(column: "weekly", as: String.self))
            let transferred = try WorkingTimeJSON.decode([String].self, try row.decode(column: "transferred_day_hours", as: String.self))
            let zone = TimeZone(identifier: try row.decode(column: "time_zone", as: String.self)) ?? .moscow
            let calendar = BusinessCalendar(
                timeZone: zone, weekly: weekly.map { $0.compactMap(WorkingHours.init(range:)) }, holidays: days.holidays,
                transferredWorkdays: days.workdays, transferredDayHours: transferred.compactMap(WorkingHours.init(range:)),
                shortDays: days.shortDays, shortening: try row.decode(column: "shortening", as: Int.self))
            result.append(Stored(id: id, key: try row.decode(column: "key", as: String.self), name: try row.decode(column: "name", as: String.self),
                                 isDefault: try row.decode(column: "is_default", as: Bool.self), calendar: calendar,
                                 dayCount: days.holidays.count + days.workdays.count + days.shortDays.count))
        }
        return result
    }

    /// A calendar's id without loading its days: by key, or the default one.
    static func id(key: String? = nil, on sql: any SQLDatabase) async throws -> Int? {
        let condition: SQLQueryString = key.map { "key = \(bind: $0)" } ?? "is_default = \(bind: true)"
        return try await sql.raw("SELECT id FROM business_calendars WHERE " + condition + " ORDER BY id").first()?.decode(column: "id", as: Int.self)
    }

    static func find(_ key: String, on sql: any SQLDatabase) async throws -> Stored {
        guard let found = try await load(where: "key = \(bind: key)", on: sql).first else {
            throw ZayavkaError.notFound(entity: "calendar", id: key)
        }
        return found
    }
}
