import Fluent
import ZayavkaCore

/// The intake questions, seeded with the seeds' questions (SPEC C7).
struct M005CreateIntakeFields: AsyncMigration {
    var name: String { "M005CreateIntakeFields" }

    func prepare(on database: any Database) async throws {
        try await database.schema("intake_fields")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("kind", .string, .required)
            .field("label_ru", .string, .required)
            .field("label_en", .string, .required)
            .field("options", .string, .required)
            .field("required", .bool, .required)
            .field("customer_visible", .bool, .required)
            .field("active", .bool, .required)
            .field("position", .int, .required)
            .unique(on: "key")
            .create()
        for (index, field) in IntakeFieldDefinition.seedDefaults.enumerated() {
            let record = IntakeFieldRecord()
            record.key = field.key
            record.kind = field.kind.rawValue
            record.labelRu = field.labelRu
            record.labelEn = field.labelEn
            record.options = field.options.joined(separator: "\n")
            record.required = field.required
            record.customerVisible = field.customerVisible
            record.active = true
            record.position = (index + 1) * 10
            try await record.create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("intake_fields").delete()
    }
}
