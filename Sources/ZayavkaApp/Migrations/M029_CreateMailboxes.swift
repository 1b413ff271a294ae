import Fluent
import Foundation
import SQLKit

/// Issue 21: support addresses and the hosted mailboxes behind them. A row is one support address
/// (`support@`, `buh@`) with its sender name, signature, default group and language; it may fetch
/// an IMAP mailbox (with where it left off: UIDVALIDITY and the last UID, and which instance holds
/// it) and send through that mailbox's SMTP submission. Passwords are stored encrypted.
/// Tickets remember the address they came in on; received and outgoing mail remember theirs.
struct M029CreateMailboxes: AsyncMigration {
    var name: String { "M029CreateMailboxes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("mailboxes")
            .field("id", .int, .identifier(auto: true))
            .field("address", .string, .required)
            .field("sender_name", .string, .required)
            .field("signature", .string, .required)
            .field("group_id", .int, .references("support_groups", "id"))
            .field("language", .string)
            .field("enabled", .bool, .required)
            // IMAP; no host: the address receives by the SMTP/LMTP listener only.
            .field("imap_host", .string)
            .field("imap_port", .int, .required)
            .field("imap_security", .string, .required)
            .field("imap_user", .string, .required)
            .field("imap_password", .string)
            .field("imap_ca_pem", .string)
            .field("folder", .string, .required)
            // seen | move | delete
            .field("after_import", .string, .required)
            .field("move_folder", .string)
            // SMTP submission; no host: the desk's relay.
            .field("smtp_host", .string)
            .field("smtp_port", .int, .required)
            .field("smtp_security", .string, .required)
            .field("smtp_user", .string, .required)
            .field("smtp_password", .string)
            .field("save_sent", .bool, .required)
            .field("sent_folder", .string, .required)
            // Where fetching stands.
            .field("uid_validity", .int, .required)
            .field("last_uid", .int, .required)
            .field("lease_owner", .string)
            .field("lease_until", .datetime)
            .field("imported", .int, .required)
            .field("last_checked_at", .datetime)
            .field("last_imported_at", .datetime)
            .field("last_error", .string)
            .field("last_error_step", .string)
            .field("last_error_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "address")
            .create()
        try await database.schema("ticket_mailboxes")
            .field("ticket_id", .int, .identifier(auto: false), .references("tickets", "id"))
            .field("mailbox_id", .int, .required)
            .create()
        try await database.schema("mail_inbound").field("mailbox_id", .int).update()
        try await database.schema("mail_outbox").field("mailbox_id", .int).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("mail_outbox").deleteField("mailbox_id").update()
        try await database.schema("mail_inbound").deleteField("mailbox_id").update()
        try await database.schema("ticket_mailboxes").delete()
        try await database.schema("mailboxes").delete()
    }
}
