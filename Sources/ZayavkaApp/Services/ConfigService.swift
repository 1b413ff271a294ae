import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Statuses, intake questions and urgency levels: the team's configuration.
enum ConfigService {
    static func statuses(context: ServiceContext) async throws -> ListOf<StatusDTO> {
        _ = try context.viewer
        let catalog = try await context.services.catalog.snapshot(context.database)
        return ListOf(items: catalog.statuses.map(StatusDTO.init), nextCursor: nil)
    }

    /// Adds a team hand-off status (it behaves as open).
    static func createStatus(_ input: StatusInput, context: ServiceContext) async throws -> StatusDTO {
        try context.require(.manageConfiguration)
        var errors: [FieldError] = []
        if !StatusDefinition.isValidKey(input.key) { errors.append(FieldError("key", .invalid)) }
        if input.nameRu.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name_ru", .required)) }
        if input.nameEn.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name_en", .required)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if try await StatusRecord.query(on: context.database).filter(\.$key == input.key).count() > 0 {
            throw ZayavkaError.conflict(field: "key", value: input.key)
        }
        let record = StatusRecord()
        record.key = input.key
        record.category = StatusCategory.open.rawValue
        record.nameRu = input.nameRu
        record.nameEn = input.nameEn
        record.isBuiltIn = false
        record.position = (try await StatusRecord.query(on: context.database).max(\.$position) ?? 0) + 10
        try await context.write { db in try await record.create(on: db) }
        context.services.catalog.invalidate()
        return StatusDTO(record.definition!)
    }

    static func intakeFields(context: ServiceContext) async throws -> ListOf<IntakeFieldDTO> {
        let viewer = try context.viewer
        var query = IntakeFieldRecord.query(on: context.database).sort(\.$position)
        if !viewer.role.isStaff { query = query.filter(\.$active == true).filter(\.$customerVisible == true) }
        return ListOf(items: try await query.all().map(IntakeFieldDTO.init), nextCursor: nil)
    }

    static func saveIntakeField(key: String?, _ input: IntakeFieldInput, context: ServiceContext) async throws -> Saved<IntakeFieldDTO> {
        try context.require(.manageConfiguration)
        let record: IntakeFieldRecord
        var errors: [FieldError] = []
        if let key {
            guard let found = try await IntakeFieldRecord.query(on: context.database).filter(\.$key == key).first() else {
                throw ZayavkaError.notFound(entity: "intake_field", id: key)
            }
            record = found
        } else {
            record = IntakeFieldRecord()
            guard let newKey = input.key, StatusDefinition.isValidKey(newKey) else { throw ZayavkaError.validation([FieldError("key", .invalid)]) }
            if try await IntakeFieldRecord.query(on: context.database).filter(\.$key == newKey).count() > 0 {
                throw ZayavkaError.conflict(field: "key", value: newKey)
            }
            record.key = newKey
            record.kind = (input.kind ?? .text).rawValue
            record.options = ""
            record.required = false
            record.customerVisible = true
            record.active = true
            record.position = min(try await IntakeFieldRecord.query(on: context.database).max(\.$position) ?? 0, 1_000_000) + 10
            if input.labelRu == nil { errors.append(FieldError("label_ru", .required)) }
            if input.labelEn == nil { errors.append(FieldError("label_en", .required)) }
        }
        if let kind = input.kind { record.kind = kind.rawValue }
        if let value = input.labelRu { record.labelRu = value }
        if let value = input.labelEn { record.labelEn = value }
        if let value = input.options { record.options = value.joined(separator: "\n") }
        if let value = input.required { record.required = value }
        if let value = input.customerVisible { record.customerVisible = value }
        if let value = input.active { record.active = value }
        if let value = input.position {
            if (0...1_000_000).contains(value) { record.position = value } else { errors.append(FieldError("position", .invalid, "0…1000000")) }
        }
        if record.kind == IntakeFieldDefinition.Kind.choice.rawValue, record.options.isEmpty { errors.append(FieldError("options", .required)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        try await context.write { db in try await record.save(on: db) }
        context.services.catalog.invalidate()
        return Saved(item: IntakeFieldDTO(record), created: key == nil)
    }
}
