import Fluent
import SQLKit

/// Users and organizations.
struct M001CreatePeople: AsyncMigration {
    var name: String { "M001CreatePeople" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("contract_number", .string)
            .field("inn", .string)
            .field("plan", .string, .required)
            .field("contract_ends_on", .string)
            .field("quota", .int)
            .field("usage", .int)
            .field("phones", .string)
            .field("email_domains", .string)
            .field("notes", .string)
            .field("members_see_all_tickets", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("users")
            .field("id", .int, .identifier(auto: true))
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("role", .string, .required)
            .field("locale", .string, .required)
            .field("time_zone", .string, .required)
            .field("phone", .string)
            .field("organization_id", .int, .references("organizations", "id"))
            .field("password_hash", .string)
            .field("is_active", .bool, .required)
            .field("banned_at", .datetime)
            .field("blocked_until", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "users_organization_idx").on("users").column("organization_id").run()
        try await sql.create(index: "users_role_idx").on("users").column("role").run()
        try await sql.create(index: "organizations_name_idx").on("organizations").column("name").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
        try await database.schema("organizations").delete()
    }
}
