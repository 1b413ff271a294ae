import Fluent
import SQLKit

/// The immutable history (SPEC V7): triggers make the database itself refuse to change or delete an event.
struct M008CreateEvents: AsyncMigration {
    var name: String { "M008CreateEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("ticket_events")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("actor_id", .int, .references("users", "id"))
            .field("kind", .string, .required)
            .field("field", .string)
            .field("before", .string)
            .field("after", .string)
            .field("comment_id", .int)
            .field("is_public", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "ticket_events_ticket_idx").on("ticket_events").column("ticket_id").column("id").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE FUNCTION ticket_events_immutable() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'ticket events are immutable'; END; $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("""
                CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
                FOR EACH ROW EXECUTE FUNCTION ticket_events_immutable()
                """).run()
        } else {
            for operation in ["UPDATE", "DELETE"] {
                try await sql.raw("""
                    CREATE TRIGGER ticket_events_no_\(unsafeRaw: operation.lowercased()) BEFORE \(unsafeRaw: operation) ON ticket_events
                    BEGIN SELECT RAISE(ABORT, 'ticket events are immutable'); END
                    """).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TABLE IF EXISTS ticket_events").run()
            try await sql.raw("DROP FUNCTION IF EXISTS ticket_events_immutable()").run()
        } else {
            try await database.schema("ticket_events").delete()
        }
    }
}
