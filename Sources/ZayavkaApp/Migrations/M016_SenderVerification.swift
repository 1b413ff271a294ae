import Fluent
import Foundation
import SQLKit

/// Issue 14: whether the sender of a comment that came by mail was verified (a reply to our message
/// to that address, or a trusted server's DKIM/SPF pass); null for comments that did not come by mail.
struct M016SenderVerification: AsyncMigration {
    var name: String { "M016SenderVerification" }

    func prepare(on database: any Database) async throws {
        try await database.schema("comments").field("sender_verified", .bool).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("comments").deleteField("sender_verified").update()
    }
}
