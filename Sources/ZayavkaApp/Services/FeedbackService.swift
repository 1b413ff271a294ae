import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Remarks about the support service itself (SPEC Q3, seed 001: "remarks about support are accepted
/// through a feedback form"): anyone may send one, signed in or not; managers work through them
/// with a status and a note.
enum FeedbackService {
    static let statuses = ["new", "in_progress", "done"]
    static let nameMax = 200, contactMax = 320, bodyMax = 10_000, noteMax = 5_000

    private struct Row: Decodable {
        let id: Int
        let name: String
        let contact: String
        let body: String
        let user_id: Int?
        let status: String
        let note: String
        let handled_by: Int?
        let handler_name: String?
        let created_at: Date
        let updated_at: Date

        var dto: FeedbackDTO {
            FeedbackDTO(id: id, name: name, contact: contact, body: body, userId: user_id, status: status, note: note,
                        handledBy: handled_by.map { PersonRef(id: $0, name: handler_name ?? "") }, createdAt: created_at, updatedAt: updated_at)
        }
    }

    private static let select: SQLQueryString = """
        SELECT f.id, f.name, f.contact, f.body, f.user_id, f.status, f.note, f.handled_by, h.name AS handler_name, f.created_at, f.updated_at
        FROM service_feedback f LEFT JOIN users h ON h.id = f.handled_by
        """

    /// Accepts a remark; a signed-in person's name and address fill what they left out. Returns its number.
    static func submit(_ input: FeedbackInput, context: ServiceContext) async throws -> Int {
        let signedIn = context.signedIn
        var errors: [FieldError] = []
        let body = input.body.trimmingCharacters(in: .whitespacesAndNewlines)
        var name = (input.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var contact = (input.contact ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let signedIn {
            if name.isEmpty { name = signedIn.name }
            if contact.isEmpty, let email = try await context.sql.raw("SELECT email FROM users WHERE id = \(bind: signedIn.viewer.userID)")
                .first()?.decode(column: "email", as: String.self) { contact = email }
        }
        if body.isEmpty { errors.append(FieldError("body", .required)) }
        if body.isOver(bodyMax) { errors.append(FieldError("body", .tooLong, String(bodyMax))) }
        if name.isEmpty { errors.append(FieldError("name", .required)) }
        if name.isOver(nameMax) { errors.append(FieldError("name", .tooLong, String(nameMax))) }
        if contact.isEmpty { errors.append(FieldError("contact", .required)) }
        if contact.isOver(contactMax) { errors.append(FieldError("contact", .tooLong, String(contactMax))) }
        for (field, value) in [("name", name), ("contact", contact)] where value.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            errors.append(FieldError(field, .controlCharacters))
        }
        if body.unicodeScalars.contains(where: { $0.value == 0 }) { errors.append(FieldError("body", .controlCharacters)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let now = context.now
        let userID = signedIn?.viewer.userID
        let (sender, address) = (name, contact)
        return try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                INSERT INTO service_feedback (name, contact, body, user_id, status, note, created_at, updated_at)
                VALUES (\(bind: sender), \(bind: address), \(bind: body), \(bind: userID), 'new', '', \(bind: now), \(bind: now)) RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
        }
    }

    static func list(status: String?, before: Int?, limit: Int, context: ServiceContext) async throws -> ListOf<FeedbackDTO> {
        try context.require(.manageQuality)
        var query = select + " WHERE 1 = 1"
        if let status { query = query + " AND f.status = \(bind: status)" }
        if let before { query = query + " AND f.id < \(bind: before)" }
        let rows = try await context.sql.raw(query + " ORDER BY f.id DESC LIMIT \(bind: limit + 1)").all(decoding: Row.self)
        return ListOf(items: rows.prefix(limit).map(\.dto), nextCursor: rows.count > limit ? String(rows[limit - 1].id) : nil)
    }

    static func get(id: Int, context: ServiceContext) async throws -> FeedbackDTO {
        try context.require(.manageQuality)
        guard let row = try await context.sql.raw(select + " WHERE f.id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "feedback", id: String(id))
        }
        return row.dto
    }

    /// A manager moves a remark on (status) and notes what was done.
    static func update(id: Int, _ input: FeedbackPatchInput, context: ServiceContext) async throws -> FeedbackDTO {
        try context.require(.manageQuality)
        var errors: [FieldError] = []
        if let status = input.status, !statuses.contains(status) { errors.append(FieldError("status", .unknownValue, statuses.joined(separator: ", "))) }
        if let note = input.note, note.isOver(noteMax) { errors.append(FieldError("note", .tooLong, String(noteMax))) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let current = try await get(id: id, context: context)
        let (now, handler) = (context.now, try context.viewer.userID)
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE service_feedback SET status = \(bind: input.status ?? current.status), note = \(bind: input.note ?? current.note),
                       handled_by = \(bind: handler), updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
        }
        return try await get(id: id, context: context)
    }
}
