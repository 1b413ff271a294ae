import Fluent
import ZayavkaCore

/// The status catalogue, seeded with the built-in statuses and seed 002's hand-off statuses.
struct M004CreateStatuses: AsyncMigration {
    var name: String { "M004CreateStatuses" }

    func prepare(on database: any Database) async throws {
        try await database.schema("ticket_statuses")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("category", .string, .required)
            .field("name_ru", .string, .required)
            .field("name_en", .string, .required)
            .field("is_builtin", .bool, .required)
            .field("position", .int, .required)
            .unique(on: "key")
            .create()
        for (index, status) in (StatusDefinition.builtIn + StatusDefinition.seed002HandOffs).enumerated() {
            let record = StatusRecord()
            record.key = status.key
            record.category = status.category.rawValue
            record.nameRu = status.nameRu
            record.nameEn = status.nameEn
            record.isBuiltIn = status.isBuiltIn
            record.position = (index + 1) * 10
            try await record.create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("ticket_statuses").delete()
    }
}
