import Fluent
import SQLKit

/// Intake answers, comments and attachments.
struct M007CreateConversation: AsyncMigration {
    var name: String { "M007CreateConversation" }

    func prepare(on database: any Database) async throws {
        try await database.schema("ticket_field_values")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("key", .string, .required)
            .field("value", .string, .required)
            .unique(on: "ticket_id", "key")
            .create()
        try await database.schema("comments")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id", onDelete: .cascade))
            .field("author_id", .int, .references("users", "id"))
            .field("body", .string, .required)
            .field("is_public", .bool, .required)
            .field("source", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("attachments")
            .field("id", .int, .identifier(auto: true))
            .field("public_id", .string, .required)
            .field("ticket_id", .int, .references("tickets", "id", onDelete: .cascade))
            .field("comment_id", .int, .references("comments", "id", onDelete: .cascade))
            .field("uploader_id", .int, .required, .references("users", "id"))
            .field("filename", .string, .required)
            .field("content_type", .string, .required)
            .field("size", .int, .required)
            .field("sha256", .string, .required)
            .field("storage_key", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "public_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "ticket_field_values_key_idx").on("ticket_field_values").column("key").column("value").run()
        try await sql.create(index: "comments_ticket_idx").on("comments").column("ticket_id").column("id").run()
        try await sql.create(index: "attachments_comment_idx").on("attachments").column("comment_id").run()
        try await sql.create(index: "attachments_ticket_idx").on("attachments").column("ticket_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("attachments").delete()
        try await database.schema("comments").delete()
        try await database.schema("ticket_field_values").delete()
    }
}
