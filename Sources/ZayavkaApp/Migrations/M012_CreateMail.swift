import Fluent
import Foundation
import SQLKit

/// The email channel: received messages (kept raw until and after processing), the outbox, the
/// Message-IDs that thread conversations, CC participants, template overrides, one-time password
/// links, and the notifier's position in the history.
struct M012CreateMail: AsyncMigration {
    var name: String { "M012CreateMail" }

    func prepare(on database: any Database) async throws {
        try await database.schema("mail_inbound")
            .field("id", .int, .identifier(auto: true))
            // The Message-ID, or a digest of the bytes when there is none: a second delivery of the same message is a duplicate.
            .field("dedupe_key", .string, .required)
            .field("message_id", .string)
            .field("envelope_from", .string, .required)
            .field("envelope_to", .string, .required)
            .field("from_address", .string)
            .field("subject", .string)
            .field("raw", .data, .required)
            .field("size", .int, .required)
            // pending → processed | quarantined | ignored; duplicate for a second delivery
            .field("status", .string, .required)
            .field("reason", .string)
            .field("is_automatic", .bool, .required)
            .field("ticket_id", .int)
            .field("comment_id", .int)
            .field("attempts", .int, .required)
            .field("received_at", .datetime, .required)
            .field("processed_at", .datetime)
            .unique(on: "dedupe_key")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "mail_inbound_status_idx").on("mail_inbound").column("status").column("id").run()
        try await sql.create(index: "mail_inbound_comment_idx").on("mail_inbound").column("comment_id").run()
        try await sql.create(index: "mail_inbound_ticket_idx").on("mail_inbound").column("ticket_id").run()

        try await database.schema("mail_outbox")
            .field("id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("to_address", .string, .required)
            .field("subject", .string, .required)
            .field("raw", .data, .required)
            .field("message_id", .string, .required)
            .field("ticket_id", .int)
            .field("user_id", .int)
            // queued → sending → sent | failed
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
        try await sql.create(index: "mail_outbox_due_idx").on("mail_outbox").column("status").column("next_attempt_at").run()
        try await sql.create(index: "mail_outbox_message_idx").on("mail_outbox").column("message_id").run()

        // Every Message-ID seen or sent for a ticket: replies name one of them.
        try await database.schema("mail_threads")
            .field("id", .int, .identifier(auto: true))
            .field("message_id", .string, .required)
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("direction", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.create(index: "mail_threads_message_idx").on("mail_threads").column("message_id").run()
        try await sql.create(index: "mail_threads_ticket_idx").on("mail_threads").column("ticket_id").column("id").run()

        // People copied on a ticket's mail: they may reply to it and hear about public replies.
        try await database.schema("ticket_ccs")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .unique(on: "ticket_id", "email")
            .create()

        try await database.schema("mail_templates")
            .field("id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("language", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "kind", "language")
            .create()

        try await database.schema("password_tokens")
            .field("id", .int, .identifier(auto: true))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("purpose", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await sql.create(index: "password_tokens_user_idx").on("password_tokens").column("user_id").run()

        try await database.schema("users").field("email_verified_at", .datetime).update()
        try await database.schema("attachments").field("content_id", .string).update()
        // The notifier's position in ticket_events: history written before mail existed is not mailed about.
        let last = try await sql.raw("SELECT COALESCE(MAX(id), 0) AS id FROM ticket_events").first()?.decode(column: "id", as: Int.self) ?? 0
        try await database.schema("job_cursors")
            .field("name", .string, .identifier(auto: false))
            .field("value", .int, .required)
            .create()
        try await sql.raw("INSERT INTO job_cursors (name, value) VALUES ('mail_events', \(bind: last))").run()
    }

    func revert(on database: any Database) async throws {
        for table in ["job_cursors", "password_tokens", "mail_templates", "ticket_ccs", "mail_threads", "mail_outbox", "mail_inbound"] {
            try await database.schema(table).delete()
        }
    }
}
