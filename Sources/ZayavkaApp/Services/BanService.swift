import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore

/// What bans refused, per channel (Prometheus: `zayavka_ban_refusals_total{channel=…}`).
enum BanMetrics {
    static let mail = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "mail")])
    static let api = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "api")])
    static let web = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "web")])
    static let signIn = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "sign_in")])
    static let widget = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "widget")])
    static let chat = Counter(label: "zayavka_ban_refusals_total", dimensions: [("channel", "chat")])
}

/// The bans in force, as every channel checks them on each request: loaded from the database at
/// most every 2 seconds per instance and at once after a change made here. Another instance sees a
/// ban or a lift within those 2 seconds (documented in docs/security.md).
final class BanDirectory: Sendable {
    private let cache = RefreshingCache<BanList>(ttl: 2)

    func list(_ sql: any SQLDatabase) async throws -> BanList {
        try await cache.value {
            let rows = try await sql.raw("SELECT id, scope, user_id, value, reason, ends_at FROM bans WHERE lifted_at IS NULL").all()
            return BanList(try rows.compactMap { row in
                guard let scope = BanScope(rawValue: try row.decode(column: "scope", as: String.self)) else { return nil }
                return BanEntry(id: try row.decode(column: "id", as: Int.self), scope: scope, userID: try row.decode(column: "user_id", as: Int?.self),
                                value: try row.decode(column: "value", as: String.self), reason: try row.decode(column: "reason", as: String.self),
                                endsAt: try row.decode(column: "ends_at", as: Date?.self))
            })
        }
    }

    func invalidate() { cache.invalidate() }

    /// The ban that covers this account or address now, if any.
    func match(userID: Int?, email: String?, now: Date = Date(), _ sql: any SQLDatabase) async throws -> BanEntry? {
        let list = try await list(sql)
        return list.match(userID: userID, email: email, at: now)
    }

    /// Refuses a banned customer (staff are never banned): `.banned` with the ban's end.
    func refuse(_ signedIn: SignedIn, now: Date = Date(), _ sql: any SQLDatabase, counter: Counter) async throws {
        guard signedIn.viewer.role == .customer else { return }
        if let ban = try await match(userID: signedIn.viewer.userID, email: signedIn.email, now: now, sql) {
            counter.increment()
            throw ZayavkaError.banned(until: ban.endsAt)
        }
    }
}

/// Bans (issue 19, SPEC X1): managers approve or decline the ban requests that conduct warnings
/// record, ban a customer, an address or a domain directly, change and lift bans. Every act is an
/// audit event. The checks themselves are `BanDirectory` in each channel.
enum BanService {
    enum State: String, CaseIterable { case active, expired, lifted, all }

    private struct Row: Decodable {
        let id: Int
        let scope: String
        let user_id: Int?
        let customer_name: String?
        let value: String
        let reason: String
        let ends_at: Date?
        let created_by: Int?
        let creator_name: String?
        let created_at: Date
        let updated_at: Date
        let lifted_at: Date?
        let lifted_by: Int?
        let lifter_name: String?
        let lift_reason: String?
        let request_id: Int?
    }

    private static let select: SQLQueryString = """
        SELECT b.id, b.scope, b.user_id, cu.name AS customer_name, b.value, b.reason, b.ends_at, b.created_by, cr.name AS creator_name,
               b.created_at, b.updated_at, b.lifted_at, b.lifted_by, li.name AS lifter_name, b.lift_reason, b.request_id
        FROM bans b LEFT JOIN users cu ON cu.id = b.user_id LEFT JOIN users cr ON cr.id = b.created_by LEFT JOIN users li ON li.id = b.lifted_by
        """

    private static func dto(_ row: Row, now: Date) -> BanDTO {
        let state = row.lifted_at != nil ? "lifted" : (row.ends_at.map { $0 <= now } ?? false) ? "expired" : "active"
        return BanDTO(id: row.id, scope: row.scope, customer: row.user_id.map { PersonRef(id: $0, name: row.customer_name ?? "") },
                      value: row.value, reason: row.reason, endsAt: row.ends_at, state: state,
                      createdBy: row.created_by.map { PersonRef(id: $0, name: row.creator_name ?? "") }, createdAt: row.created_at,
                      updatedAt: row.updated_at, liftedAt: row.lifted_at, liftedBy: row.lifted_by.map { PersonRef(id: $0, name: row.lifter_name ?? "") },
                      liftReason: row.lift_reason, requestId: row.request_id)
    }

