import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Legal holds (issue 22): a customer's, or a whole organization's, data kept for a court case,
/// an audit or an investigation. While a hold is active their personal data may not be erased
/// (`ErasureService` refuses with the hold's reason). Placing and releasing a hold are audit events;
/// a released hold stays listed with who released it and why.
enum LegalHoldService {
    enum Subject: Sendable, Equatable {
        case user(Int)
        case organization(Int)
    }

    struct Row: Decodable, Sendable {
        let id: Int
        let user_id: Int?
        let user_name: String?
        let organization_id: Int?
        let organization_name: String?
        let reason: String
        let placed_by: Int?
        let placed_by_name: String?
        let placed_at: Date
        let released_by: Int?
        let released_by_name: String?
        let released_at: Date?
        let release_reason: String?
    }

    private static let select: SQLQueryString = """
        SELECT h.id, h.user_id, u.name AS user_name, h.organization_id, o.name AS organization_name, h.reason,
               h.placed_by, p.name AS placed_by_name, h.placed_at, h.released_by, r.name AS released_by_name, h.released_at, h.release_reason
        FROM legal_holds h LEFT JOIN users u ON u.id = h.user_id LEFT JOIN organizations o ON o.id = h.organization_id
        LEFT JOIN users p ON p.id = h.placed_by LEFT JOIN users r ON r.id = h.released_by
        """

    /// Holds that cover a customer: on them, or on their organization.
    private static func covering(_ userID: Int) -> SQLQueryString {
        "(h.user_id = \(bind: userID) OR h.organization_id = (SELECT organization_id FROM users WHERE id = \(bind: userID)))"
    }

    /// Places a hold on a customer or an organization (admins).
    static func place(on subject: Subject, reason rawReason: String?, context: ServiceContext) async throws -> LegalHoldDTO {
        try context.require(.manageUsers)
        let viewer = try context.viewer
        let (reason, errors) = AuditEvents.reason(rawReason)
        switch subject {
        case .user(let id):
            guard let user = try await UserRecord.find(id, on: context.database) else { throw ZayavkaError.notFound(entity: "user", id: String(id)) }
            if !errors.isEmpty { throw ZayavkaError.validation(errors) }
            if user.role != Role.customer.rawValue {
                throw ZayavkaError.validation([FieldError("user", .notAllowed, "staff accounts are never erased, so they need no hold")])
            }
        case .organization(let id):
            let found = try await context.sql.raw("SELECT id FROM organizations WHERE id = \(bind: id)").first()
            guard found != nil else { throw ZayavkaError.notFound(entity: "organization", id: String(id)) }
            if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        }
        let now = context.now
        let id = try await context.write { db -> Int in
            let sql = db as! any SQLDatabase
            let (userID, organizationID): (Int?, Int?) = switch subject {
            case .user(let id): (id, nil)
            case .organization(let id): (nil, id)
            }
            // The held row is locked, so an erasure running now either finishes first or sees the hold.
            try await lock(subject, on: sql)
            let row = try await sql.raw("""
                INSERT INTO legal_holds (user_id, organization_id, reason, placed_by, placed_at)
                VALUES (\(bind: userID), \(bind: organizationID), \(bind: reason), \(bind: viewer.userID), \(bind: now)) RETURNING id
                """).first()
            let id = try row!.decode(column: "id", as: Int.self)
            try await audit("legal_hold_placed", hold: id, userID: userID, organizationID: organizationID, reason: reason,
                            actor: viewer.userID, at: now, on: sql)
            return id
        }
        return try await get(id: id, context: context)
    }

    /// Releases an active hold (admins); why is required and kept.
    static func release(id: Int, reason rawReason: String?, context: ServiceContext) async throws -> LegalHoldDTO {
        try context.require(.manageUsers)
        let viewer = try context.viewer
        let hold = try await get(id: id, context: context)
        let (reason, errors) = AuditEvents.reason(rawReason)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if hold.releasedAt != nil { throw ZayavkaError.validation([FieldError("hold", .notAllowed, "already released")]) }
        let now = context.now
        let released = try await context.write { db -> Bool in
            let sql = db as! any SQLDatabase
            let row = try await sql.raw("""
                UPDATE legal_holds SET released_by = \(bind: viewer.userID), released_at = \(bind: now), release_reason = \(bind: reason)
                WHERE id = \(bind: id) AND released_at IS NULL RETURNING id
                """).first()
            guard row != nil else { return false }
            try await audit("legal_hold_released", hold: id, userID: hold.user?.id, organizationID: hold.organization?.id, reason: reason,
                            actor: viewer.userID, at: now, on: sql)
            return true
        }
        if !released { throw ZayavkaError.validation([FieldError("hold", .notAllowed, "already released")]) }
        return try await get(id: id, context: context)
    }

