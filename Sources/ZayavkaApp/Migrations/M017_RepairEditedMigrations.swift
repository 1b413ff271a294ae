import Fluent
import Foundation
import SQLKit

/// Three migrations were edited after they had landed (M011: two queue indexes; M013: the SLA timer
/// and auto-close indexes; M015: `organizations.addresses`). A desk created before an edit recorded
/// the migration as done and never got the addition. This adds whatever of them is missing, and
/// does nothing on a desk that has them, so every desk ends with the same schema as a fresh one.
struct M017RepairEditedMigrations: AsyncMigration {
    var name: String { "M017RepairEditedMigrations" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if try await !Self.hasColumn("organizations", "addresses", on: sql) {
            try await database.schema("organizations").field("addresses", .string).update()
        }
        for statement in [
            "CREATE INDEX IF NOT EXISTS tickets_assignee_status_idx ON tickets (assignee_id, status)",
            "CREATE INDEX IF NOT EXISTS tickets_group_status_idx ON tickets (group_id, status)",
            "CREATE INDEX IF NOT EXISTS sla_clocks_to_warn_idx ON sla_clocks (warn_at) WHERE warned_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL",
            "CREATE INDEX IF NOT EXISTS sla_clocks_to_breach_idx ON sla_clocks (due_at) WHERE breached_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL",
            "CREATE INDEX IF NOT EXISTS tickets_solved_at_idx ON tickets (solved_at)",
        ] {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any Database) async throws {}

    /// Whether the table has the column, in the schema the connection uses.
    static func hasColumn(_ table: String, _ column: String, on sql: any SQLDatabase) async throws -> Bool {
        if sql.dialect.name == "sqlite" {
            return try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table)) WHERE name = \(bind: column)").first() != nil
        }
        return try await sql.raw("""
            SELECT 1 AS x FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(bind: table) AND column_name = \(bind: column)
            """).first() != nil
    }
}