    /// Bans newest first, in one state (`active` by default) or all.
    static func list(state: State = .active, limit: Int = 200, context: ServiceContext) async throws -> [BanDTO] {
        try context.require(.manageBans)
        let now = context.now
        let filter: SQLQueryString
        switch state {
        case .active: filter = "WHERE b.lifted_at IS NULL AND (b.ends_at IS NULL OR b.ends_at > \(bind: now))"
        case .expired: filter = "WHERE b.lifted_at IS NULL AND b.ends_at <= \(bind: now)"
        case .lifted: filter = "WHERE b.lifted_at IS NOT NULL"
        case .all: filter = ""
        }
        return try await context.sql.raw("\(select) \(filter) ORDER BY b.id DESC LIMIT \(bind: limit)").all(decoding: Row.self).map { dto($0, now: now) }
    }

    static func get(_ id: Int, context: ServiceContext) async throws -> BanDTO {
        try context.require(.manageBans)
        return try await load(id, sql: context.sql, now: context.now)
    }

    private static func load(_ id: Int, sql: any SQLDatabase, now: Date) async throws -> BanDTO {
        guard let row = try await sql.raw("\(select) WHERE b.id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "ban", id: String(id))
        }
        return dto(row, now: now)
    }

    /// The bans in force that cover a person or an address (for the staff pages' banners).
    static func covering(userID: Int?, email: String?, context: ServiceContext) async throws -> BanEntry? {
        try await context.services.bans.match(userID: userID, email: email, now: context.now, context.sql)
    }

    /// What a valid new ban is: its scope, the account (for a customer), the normalized value.
    private struct Checked: Sendable {
        let scope: BanScope
        let userID: Int?
        let value: String
        let reason: String
        let endsAt: Date?
    }