    static func get(id: Int, context: ServiceContext) async throws -> LegalHoldDTO {
        try context.require(.manageUsers)
        guard let row = try await context.sql.raw(select + " WHERE h.id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "legal_hold", id: String(id))
        }
        return LegalHoldDTO(row)
    }

    /// Holds, newest first: all, only active ones, and/or those covering one customer (theirs and their organization's).
    static func list(activeOnly: Bool, coveringUser userID: Int?, limit: Int, context: ServiceContext) async throws -> [LegalHoldDTO] {
        try context.require(.manageUsers)
        var conditions: [SQLQueryString] = []
        if activeOnly { conditions.append("h.released_at IS NULL") }
        if let userID {
            guard try await UserRecord.find(userID, on: context.database) != nil else { throw ZayavkaError.notFound(entity: "user", id: String(userID)) }
            conditions.append(covering(userID))
        }
        var query = select
        if !conditions.isEmpty { query = query + " WHERE " + conditions.joined(separator: " AND ") }
        return try await context.sql.raw(query + " ORDER BY h.id DESC LIMIT \(bind: limit)").all(decoding: Row.self).map(LegalHoldDTO.init)
    }

    /// Why the customer's data may not be erased: one `legal_hold` error per active hold covering
    /// them, with its grounds. The erasure reads it again inside its transaction after locking their
    /// rows (`lock`): a hold placed meanwhile is seen or waits.
    static func refusals(coveringUser userID: Int, on sql: any SQLDatabase) async throws -> [FieldError] {
        struct ReasonRow: Decodable { let reason: String }
        return try await sql.raw("SELECT h.reason FROM legal_holds h WHERE h.released_at IS NULL AND " + covering(userID) + " ORDER BY h.id")
            .all(decoding: ReasonRow.self).map { FieldError("user", .legalHold, $0.reason) }
    }

    /// Locks a held row on PostgreSQL (SQLite has one writer at a time).
    static func lock(_ subject: Subject, on sql: any SQLDatabase) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        switch subject {
        case .user(let id): try await sql.raw("SELECT id FROM users WHERE id = \(bind: id) FOR UPDATE").run()
        case .organization(let id): try await sql.raw("SELECT id FROM organizations WHERE id = \(bind: id) FOR UPDATE").run()
        }
    }

    private static func audit(_ action: String, hold: Int, userID: Int?, organizationID: Int?, reason: String, actor: Int,
                              at now: Date, on sql: any SQLDatabase) async throws {
        var details = ["hold_id": hold]
        if let organizationID { details["organization_id"] = organizationID }
        try await AuditEvents.record(action, actor: actor, subjectUserID: userID, reason: reason, details: details, at: now, on: sql)
    }
}

/// `POST /users/{id}/legal-holds`, `POST /organizations/{id}/legal-holds`, `POST /legal-holds/{id}/release`: why.
struct LegalHoldInput: Content {
    var reason: String?
}

/// One legal hold: on whom, why, who placed it and when; who released it, when and why.
struct LegalHoldDTO: Content, Sendable {
    let id: Int
    let user: PersonRef?
    let organization: PersonRef?
    let reason: String
    /// Not yet released.
    let active: Bool
    let placedBy: PersonRef?
    let placedAt: Date
    let releasedBy: PersonRef?
    let releasedAt: Date?
    let releaseReason: String?

    enum CodingKeys: String, CodingKey {
        case id, user, organization, reason, active
        case placedBy = "placed_by", placedAt = "placed_at", releasedBy = "released_by", releasedAt = "released_at", releaseReason = "release_reason"
    }

    init(_ row: LegalHoldService.Row) {
        id = row.id
        user = row.user_id.map { PersonRef(id: $0, name: row.user_name ?? "") }
        organization = row.organization_id.map { PersonRef(id: $0, name: row.organization_name ?? "") }
        reason = row.reason
        active = row.released_at == nil
        placedBy = row.placed_by.map { PersonRef(id: $0, name: row.placed_by_name ?? "") }
        placedAt = row.placed_at
        releasedBy = row.released_by.map { PersonRef(id: $0, name: row.released_by_name ?? "") }
        releasedAt = row.released_at
        releaseReason = row.release_reason
    }
}

extension LegalHoldDTO {
    /// Every key is written, `null` included: a client sees `released_at: null` on an active hold.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(user, forKey: .user)
        try c.encode(organization, forKey: .organization)
        try c.encode(reason, forKey: .reason)
        try c.encode(active, forKey: .active)
        try c.encode(placedBy, forKey: .placedBy)
        try c.encode(placedAt, forKey: .placedAt)
        try c.encode(releasedBy, forKey: .releasedBy)
        try c.encode(releasedAt, forKey: .releasedAt)
        try c.encode(releaseReason, forKey: .releaseReason)
    }
}
