import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Canned responses: every agent reads them, managers and admins edit them (API and web pages).
enum CannedService {
    static func requireEditor(_ context: ServiceContext) throws {
        let viewer = try context.viewer
        guard [.manager, .admin].contains(viewer.role) else { throw ZayavkaError.forbidden(reason: "managers and admins edit canned responses") }
    }

    static func list(context: ServiceContext) async throws -> [CannedResponseDTO] {
        guard try context.viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        return try await context.sql.raw("""
            SELECT id, title, body, position, set_status, set_priority, set_group_id, set_assignee_id FROM canned_responses ORDER BY position, id
            """).all().map {
            CannedResponseDTO(id: try $0.decode(column: "id", as: Int.self), title: try $0.decode(column: "title", as: String.self),
                              body: try $0.decode(column: "body", as: String.self), position: try $0.decode(column: "position", as: Int.self),
                              sets: CannedSets(status: try $0.decode(column: "set_status", as: String?.self),
                                               priority: try $0.decode(column: "set_priority", as: String?.self).flatMap(TicketPriority.init(rawValue:)),
                                               groupId: try $0.decode(column: "set_group_id", as: Int?.self),
                                               assigneeId: try $0.decode(column: "set_assignee_id", as: Int?.self)))
        }
    }

    /// Creates (`id` nil) or changes a canned response; returns it.
    static func save(id: Int?, _ input: CannedResponseInput, context: ServiceContext) async throws -> CannedResponseDTO {
        try requireEditor(context)
        let current = try await list(context: context)
        let existing = id.flatMap { id in current.first { $0.id == id } }
        if id != nil, existing == nil { throw ZayavkaError.notFound(entity: "canned_response", id: String(id!)) }
        let title = (input.title ?? existing?.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let body = (input.body ?? existing?.body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [FieldError] = []
        if title.isEmpty { errors.append(FieldError("title", .required)) }
        if title.isOver(200) { errors.append(FieldError("title", .tooLong, "200")) }
        if body.isEmpty { errors.append(FieldError("body", .required)) }
        if body.isOver(10_000) { errors.append(FieldError("body", .tooLong, "10000")) }
        if let position = input.position, !(0...1_000_000).contains(position) { errors.append(FieldError("position", .invalid, "0…1000000")) }
        let sets = input.sets ?? existing?.sets ?? CannedSets()
        if let status = sets.status {
            let statuses = try await context.services.catalog.snapshot(context.db).statuses
            if !statuses.contains(where: { $0.key == status }) { errors.append(FieldError("sets.status", .unknownValue, statuses.map(\.key).joined(separator: ", "))) }
        }
        if sets.groupId != nil || sets.assigneeId != nil {
            do { _ = try await TicketService.checkAssignment(assigneeID: sets.assigneeId, groupID: sets.groupId, on: context.sql) }
            catch ZayavkaError.validation(let problems) { errors += problems.map { FieldError("sets." + $0.field, $0.code, $0.argument) } }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let position = input.position ?? existing?.position ?? (min(current.map(\.position).max() ?? 0, 1_000_000) + 1)
        let now = context.now
        let savedID: Int = try await context.write { db in
            let sql = db as! any SQLDatabase
            if let id {
                try await sql.raw("""
                    UPDATE canned_responses SET title = \(bind: title), body = \(bind: body), position = \(bind: position), updated_at = \(bind: now),
                           set_status = \(bind: sets.status), set_priority = \(bind: sets.priority?.rawValue), set_group_id = \(bind: sets.groupId),
                           set_assignee_id = \(bind: sets.assigneeId)
                    WHERE id = \(bind: id)
                    """).run()
                return id
            }
            return try await sql.raw("""
                INSERT INTO canned_responses (title, body, position, created_at, updated_at, set_status, set_priority, set_group_id, set_assignee_id)
                VALUES (\(bind: title), \(bind: body), \(bind: position), \(bind: now), \(bind: now), \(bind: sets.status),
                        \(bind: sets.priority?.rawValue), \(bind: sets.groupId), \(bind: sets.assigneeId)) RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
        }
        return CannedResponseDTO(id: savedID, title: title, body: body, position: position, sets: sets)
    }

    static func delete(id: Int, context: ServiceContext) async throws -> HTTPStatus {
        try requireEditor(context)
        let removed = try await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM canned_responses WHERE id = \(bind: id) RETURNING id").all().count
        }
        guard removed > 0 else { throw ZayavkaError.notFound(entity: "canned_response", id: String(id)) }
        return .noContent
    }
}
