import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// A temporary block for anomalous load (issue 19, SPEC X2), as managers see it.
struct LoadBlockDTO: Content {
    let id: Int
    /// address | account
    let scope: String
    /// The client address, or the account's id.
    let key: String
    let account: PersonRef?
    let accountEmail: String?
    let reason: String
    let refusals: Int
    let createdAt: Date
    let until: Date
    /// active | expired | lifted
    let state: String
    let liftedAt: Date?
    let liftedBy: PersonRef?
    let instance: String

    enum CodingKeys: String, CodingKey {
        case id, scope, key, account, reason, refusals, until, state, instance
        case accountEmail = "account_email", createdAt = "created_at", liftedAt = "lifted_at", liftedBy = "lifted_by"
    }
}

/// Blocks made by `LoadShield` when a party keeps going over its limit: written once, the owner of
/// an account mailed in the same transaction; listed and lifted by managers.
enum LoadBlockService {
    /// Writes a block (none when one is in force for the party already) and mails the account's owner.
    /// Runs in the background of the request that crossed the threshold: it logs and carries on.
    static func block(scope: LoadShield.Scope, key: String, userID: Int?, refusals: Int, until: Date, app: Application) async {
        let services = app.services
        let now = Date()
        let reason = "\(refusals) requests over the limit within a minute"
        do {
            let made: Bool = try await services.write(on: app.db) { db in
                let sql = db as! any SQLDatabase
                if try await sql.raw("""
                    SELECT id FROM load_blocks WHERE scope = \(bind: scope.rawValue) AND key = \(bind: key) AND lifted_at IS NULL AND until > \(bind: now)
                    """).first() != nil { return false }
                try await sql.raw("""
                    INSERT INTO load_blocks (scope, key, user_id, reason, refusals, created_at, until, instance)
                    VALUES (\(bind: scope.rawValue), \(bind: key), \(bind: userID), \(bind: reason), \(bind: refusals), \(bind: now), \(bind: until),
                            \(bind: ProcessIdentity.process))
                    """).run()
                if let userID, let owner = try await sql.raw("SELECT name, email, locale FROM users WHERE id = \(bind: userID)").first() {
                    let language = Language(rawValue: try owner.decode(column: "locale", as: String.self)) ?? services.configuration.defaultLanguage
                    let name = try owner.decode(column: "name", as: String.self), email = try owner.decode(column: "email", as: String.self)
                    let template = try await services.mailTemplates.template(.accountBlocked, language, on: sql)
                    let what = language == .ru
                        ? "за минуту — \(refusals) запросов сверх допустимого (\(services.configuration.limitPerAccount.map { "\(Int($0.rate)) в секунду" } ?? "лимит"))"
                        : "\(refusals) requests over the limit within a minute (\(services.configuration.limitPerAccount.map { "\(Int($0.rate)) a second" } ?? "the limit"))"
                    let rendered = template.render(["name": name, "subject": email, "until": Localizer.moscowDate(until), "body": what,
                                                    "tag": services.configuration.mail.subjectTag])
                    var mail = OutgoingMail(from: services.configuration.mail.from, to: [MailAddress(name: name, address: email)],
                                            subject: rendered.subject, text: rendered.body,
                                            messageID: OutgoingMail.makeMessageID(tag: "zy.block", domain: services.configuration.mail.domain))
                    mail.autoSubmitted = "auto-generated"
                    try await Outbox.enqueueAll([(mail, .accountBlocked, nil, userID)], on: sql)
                }
                return true
            }
            services.shield.invalidate()
            if made {
                LoadShield.blocksMade.increment()
                app.logger.warning("blocked for anomalous load", metadata: ["scope": "\(scope.rawValue)", "key": "\(key)", "until": "\(until)"])
                MailWorker.poke(services)
            }
        } catch {
            app.logger.error("a load block could not be written", metadata: ["error": "\(String(reflecting: error))", "key": "\(key)"])
        }
    }

    private struct Row: Decodable {
        let id: Int
        let scope: String
        let key: String
        let user_id: Int?
        let user_name: String?
        let user_email: String?
        let reason: String
        let refusals: Int
        let created_at: Date
        let until: Date
        let lifted_at: Date?
        let lifted_by: Int?
        let lifter_name: String?
        let instance: String
    }

    private static let select: SQLQueryString = """
        SELECT b.id, b.scope, b.key, b.user_id, u.name AS user_name, u.email AS user_email, b.reason, b.refusals, b.created_at, b.until,
               b.lifted_at, b.lifted_by, l.name AS lifter_name, b.instance
        FROM load_blocks b LEFT JOIN users u ON u.id = b.user_id LEFT JOIN users l ON l.id = b.lifted_by
        """

    private static func dto(_ row: Row, now: Date) -> LoadBlockDTO {
        LoadBlockDTO(id: row.id, scope: row.scope, key: row.key, account: row.user_id.map { PersonRef(id: $0, name: row.user_name ?? "") },
                     accountEmail: row.user_email, reason: row.reason, refusals: row.refusals, createdAt: row.created_at, until: row.until,
                     state: row.lifted_at != nil ? "lifted" : row.until <= now ? "expired" : "active", liftedAt: row.lifted_at,
                     liftedBy: row.lifted_by.map { PersonRef(id: $0, name: row.lifter_name ?? "") }, instance: row.instance)
    }

    /// Blocks newest first: those in force, or all (with the ended ones).
    static func list(active: Bool, limit: Int = 200, context: ServiceContext) async throws -> [LoadBlockDTO] {
        try context.require(.manageBans)
        let now = context.now
        let filter: SQLQueryString = active ? "WHERE b.lifted_at IS NULL AND b.until > \(bind: now)" : ""
        return try await context.sql.raw("\(select) \(filter) ORDER BY b.id DESC LIMIT \(bind: limit)").all(decoding: Row.self).map { dto($0, now: now) }
    }

    /// Lifts a block (managers): the party is served again at once here, within 2 seconds elsewhere.
    static func unblock(_ id: Int, context: ServiceContext) async throws -> LoadBlockDTO {
        try context.require(.manageBans)
        let now = context.now
        guard let row = try await context.sql.raw("\(select) WHERE b.id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "load block", id: String(id))
        }
        guard row.lifted_at == nil else { return dto(row, now: now) }
        let actor = try context.viewer.userID
        try await context.write { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("UPDATE load_blocks SET lifted_at = \(bind: now), lifted_by = \(bind: actor) WHERE id = \(bind: id) AND lifted_at IS NULL").run()
            try await AuditEvents.record("load_block_lifted", actor: actor, subjectUserID: row.user_id, reason: "unblocked by hand",
                                         details: ["block_id": id], at: now, on: sql)
        }
        context.services.shield.invalidate()
        context.services.shield.forget(LoadShield.Scope(rawValue: row.scope) ?? .address, row.key)
        guard let updated = try await context.sql.raw("\(select) WHERE b.id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "load block", id: String(id))
        }
        return dto(updated, now: now)
    }
}
