import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 6: the directory's search keys and organization logins; groups that assign by turn or
/// load, with agents on shift; calls, callbacks and seed 002's callback rule; the "category" question.
struct M015CreatePhoneAndDirectory: AsyncMigration {
    var name: String { "M015CreatePhoneAndDirectory" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        try await database.schema("organizations").field("logins", .string).update()
        try await database.schema("organizations").field("addresses", .string).update()

        // Keys compare by code point: SQLite's BINARY does, PostgreSQL needs the "C" collation for
        // the index to serve `key >= $1 AND key < $2` whatever the database's locale.
        try await sql.raw(SQLQueryString("""
            CREATE TABLE directory_keys (
                key TEXT \(unsafeRaw: postgres ? "COLLATE \"C\" " : "")NOT NULL,
                kind TEXT NOT NULL,
                organization_id INTEGER,
                user_id INTEGER)
            """)).run()
        try await sql.create(index: "directory_keys_key_idx").on("directory_keys").column("key").run()
        try await sql.create(index: "directory_keys_organization_idx").on("directory_keys").column("organization_id").run()
        try await sql.create(index: "directory_keys_user_idx").on("directory_keys").column("user_id").run()

        // One column per ALTER: SQLite adds one at a time.
        try await database.schema("support_groups").field("assignment", .string).update()
        try await database.schema("support_groups").field("last_assigned_user_id", .int).update()
        try await database.schema("users").field("on_shift", .bool).update()

        try await database.schema("callbacks")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("number", .string, .required)
            .field("due_at", .datetime, .required)
            .field("assignee_id", .int)
            .field("busy_count", .int, .required)
            .field("state", .string, .required)
            .field("note", .string)
            .field("created_by_id", .int)
            .field("created_at", .datetime, .required)
            .field("done_at", .datetime)
            .create()
        try await sql.create(index: "callbacks_state_due_idx").on("callbacks").column("state").column("due_at").run()
        try await sql.create(index: "callbacks_ticket_idx").on("callbacks").column("ticket_id").run()

        try await database.schema("calls")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .references("tickets", "id"))
            .field("agent_id", .int)
            .field("customer_id", .int)
            .field("direction", .string, .required)
            .field("number", .string, .required)
            .field("started_at", .datetime, .required)
            .field("duration_seconds", .int, .required)
            .field("outcome", .string, .required)
            .field("note", .string)
            .field("callback_id", .int)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.create(index: "calls_ticket_idx").on("calls").column("ticket_id").run()

        try await database.schema("callback_rule")
            .field("id", .int, .identifier(auto: false))
            .field("retry_minutes", .int, .required)
            .field("busy_retries", .int, .required)
            .field("message_ru", .string, .required)
            .field("message_en", .string, .required)
            .create()
        let rule = CallbackRule.seed002
        try await sql.raw("""
            INSERT INTO callback_rule (id, retry_minutes, busy_retries, message_ru, message_en)
            VALUES (1, \(bind: rule.retryMinutes), \(bind: rule.busyRetries), \(bind: rule.messageRu), \(bind: rule.messageEn))
            """).run()

        let category = IntakeFieldDefinition.category
        if try await sql.raw("SELECT 1 AS x FROM intake_fields WHERE key = \(bind: category.key)").first() == nil {
            try await sql.raw("""
                INSERT INTO intake_fields (key, kind, label_ru, label_en, options, required, customer_visible, active, position)
                VALUES (\(bind: category.key), \(bind: category.kind.rawValue), \(bind: category.labelRu), \(bind: category.labelEn),
                        \(bind: category.options.joined(separator: "\n")), \(bind: false), \(bind: true), \(bind: true), 5)
                """).run()
        }

        try await DirectoryIndex.rebuild(on: sql)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("callback_rule").delete()
        try await database.schema("calls").delete()
        try await database.schema("callbacks").delete()
        try await (database as! any SQLDatabase).raw("DROP TABLE directory_keys").run()
    }
}