    private static func check(_ input: BanInput, context: ServiceContext) async throws -> Checked {
        var errors: [FieldError] = []
        let scope = input.scope.flatMap { BanScope(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) }
        if input.scope == nil || input.scope?.isEmpty == true {
            errors.append(FieldError("scope", .required))
        } else if scope == nil {
            errors.append(FieldError("scope", .unknownValue, BanScope.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        let (reason, reasonErrors) = AuditEvents.reason(input.reason)
        errors += reasonErrors
        if let end = input.endsAt, end <= context.now { errors.append(FieldError("ends_at", .mustBeInFuture)) }
        var userID: Int?
        var value = ""
        let raw = (input.value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if raw.utf8.count > FieldLimits.email { errors.append(FieldError("value", .tooLong, String(FieldLimits.email))) }
        switch scope {
        case .customer?:
            var row: (any SQLRow)?
            if let id = input.customerId {
                row = try await context.sql.raw("SELECT id, email, role FROM users WHERE id = \(bind: id)").first()
                if row == nil { errors.append(FieldError("customer_id", .unknownValue)) }
            } else if !raw.isEmpty, raw.utf8.count <= FieldLimits.email {
                row = try await context.sql.raw("SELECT id, email, role FROM users WHERE email = \(bind: BanRules.normalizedEmail(raw))").first()
                if row == nil { errors.append(FieldError("value", .unknownValue)) }
            } else if raw.isEmpty {
                errors.append(FieldError("customer_id", .required))
            }
            if let row {
                if try row.decode(column: "role", as: String.self) != Role.customer.rawValue {
                    // Staff are never banned: their access is a matter of their account.
                    errors.append(FieldError(input.customerId != nil ? "customer_id" : "value", .notAllowed))
                } else {
                    userID = try row.decode(column: "id", as: Int.self)
                    value = try row.decode(column: "email", as: String.self)
                }
            }
        case .email?:
            value = BanRules.normalizedEmail(raw)
            if raw.isEmpty { errors.append(FieldError("value", .required)) } else if !EmailAddress.isValid(value) { errors.append(FieldError("value", .invalid)) }
        case .domain?:
            if raw.isEmpty {
                errors.append(FieldError("value", .required))
            } else if let domain = BanRules.normalizedDomain(raw) {
                value = domain
            } else {
                errors.append(FieldError("value", .invalid))
            }
        case nil: break
        }
        if let scope, !value.isEmpty {
            let mail = context.services.configuration.mail
            let own = mail.supportAddresses + [mail.from.address] + (try await context.services.mailboxes.entries(context.sql)).map(\.address)
            if BanRules.coversOwnAddress(scope: scope, value: value, ownAddresses: own) { errors.append(FieldError("value", .notAllowed)) }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        guard let scope else { throw ZayavkaError.validation([FieldError("scope", .required)]) }
        return Checked(scope: scope, userID: userID, value: value, reason: reason, endsAt: input.endsAt)
    }

    /// Bans a customer, an address or a domain (managers). A second active ban of the same target is
    /// refused (409): change the one there is.
    static func create(_ input: BanInput, context: ServiceContext) async throws -> BanDTO {
        try context.require(.manageBans)
        let checked = try await check(input, context: context)
        let id = try await context.write { db in
            try await insert(checked, requestID: nil, context: context, on: db as! any SQLDatabase)
        }
        context.services.bans.invalidate()
        return try await load(id, sql: context.sql, now: context.now)
    }

    private static func insert(_ ban: Checked, requestID: Int?, context: ServiceContext, on sql: any SQLDatabase) async throws -> Int {
        let now = context.now
        let actor = try context.viewer.userID
        let same: SQLQueryString = ban.userID.map { "user_id = \(bind: $0)" } ?? "scope = \(bind: ban.scope.rawValue) AND value = \(bind: ban.value)"
        if try await sql.raw("""
            SELECT id FROM bans WHERE \(same) AND lifted_at IS NULL AND (ends_at IS NULL OR ends_at > \(bind: now))
            """).first() != nil {
            throw ZayavkaError.conflict(field: ban.scope == .customer ? "customer_id" : "value", value: ban.value)
        }
        guard let id = try await sql.raw("""
            INSERT INTO bans (scope, user_id, value, reason, ends_at, created_by, created_at, updated_at, request_id)
            VALUES (\(bind: ban.scope.rawValue), \(bind: ban.userID), \(bind: ban.value), \(bind: ban.reason), \(bind: ban.endsAt),
                    \(bind: actor), \(bind: now), \(bind: now), \(bind: requestID))
            RETURNING id
            """).first()?.decode(column: "id", as: Int.self) else { throw Abort(.internalServerError, reason: "the ban was not stored") }
        var details = ["ban_id": id]
        if let requestID { details["request_id"] = requestID }
        if let end = ban.endsAt { details["ends_at_unix"] = Int(end.timeIntervalSince1970) }
        try await AuditEvents.record("ban_created", actor: actor, subjectUserID: ban.userID, reason: ban.reason, details: details, at: now, on: sql)
        return id
    }

    /// Changes a ban's reason or end (managers); a lifted ban cannot change (409).
    static func update(_ id: Int, _ input: BanUpdate, context: ServiceContext) async throws -> BanDTO {
        try context.require(.manageBans)
        let current = try await load(id, sql: context.sql, now: context.now)
        var errors: [FieldError] = []
        var reason = current.reason
        if input.reason != nil {
            let (text, reasonErrors) = AuditEvents.reason(input.reason)
            errors += reasonErrors
            reason = text
        }
        var endsAt = current.endsAt
        if input.permanent == true {
            if input.endsAt != nil { errors.append(FieldError("ends_at", .notAllowed)) }
            endsAt = nil
        } else if let end = input.endsAt {
            if end <= context.now { errors.append(FieldError("ends_at", .mustBeInFuture)) }
            endsAt = end
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        guard current.liftedAt == nil else { throw ZayavkaError.conflict(field: "lifted_at", value: String(id)) }
        let actor = try context.viewer.userID
        let now = context.now
        let (newReason, newEnd) = (reason, endsAt)
        try await context.write { db in
            let sql = db as! any SQLDatabase
            guard try await sql.raw("""
                UPDATE bans SET reason = \(bind: newReason), ends_at = \(bind: newEnd), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND lifted_at IS NULL RETURNING id
                """).first() != nil else { throw ZayavkaError.conflict(field: "lifted_at", value: String(id)) }
            var details = ["ban_id": id]
            if let newEnd { details["ends_at_unix"] = Int(newEnd.timeIntervalSince1970) }
            try await AuditEvents.record("ban_changed", actor: actor, subjectUserID: current.customer?.id, reason: newReason, details: details, at: now, on: sql)
        }
        context.services.bans.invalidate()
        return try await load(id, sql: context.sql, now: now)
    }

    /// Lifts a ban with the grounds (managers): access comes back in every channel at once here,
    /// within 2 seconds on other instances. Lifting a lifted ban changes nothing.
    static func lift(_ id: Int, _ note: BanDecisionNote, context: ServiceContext) async throws -> BanDTO {
        try context.require(.manageBans)
        let current = try await load(id, sql: context.sql, now: context.now)
        let (reason, errors) = AuditEvents.reason(note.reason)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        guard current.liftedAt == nil else { return current }
        let actor = try context.viewer.userID
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            guard try await sql.raw("""
                UPDATE bans SET lifted_at = \(bind: now), lifted_by = \(bind: actor), lift_reason = \(bind: reason), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND lifted_at IS NULL RETURNING id
                """).first() != nil else { return }
            try await AuditEvents.record("ban_lifted", actor: actor, subjectUserID: current.customer?.id, reason: reason, details: ["ban_id": id], at: now, on: sql)
        }
        context.services.bans.invalidate()
        return try await load(id, sql: context.sql, now: now)
    }

    // MARK: Requests

    private struct RequestRow: Decodable {
        let id: Int
        let number: Int
        let subject: String
        let customer_id: Int
        let customer_name: String
        let customer_email: String
        let requested_by: Int?
        let requester_name: String?
        let requested_at: Date
        let status: String
        let decided_by: Int?
        let decider_name: String?
        let decided_at: Date?
        let decision_note: String?
        let ban_id: Int?
        let warnings: Int
    }

    private static func requestSelect(_ filter: SQLQueryString) -> SQLQueryString {
        """
        SELECT r.id, t.number, t.subject, r.customer_id, c.name AS customer_name, c.email AS customer_email, r.requested_by, q.name AS requester_name,
               r.requested_at, r.status, r.decided_by, d.name AS decider_name, r.decided_at, r.decision_note, r.ban_id,
               (SELECT COUNT(*) FROM ticket_events e JOIN tickets t2 ON t2.id = e.ticket_id
                WHERE e.kind = \(bind: EventKind.conductWarning.rawValue) AND t2.requester_id = r.customer_id) AS warnings
        FROM ban_requests r JOIN tickets t ON t.id = r.ticket_id JOIN users c ON c.id = r.customer_id
        LEFT JOIN users q ON q.id = r.requested_by LEFT JOIN users d ON d.id = r.decided_by
        \(filter)
        """
    }

    private static func requestDTO(_ row: RequestRow) -> BanRequestDTO {
        BanRequestDTO(id: row.id, ticketNumber: row.number, ticketSubject: row.subject, customer: PersonRef(id: row.customer_id, name: row.customer_name),
                      customerEmail: row.customer_email, warnings: row.warnings,
                      requestedBy: row.requested_by.map { PersonRef(id: $0, name: row.requester_name ?? "") }, requestedAt: row.requested_at,
                      status: row.status, decidedBy: row.decided_by.map { PersonRef(id: $0, name: row.decider_name ?? "") }, decidedAt: row.decided_at,
                      decisionNote: row.decision_note, banId: row.ban_id)
    }

    /// Ban requests, oldest pending first; or newest first in another status (`all`: every one).
    static func requests(status: String?, limit: Int = 200, context: ServiceContext) async throws -> [BanRequestDTO] {
        try context.require(.manageBans)
        let status = status ?? "pending"
        let filter: SQLQueryString
        switch status {
        case "pending": filter = "WHERE r.status = 'pending' ORDER BY r.id ASC"
        case "approved", "declined": filter = "WHERE r.status = \(bind: status) ORDER BY r.id DESC"
        case "all": filter = "ORDER BY r.id DESC"
        default: throw ZayavkaError.validation([FieldError("status", .unknownValue, "pending, approved, declined, all")])
        }
        return try await context.sql.raw("\(requestSelect(filter)) LIMIT \(bind: limit)").all(decoding: RequestRow.self).map(requestDTO)
    }

    private static func request(_ id: Int, sql: any SQLDatabase) async throws -> BanRequestDTO {
        guard let row = try await sql.raw(requestSelect("WHERE r.id = \(bind: id)")).first(decoding: RequestRow.self) else {
            throw ZayavkaError.notFound(entity: "ban request", id: String(id))
        }
        return requestDTO(row)
    }

    /// Records a conduct warning's ban request: one pending request per customer (a further request
    /// while one waits changes nothing), none for a customer already banned. Runs inside the caller's write.
    static func recordRequest(ticketID: Int, customerID: Int, actorID: Int, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO ban_requests (ticket_id, customer_id, requested_by, requested_at, status)
            SELECT \(bind: ticketID), \(bind: customerID), \(bind: actorID), \(bind: now), 'pending'
            WHERE NOT EXISTS (SELECT 1 FROM ban_requests WHERE customer_id = \(bind: customerID) AND status = 'pending')
            """).run()
    }

    /// Approves a pending request: the customer is banned with the reason (by default the repeat
    /// offence on the request's ticket) and end given (managers). 409 when it was decided already.
    static func approve(_ id: Int, _ input: BanApproval, context: ServiceContext) async throws -> BanDTO {
        try context.require(.manageBans)
        let pending = try await request(id, sql: context.sql)
        let defaultReason = context.language == .ru
            ? "Повторное нарушение правил общения после предупреждения (заявка №\(pending.ticketNumber))"
            : "A repeat breach of the rules of conduct after a warning (ticket #\(pending.ticketNumber))"
        let given = input.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let checked = try await check(BanInput(scope: BanScope.customer.rawValue, customerId: pending.customer.id, value: nil,
                                               reason: given.isEmpty ? defaultReason : given, endsAt: input.endsAt), context: context)
        guard pending.status == "pending" else { throw ZayavkaError.conflict(field: "status", value: pending.status) }
        let actor = try context.viewer.userID
        let now = context.now
        let banID = try await context.write { db in
            let sql = db as! any SQLDatabase
            guard try await sql.raw("""
                UPDATE ban_requests SET status = 'approved', decided_by = \(bind: actor), decided_at = \(bind: now)
                WHERE id = \(bind: id) AND status = 'pending' RETURNING id
                """).first() != nil else { throw ZayavkaError.conflict(field: "status", value: "decided") }
            let banID = try await insert(checked, requestID: id, context: context, on: sql)
            try await sql.raw("UPDATE ban_requests SET ban_id = \(bind: banID) WHERE id = \(bind: id)").run()
            return banID
        }
        context.services.bans.invalidate()
        return try await load(banID, sql: context.sql, now: now)
    }

    /// Declines a pending request with the grounds (managers). 409 when it was decided already.
    static func decline(_ id: Int, _ note: BanDecisionNote, context: ServiceContext) async throws -> BanRequestDTO {
        try context.require(.manageBans)
        let pending = try await request(id, sql: context.sql)
        let (reason, errors) = AuditEvents.reason(note.reason)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        guard pending.status == "pending" else { throw ZayavkaError.conflict(field: "status", value: pending.status) }
        let actor = try context.viewer.userID
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            guard try await sql.raw("""
                UPDATE ban_requests SET status = 'declined', decided_by = \(bind: actor), decided_at = \(bind: now), decision_note = \(bind: reason)
                WHERE id = \(bind: id) AND status = 'pending' RETURNING id
                """).first() != nil else { throw ZayavkaError.conflict(field: "status", value: "decided") }
            try await AuditEvents.record("ban_request_declined", actor: actor, subjectUserID: pending.customer.id, reason: reason,
                                         details: ["request_id": id], at: now, on: sql)
        }
        return try await request(id, sql: context.sql)
    }
}
