import Fluent
import Foundation
import SQLKit

/// Issue 19 (SPEC X2): temporary blocks of accounts and client addresses that put anomalous load on
/// the service. Shared by every instance; each block ends by itself at `until` or when lifted.
struct M032CreateLoadBlocks: AsyncMigration {
    var name: String { "M032CreateLoadBlocks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("load_blocks")
            .field("id", .int, .identifier(auto: true))
            // address | account
            .field("scope", .string, .required)
            // The client address, or the account's id as text.
            .field("key", .string, .required)
            .field("user_id", .int, .references("users", "id"))
            .field("reason", .string, .required)
            // Refusals within the minute that made the block.
            .field("refusals", .int, .required)
            .field("created_at", .datetime, .required)
            .field("until", .datetime, .required)
            .field("lifted_at", .datetime)
            .field("lifted_by", .int, .references("users", "id"))
            // The instance that made it (`host/pid/tag`).
            .field("instance", .string, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX load_blocks_until_idx ON load_blocks (until)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("load_blocks").delete()
    }
}
