import Fluent
import Foundation
import SQLKit

/// Issue 5's second half: what a missed target sets off (per policy), why a history entry
/// happened (a recomputed due time names the change behind it), the outcome of every stopped clock
/// for reports, each specialist's planned work and the calendar it is planned on.
struct M013CreatePlanning: AsyncMigration {
    var name: String { "M013CreatePlanning" }

    func prepare(on database: any Database) async throws {
        // JSON of SLAEscalation; NULL is the standard escalation.
        try await database.schema("sla_policies").field("escalation", .string).update()
        try await database.schema("ticket_events").field("reason", .string).update()
        // A specialist's own working hours; NULL is the default calendar.
        try await database.schema("users").field("calendar_id", .int).update()
        try await database.schema("sla_outcomes")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("policy_id", .int)
            .field("metric", .string, .required)
            .field("target_minutes", .int, .required)
            .field("started_at", .datetime, .required)
            .field("due_at", .datetime)
            .field("stopped_at", .datetime, .required)
            .field("working_minutes", .int, .required)
            .field("achieved", .bool, .required)
            .create()
        try await database.schema("work_slots")
            .field("id", .int, .identifier(auto: true))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("ticket_id", .int, .references("tickets", "id", onDelete: .cascade))
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("minutes", .int, .required)
            .field("note", .string)
            .field("created_by", .int)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "sla_outcomes_stopped_idx").on("sla_outcomes").column("stopped_at").run()
        try await sql.create(index: "sla_outcomes_ticket_idx").on("sla_outcomes").column("ticket_id").run()
        try await sql.create(index: "work_slots_user_idx").on("work_slots").column("user_id").column("ends_at").run()
        try await sql.create(index: "work_slots_ticket_idx").on("work_slots").column("ticket_id").run()
        // The SLA timers look only at clocks still to fire: partial indexes keep that lookup small however
        // many clocks have fired or stopped (a full scan at a million tickets took 135–320 ms every 30 s).
        try await sql.raw("CREATE INDEX sla_clocks_to_warn_idx ON sla_clocks (warn_at) WHERE warned_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL").run()
        try await sql.raw("CREATE INDEX sla_clocks_to_breach_idx ON sla_clocks (due_at) WHERE breached_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL").run()
        // Auto-close looks for solved tickets by when they were solved.
        try await sql.create(index: "tickets_solved_at_idx").on("tickets").column("solved_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("work_slots").delete()
        try await database.schema("sla_outcomes").delete()
        try await database.schema("users").deleteField("calendar_id").update()
        try await database.schema("ticket_events").deleteField("reason").update()
        try await database.schema("sla_policies").deleteField("escalation").update()
    }
}
