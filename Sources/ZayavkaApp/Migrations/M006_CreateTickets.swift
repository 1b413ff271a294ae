import Fluent
import SQLKit

/// Tickets, and the counter their numbers come from: a sequence on PostgreSQL, a counter row on
/// SQLite (whose writes are serialised). Numbers start at 10001 and are never reused.
struct M006CreateTickets: AsyncMigration {
    var name: String { "M006CreateTickets" }
    static let firstNumber = 10_001

    func prepare(on database: any Database) async throws {
        try await database.schema("tickets")
            .field("id", .int, .identifier(auto: true))
            .field("number", .int, .required)
            .field("subject", .string, .required)
            .field("subject_folded", .string, .required)
            .field("requester_id", .int, .required, .references("users", "id"))
            .field("organization_id", .int, .references("organizations", "id"))
            .field("channel", .string, .required)
            .field("type", .string, .required)
            .field("priority", .int, .required)
            .field("urgency", .int)
            .field("responsibility", .string)
            .field("cause", .string)
            .field("status", .string, .required)
            .field("assignee_id", .int, .references("users", "id"))
            .field("group_id", .int, .references("support_groups", "id"))
            .field("due_at", .datetime)
            .field("promised_at", .datetime)
            .field("problem_id", .int)
            .field("created_by_id", .int, .references("users", "id"))
            .field("first_response_at", .datetime)
            .field("solved_at", .datetime)
            .field("closed_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "number")
            .create()
        let sql = database as! any SQLDatabase
        for column in ["status", "requester_id", "organization_id", "assignee_id", "group_id", "created_at", "updated_at"] {
            try await sql.create(index: "tickets_\(column)_idx").on("tickets").column(column).column("number").run()
        }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("CREATE SEQUENCE ticket_number_seq START WITH \(unsafeRaw: String(Self.firstNumber))").run()
        } else {
            try await database.schema("counters")
                .field("name", .string, .identifier(auto: false))
                .field("value", .int, .required)
                .create()
            try await sql.insert(into: "counters").columns("name", "value")
                .values(SQLBind("ticket_number"), SQLBind(Self.firstNumber - 1)).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP SEQUENCE IF EXISTS ticket_number_seq").run()
        } else {
            try await database.schema("counters").delete()
        }
        try await database.schema("tickets").delete()
    }
}
