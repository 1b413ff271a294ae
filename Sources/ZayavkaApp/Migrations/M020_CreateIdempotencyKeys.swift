import Fluent
import Foundation
import SQLKit

/// Issue 22: `Idempotency-Key` on ticket creation. A key is one client's (per user), names the ticket
/// its first request made and a SHA-256 of that request's body; it is written in the same
/// transaction as the ticket, and the unique index makes a retry that races the original (another
/// instance, nginx retrying upstream) replay that ticket instead of making a second. Kept a day.
struct M020CreateIdempotencyKeys: AsyncMigration {
    var name: String { "M020CreateIdempotencyKeys" }

    func prepare(on database: any Database) async throws {
        try await database.schema("idempotency_keys")
            .field("id", .int, .identifier(auto: true))
            .field("user_id", .int, .required, .references("users", "id"))
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "key")
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("idempotency_keys").delete()
    }
}
