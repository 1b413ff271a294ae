import Fluent
import SQLKit

/// The SLA clocks of each ticket, and the ticket's nearest due time for sorting queues.
struct M010CreateSLAClocks: AsyncMigration {
    var name: String { "M010CreateSLAClocks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("sla_clocks")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("policy_id", .int, .references("sla_policies", "id"))
            .field("calendar_id", .int, .required, .references("business_calendars", "id"))
            .field("metric", .string, .required)
            .field("target_minutes", .int, .required)
            .field("started_at", .datetime, .required)
            .field("paused_at", .datetime)
            .field("paused_seconds", .double, .required)
            .field("stopped_at", .datetime)
            .field("due_at", .datetime)
            .field("warn_percent", .int, .required)
            .field("warn_at", .datetime)
            .field("warned_at", .datetime)
            .field("breached_at", .datetime)
            .unique(on: "ticket_id", "metric")
            .create()
        try await database.schema("tickets").field("next_due_at", .datetime).update()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "tickets_next_due_at_idx").on("tickets").column("next_due_at").column("number").run()
        try await sql.create(index: "sla_clocks_due_idx").on("sla_clocks").column("due_at").run()
        try await sql.create(index: "sla_clocks_warn_idx").on("sla_clocks").column("warn_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sla_clocks").delete()
        try await database.schema("tickets").deleteField("next_due_at").update()
    }
}
