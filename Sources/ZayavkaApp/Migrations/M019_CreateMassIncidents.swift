import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 16, mass incidents (SPEC P3, seed 002): failure kinds (rules shaped like the critical-problem
/// rules; seed 002's four ship ready), the outbreak settings (one row), each new ticket's failure
/// kind, and the outbreak alerts. At most one alert per failure kind is open at a time and at most
/// one incident per failure kind is active — both partial unique indexes, so two instances that
/// detect the same outbreak (or declare the same incident) at once cannot both write it.
struct M019CreateMassIncidents: AsyncMigration {
    var name: String { "M019CreateMassIncidents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("failure_kinds")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name", .string, .required)
            // JSON, as in critical_rules.
            .field("categories", .string, .required)
            .field("phrases", .string, .required)
            .field("position", .int, .required)
            .field("active", .bool, .required)
            .unique(on: "key")
            .create()
        try await database.schema("outbreak_settings")
            .field("id", .int, .identifier(auto: false))
            .field("customers", .int, .required)
            .field("window_minutes", .int, .required)
            .field("reminder_minutes", .int, .required)
            .field("text_ru", .string, .required)
            .field("text_en", .string, .required)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("outbreak_alerts")
            .field("id", .int, .identifier(auto: true))
            .field("failure_kind", .string, .required)
            // The first matching request of the outbreak: the alert lists the unlinked ones since.
            .field("since", .datetime, .required)
            .field("customers", .int, .required)
            .field("opened_at", .datetime, .required)
            .field("acknowledged_by_id", .int, .references("users", "id"))
            .field("acknowledged_at", .datetime)
            .field("reminded_at", .datetime)
            .field("closed_at", .datetime)
            .field("closed_by_id", .int, .references("users", "id"))
            // declared | dismissed
            .field("outcome", .string)
            .field("problem_id", .int, .references("problems", "id"))
            .create()
        try await database.schema("tickets").field("failure_kind", .string).update()
        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        try await database.schema("problems").field("incident_text_ru", .string).update()
        try await database.schema("problems").field("incident_text_en", .string).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE UNIQUE INDEX outbreak_alerts_open_idx ON outbreak_alerts (failure_kind) WHERE closed_at IS NULL").run()
        try await sql.raw("CREATE UNIQUE INDEX problems_active_incident_idx ON problems (failure_kind) WHERE incident_active").run()
        // Only the requests that matched a failure kind are indexed: the rest cost ticket creation nothing.
        try await sql.raw("""
            CREATE INDEX tickets_failure_kind_idx ON tickets (failure_kind, created_at) WHERE failure_kind IS NOT NULL
            """).run()
        for (index, kind) in FailureKind.failureKinds002.enumerated() {
            try await sql.raw("""
                INSERT INTO failure_kinds (key, name, categories, phrases, position, active)
                VALUES (\(bind: kind.key), \(bind: kind.name), \(bind: try WorkingTimeJSON.encode(kind.categories)),
                        \(bind: try WorkingTimeJSON.encode(kind.phrases)), \(bind: (index + 1) * 10), \(bind: true))
                """).run()
        }
        let rule = OutbreakRule()
        try await sql.raw("""
            INSERT INTO outbreak_settings (id, customers, window_minutes, reminder_minutes, text_ru, text_en)
            VALUES (1, \(bind: rule.customers), \(bind: rule.windowMinutes), \(bind: rule.reminderMinutes),
                    \(bind: MassIncidentText.ongoingRu), \(bind: MassIncidentText.ongoingEn))
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in ["tickets_failure_kind_idx", "problems_active_incident_idx", "outbreak_alerts_open_idx"] {
            try await sql.raw("DROP INDEX IF EXISTS \(unsafeRaw: index)").run()
        }
        try await database.schema("problems").deleteField("incident_text_ru").deleteField("incident_text_en").update()
        try await database.schema("tickets").deleteField("failure_kind").update()
        for table in ["outbreak_alerts", "outbreak_settings", "failure_kinds"] { try await database.schema(table).delete() }
    }
}
