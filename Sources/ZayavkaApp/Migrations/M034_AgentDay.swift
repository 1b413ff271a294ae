import Fluent
import Foundation
import SQLKit

/// Issue 20 (the agent's day):
///
/// - `canned_responses` may also set fields (a macro): status, priority, group, assignee; applied
///   with the reply in one submit.
/// - `ticket_presence`: who has a ticket open and who is writing on it, so two agents see each
///   other; every instance writes and reads it, so it works across instances.
/// - `tickets (updated_at)`: the index the live queue's change feed reads ("what changed since").
struct M034AgentDay: AsyncMigration {
    var name: String { "M034AgentDay" }

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        for (column, type) in [("set_status", DatabaseSchema.DataType.string), ("set_priority", .string), ("set_group_id", .int), ("set_assignee_id", .int)] {
            try await database.schema("canned_responses").field(.string(column), type).update()
        }
        try await database.schema("ticket_presence")
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("user_id", .int, .required, .references("users", "id"))
            .field("typing", .bool, .required)
            .field("seen_at", .datetime, .required)
            .unique(on: "ticket_id", "user_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX ticket_presence_seen_idx ON ticket_presence (seen_at)").run()
        try await sql.raw("CREATE INDEX tickets_updated_idx ON tickets (updated_at)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX tickets_updated_idx").run()
        try await database.schema("ticket_presence").delete()
        for column in ["set_status", "set_priority", "set_group_id", "set_assignee_id"] {
            try await database.schema("canned_responses").deleteField(.string(column)).update()
        }
    }
}
