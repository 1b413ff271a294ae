import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Business calendars with their special days, and SLA policies (issue 5). Seeds the default
/// calendar: Monday to Friday 9:00–18:00 Moscow time on the Russian production calendar.
struct M009CreateWorkingTime: AsyncMigration {
    var name: String { "M009CreateWorkingTime" }

    func prepare(on database: any Database) async throws {
        try await database.schema("business_calendars")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name", .string, .required)
            .field("time_zone", .string, .required)
            .field("weekly", .string, .required)
            .field("transferred_day_hours", .string, .required)
            .field("shortening", .int, .required)
            .field("is_default", .bool, .required)
            .field("created_at", .datetime)
            .unique(on: "key")
            .create()
        try await database.schema("calendar_days")
            .field("id", .int, .identifier(auto: true))
            .field("calendar_id", .int, .required, .references("business_calendars", "id", onDelete: .cascade))
            .field("date", .string, .required)
            .field("kind", .string, .required)
            .unique(on: "calendar_id", "date", "kind")
            .create()
        try await database.schema("sla_policies")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name", .string, .required)
            .field("position", .int, .required)
            .field("conditions", .string, .required)
            .field("targets", .string, .required)
            .field("warn_at_percent", .int, .required)
            .field("calendar_id", .int, .required, .references("business_calendars", "id"))
            .field("active", .bool, .required)
            .unique(on: "key")
            .create()
        let sql = database as! any SQLDatabase
        let weekly = try WorkingTimeJSON.encode(Array(repeating: ["09:00-18:00"], count: 5) + [[], []])
        let id = try await sql.raw("""
            INSERT INTO business_calendars (key, name, time_zone, weekly, transferred_day_hours, shortening, is_default, created_at)
            VALUES ('moscow_9_18', 'Москва, пн–пт 9:00–18:00', 'Europe/Moscow', \(bind: weekly), \(bind: try WorkingTimeJSON.encode(["09:00-18:00"])),
                    60, \(bind: true), \(bind: Date()))
            RETURNING id
            """).first()!.decode(column: "id", as: Int.self)
        try await CalendarStore.replaceDays(calendarID: id, with: .russia, on: sql)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sla_policies").delete()
        try await database.schema("calendar_days").delete()
        try await database.schema("business_calendars").delete()
    }
}

/// JSON text in a column, for the few structured values stored whole.
enum WorkingTimeJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// A policy's stored escalation; none stored is the standard one.
    static func escalation(_ text: String?) throws -> SLAEscalation {
        try text.map { try decode(SLAEscalation.self, $0) } ?? .standard
    }
}
