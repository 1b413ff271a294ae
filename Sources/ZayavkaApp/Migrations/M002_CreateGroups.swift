import Fluent

/// Support lines and their members.
struct M002CreateGroups: AsyncMigration {
    var name: String { "M002CreateGroups" }

    func prepare(on database: any Database) async throws {
        try await database.schema("support_groups")
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("description", .string)
            .field("created_at", .datetime)
            .unique(on: "name")
            .create()
        try await database.schema("group_members")
            .field("id", .int, .identifier(auto: true))
            .field("group_id", .int, .required, .references("support_groups", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "group_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("group_members").delete()
        try await database.schema("support_groups").delete()
    }
}
