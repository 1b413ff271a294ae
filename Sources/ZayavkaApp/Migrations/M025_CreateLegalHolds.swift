import Fluent
import Foundation
import SQLKit

/// Issue 22: legal holds. While a customer, or their organization, is under a hold (a court case,
/// an audit, an investigation), their personal data may not be erased; placing and releasing a
/// hold are audit events.
struct M025CreateLegalHolds: AsyncMigration {
    var name: String { "M025CreateLegalHolds" }

    func prepare(on database: any Database) async throws {
        try await database.schema("legal_holds")
            .field("id", .int, .identifier(auto: true))
            .field("user_id", .int, .references("users", "id"))
            .field("organization_id", .int, .references("organizations", "id"))
            .field("reason", .string, .required)
            .field("placed_by", .int, .references("users", "id"))
            .field("placed_at", .datetime, .required)
            .field("released_by", .int, .references("users", "id"))
            .field("released_at", .datetime)
            .field("release_reason", .string)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX legal_holds_user_idx ON legal_holds (user_id)").run()
        try await sql.raw("CREATE INDEX legal_holds_organization_idx ON legal_holds (organization_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("legal_holds").delete()
    }
}
