import Fluent
import Foundation
import SQLKit

/// Issue 22 (and 19 after it): acts on people that the desk must be able to account for — a
/// customer's personal data erased, later bans — as immutable audit events: who, what, whom, why.
struct M021CreateAuditEvents: AsyncMigration {
    var name: String { "M021CreateAuditEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .field("id", .int, .identifier(auto: true))
            .field("actor_id", .int)
            .field("action", .string, .required)
            .field("subject_user_id", .int)
            .field("reason", .string, .required)
            // JSON: what the act touched (counts), never the values it removed.
            .field("details", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX audit_events_created_idx ON audit_events (created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_events").delete()
    }
}
