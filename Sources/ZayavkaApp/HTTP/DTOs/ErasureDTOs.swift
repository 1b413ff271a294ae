import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// `POST /users/{id}/erase`: why (recorded in the audit event).
struct ErasureInput: Content {
    var reason: String?
}

/// What an erasure did: the user as they are now, and how much it touched.
struct ErasureDTO: Content {
    let user: UserDTO
    let tickets: Int
    let comments: Int
    let attachments: Int
    let mails: Int

    init(_ outcome: ErasureService.Outcome) {
        user = outcome.user
        tickets = outcome.tickets
        comments = outcome.comments
        attachments = outcome.attachments
        mails = outcome.mails
    }
}

/// One audit event: who did what to whom, when and why.
struct AuditEventDTO: Content {
    let id: Int
    let action: String
    let actor: PersonRef?
    let subjectUserId: Int?
    let reason: String
    let details: [String: Int]
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, action, actor, reason, details
        case subjectUserId = "subject_user_id", createdAt = "created_at"
    }
}

enum AuditEvents {
    /// The grounds an audited act must give: required, one note's length, no control characters.
    static func reason(_ raw: String?) -> (String, [FieldError]) {
        let reason = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty { return (reason, [FieldError("reason", .required)]) }
        if let error = TextInput.check(reason, field: "reason", maxCharacters: FieldLimits.note) { return (reason, [error]) }
        return (reason, [])
    }

    /// Records one act on the caller's transaction; `details` are counts and ids, never the values an act removed.
    static func record(_ action: String, actor: Int, subjectUserID: Int?, reason: String, details: [String: Int], at now: Date,
                       on sql: any SQLDatabase) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(details), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO audit_events (actor_id, action, subject_user_id, reason, details, created_at)
            VALUES (\(bind: actor), \(bind: action), \(bind: subjectUserID), \(bind: reason), \(bind: json), \(bind: now))
            """).run()
    }

    private struct Row: Decodable {
        let id: Int
        let action: String
        let actor_id: Int?
        let actor_name: String?
        let subject_user_id: Int?
        let reason: String
        let details: String
        let created_at: Date
    }

    /// The latest events, newest first (admins).
    static func list(limit: Int, context: ServiceContext) async throws -> [AuditEventDTO] {
        try context.require(.manageUsers)
        return try await context.sql.raw("""
            SELECT a.id, a.action, a.actor_id, u.name AS actor_name, a.subject_user_id, a.reason, a.details, a.created_at
            FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT \(bind: limit)
            """).all(decoding: Row.self).map { row in
            let details = (try? JSONDecoder().decode([String: Int].self, from: Data(row.details.utf8))) ?? [:]
            return AuditEventDTO(id: row.id, action: row.action,
                                 actor: row.actor_id.map { PersonRef(id: $0, name: row.actor_name ?? "") },
                                 subjectUserId: row.subject_user_id, reason: row.reason, details: details, createdAt: row.created_at)
        }
    }
}
