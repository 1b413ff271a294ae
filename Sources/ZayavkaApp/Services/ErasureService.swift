import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Erasing a customer's personal data on request (Russian law 152-FZ, GDPR): their name, email and
/// phone, and the text of what they wrote, are replaced; their attachments and the raw mail they
/// sent or were sent are deleted; their tickets stay, with statuses, times and SLA figures, so the
/// desk's statistics do not change. Mentions of their name, address or phone in anyone's text (an
/// agent's reply, a note, a call's note) are replaced too. One transaction; the act is an audit
/// event with who and why. Staff accounts are deactivated, not erased.
enum ErasureService {
    struct Outcome: Sendable {
        let user: UserDTO
        let comments: Int
        let tickets: Int
        let attachments: Int
        let mails: Int
    }

    /// Text columns the generic replacement leaves alone: identities matched exactly instead (a
    /// substring of someone else's address or name must never be rewritten) and secrets.
    static let exactColumns: Set<String> = [
        "users.email", "users.name", "users.phone", "users.password_hash", "ticket_ccs.email", "mail_inbound.envelope_from",
        "mail_inbound.from_address", "mail_outbox.to_address", "api_tokens.token_hash", "web_sessions.token_hash",
        "web_sessions.csrf_token", "password_tokens.token_hash", "idempotency_keys.key", "idempotency_keys.request_hash",
        "directory_keys.key", "audit_events.reason", "audit_events.details",
        // The history may only be redacted (emptied), never rewritten (M023): see `redactHistory`.
        "ticket_events.before", "ticket_events.after", "ticket_events.reason", "ticket_events.field", "ticket_events.kind",
    ]

    static func erase(userID: Int, reason rawReason: String?, context: ServiceContext) async throws -> Outcome {
        try context.require(.manageUsers)
        let viewer = try context.viewer
        let (reason, reasonErrors) = AuditEvents.reason(rawReason)
        var errors = reasonErrors
        guard let user = try await UserRecord.find(userID, on: context.database) else { throw ZayavkaError.notFound(entity: "user", id: String(userID)) }
        if user.role != Role.customer.rawValue {
            errors.append(FieldError("user", .notAllowed, "staff accounts are deactivated, not erased"))
        }
        if user.email.hasSuffix("@" + erasedDomain) { errors.append(FieldError("user", .notAllowed, "already erased")) }
        // Legal holds on them or their organization: nothing may be erased until they are released.
        errors += try await LegalHoldService.refusals(coveringUser: userID, on: context.sql)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }

        let ru = context.services.configuration.defaultLanguage == .ru
        let placeholder = ru ? "[удалено]" : "[erased]"
        let erasedName = (ru ? "Удалённый пользователь #" : "Erased user #") + String(userID)
        let erasedEmail = "erased-\(userID)@\(erasedDomain)"
        let erasedSubject = ru ? "Обращение удалённого пользователя" : "Request of an erased user"
        let identifiers = [user.email, user.name, user.phone ?? ""].filter { $0.count >= 4 }
        // The longest first: a name inside an address stays whole.
        let needles = Array(Set(identifiers + identifiers.map(TextFolding.fold))).sorted { $0.count > $1.count }
        let email = user.email
        let now = context.now
        let dialect = context.sql.dialect.name

        let (outcome, files) = try await context.write { db -> ((Int, Int, Int, Int), [String]) in
            let sql = db as! any SQLDatabase
            struct IDRow: Decodable { let id: Int }
            struct KeyRow: Decodable { let storage_key: String }
            struct TicketIDRow: Decodable { let ticket_id: Int }
            // A hold placed since the check above: its placement locks these rows too, so it is seen here or waits.
            try await LegalHoldService.lock(.user(userID), on: sql)
            if let organizationID = user.organizationID { try await LegalHoldService.lock(.organization(organizationID), on: sql) }
            let holds = try await LegalHoldService.refusals(coveringUser: userID, on: sql)
            if !holds.isEmpty { throw ZayavkaError.validation(holds) }
            let tickets = try await sql.raw("SELECT id FROM tickets WHERE requester_id = \(bind: userID)").all(decoding: IDRow.self).map(\.id)
            let comments = try await sql.raw("SELECT id FROM comments WHERE author_id = \(bind: userID)").all(decoding: IDRow.self).map(\.id)
            // Their files: uploaded by them, or on what they wrote.
            let attachmentCondition: SQLQueryString = comments.isEmpty ? "uploader_id = \(bind: userID)"
                : "uploader_id = \(bind: userID) OR comment_id IN (\(binds: comments))"
            let files = try await sql.raw("SELECT storage_key FROM attachments WHERE " + attachmentCondition).all(decoding: KeyRow.self).map(\.storage_key)
            try await sql.raw("DELETE FROM attachments WHERE " + attachmentCondition).run()
            try await context.services.files.removeChunks(keys: files, on: sql)
            if !comments.isEmpty {
                try await sql.raw("UPDATE comments SET body = \(bind: placeholder) WHERE id IN (\(binds: comments))").run()
            }
            var mails = 0
            let ticketCondition: SQLQueryString = tickets.isEmpty ? "1 = 0" : "ticket_id IN (\(binds: tickets))"
            if !tickets.isEmpty {
                try await sql.raw("""
                    UPDATE tickets SET subject = \(bind: erasedSubject), subject_folded = \(bind: TextFolding.fold(erasedSubject))
                    WHERE id IN (\(binds: tickets))
                    """).run()
                // The subject's history is their text too.
                try await sql.raw("UPDATE ticket_events SET before = NULL, after = NULL WHERE field = 'subject' AND " + ticketCondition).run()
                try await sql.raw("UPDATE callbacks SET number = '' WHERE " + ticketCondition).run()
            }
            // Raw mail from them, to them, or about their tickets: the bytes go, the record stays.
            mails += try await sql.raw("""
                UPDATE mail_inbound SET raw = \(bind: Data()), size = 0, subject = '', from_address = '', envelope_from = ''
                WHERE lower(from_address) = \(bind: email) OR lower(envelope_from) = \(bind: email) OR
                """ + " " + ticketCondition + " RETURNING id").all().count
            mails += try await sql.raw("""
                UPDATE mail_outbox SET raw = \(bind: Data()), subject = '', to_address = \(bind: erasedEmail),
                    status = CASE WHEN status IN ('queued', 'sending') THEN 'failed' ELSE status END,
                    last_error = CASE WHEN status IN ('queued', 'sending') THEN 'erased' ELSE last_error END
                WHERE lower(to_address) = \(bind: email) OR user_id = \(bind: userID) OR
                """ + " " + ticketCondition + " RETURNING id").all().count
            try await sql.raw("DELETE FROM ticket_ccs WHERE lower(email) = \(bind: email)").run()
            try await sql.raw("UPDATE calls SET number = '' WHERE customer_id = \(bind: userID)").run()
            // What they wrote about the service: survey comments (also in the rating's history) and feedback.
            try await sql.raw("UPDATE satisfaction_surveys SET comment = \(bind: placeholder) WHERE requester_id = \(bind: userID) AND comment IS NOT NULL").run()
            try await sql.raw("UPDATE ticket_events SET reason = NULL WHERE kind = 'satisfaction_rated' AND actor_id = \(bind: userID) AND reason IS NOT NULL").run()
            try await sql.raw("""
                UPDATE service_feedback SET name = \(bind: erasedName), contact = '', body = \(bind: placeholder)
                WHERE user_id = \(bind: userID) OR lower(contact) = \(bind: email)
                """).run()
            try await sql.raw("DELETE FROM widget_tickets WHERE session_id IN (SELECT id FROM widget_sessions WHERE user_id = \(bind: userID))").run()
            for table in ["problem_parties", "api_tokens", "web_sessions", "widget_sessions", "password_tokens", "idempotency_keys", "directory_keys"] {
                try await sql.raw("DELETE FROM \(ident: table) WHERE user_id = \(bind: userID)").run()
            }
            try await sql.raw("""
                UPDATE users SET email = \(bind: erasedEmail), name = \(bind: erasedName), phone = NULL, password_hash = NULL,
                    is_active = \(bind: false), email_verified_at = NULL, updated_at = \(bind: now)
                WHERE id = \(bind: userID)
                """).run()
            // The search index is rebuilt for every ticket and article whose text changes here.
            var reindexTickets = tickets
            var reindexArticles: [Int] = []
            if !comments.isEmpty {
                reindexTickets += try await sql.raw("SELECT DISTINCT ticket_id FROM comments WHERE id IN (\(binds: comments))").all(decoding: TicketIDRow.self).map(\.ticket_id)
            }
            if !needles.isEmpty {
                reindexTickets += try await sql.raw("SELECT DISTINCT ticket_id FROM comments WHERE " + mentions("body", of: needles, dialect: dialect))
                    .all(decoding: TicketIDRow.self).map(\.ticket_id)
                reindexArticles = try await sql.raw("SELECT id FROM kb_articles WHERE " + mentions("title", of: needles, dialect: dialect) + " OR "
                                                    + mentions("body_text", of: needles, dialect: dialect) + " OR " + mentions("tags", of: needles, dialect: dialect))
                    .all(decoding: IDRow.self).map(\.id)
            }
            if !needles.isEmpty {
                // Mentions anywhere else (an agent's reply "Иван Петров, здравствуйте", a call's note).
                for (table, column) in try await textColumns(on: sql, dialect: dialect) where !exactColumns.contains("\(table).\(column)") {
                    var value: SQLQueryString = "\(ident: column)"
                    for needle in needles { value = "REPLACE(" + value + ", \(bind: needle), \(bind: placeholder))" }
                    try await sql.raw("UPDATE \(ident: table) SET \(ident: column) = " + value + " WHERE "
                                      + mentions(column, of: needles, dialect: dialect)).run()
                }
                // The history: a value that mentions them is emptied (the database allows nothing else).
                for column in ["before", "after", "reason"] {
                    try await sql.raw("UPDATE ticket_events SET \(ident: column) = NULL WHERE " + mentions(column, of: needles, dialect: dialect)).run()
                }
            }
            try await DirectoryIndex.refresh(users: [userID], on: sql)
            try await SearchIndex.reindex(tickets: reindexTickets, on: sql)
            try await SearchIndex.reindex(articles: reindexArticles, on: sql)
            try await AuditEvents.record("personal_data_erased", actor: viewer.userID, subjectUserID: userID, reason: reason,
                                         details: ["tickets": tickets.count, "comments": comments.count, "attachments": files.count, "mails": mails],
                                         at: now, on: sql)
            return ((tickets.count, comments.count, files.count, mails), files)
        }
        for key in files { context.services.files.remove(key: key) }
        await compact(context: context)
        let erased = try await UserService.get(id: userID, context: context)
        return Outcome(user: erased, comments: outcome.1, tickets: outcome.0, attachments: outcome.2, mails: outcome.3)
    }

    static let erasedDomain = "erased.invalid"

    /// `column` holds any of `needles` (exact substrings, not LIKE patterns).
    static func mentions(_ column: String, of needles: [String], dialect: String) -> SQLQueryString {
        needles.map { needle -> SQLQueryString in
            dialect == "postgresql" ? "strpos(\(ident: column), \(bind: needle)) > 0" : "instr(\(ident: column), \(bind: needle)) > 0"
        }.joined(separator: " OR ")
    }

    /// Every text column of the desk's tables.
    static func textColumns(on sql: any SQLDatabase, dialect: String) async throws -> [(String, String)] {
        struct Row: Decodable { let tbl: String; let col: String }
        let rows: [Row]
        if dialect == "postgresql" {
            rows = try await sql.raw("""
                SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
                WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying') AND table_name <> '_fluent_migrations'
                ORDER BY table_name, column_name
                """).all(decoding: Row.self)
        } else {
            rows = try await sql.raw("""
                SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
                WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_fluent_migrations' AND upper(p.type) IN ('TEXT', 'VARCHAR')
                ORDER BY m.name, p.name
                """).all(decoding: Row.self)
        }
        return rows.map { ($0.tbl, $0.col) }
    }

    /// Old row versions keep the erased values until the database reuses their space: SQLite
    /// rewrites its file (VACUUM) and empties its write-ahead log; PostgreSQL's VACUUM frees the
    /// dead versions. Both outside the transaction; a failure is logged (the rows are erased).
    static func compact(context: ServiceContext) async {
        do {
            if context.sql.dialect.name == "postgresql" {
                try await context.sql.raw("VACUUM users, tickets, comments, attachments, mail_inbound, mail_outbox, ticket_events, calls, callbacks, search_docs, kb_articles, kb_revisions").run()
            } else {
                try await context.services.gate.run {
                    // Deleted search entries stay in FTS5's segments (as tombstones) until a merge: merge them all away.
                    for kind in SearchIndex.Kind.allCases {
                        try await context.sql.raw("INSERT INTO \(unsafeRaw: kind.ftsTable) (\(unsafeRaw: kind.ftsTable)) VALUES ('optimize')").run()
                    }
                    try await context.sql.raw("VACUUM").run()
                    try await context.sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
                }
            }
        } catch {
            context.logger.error("compacting after an erasure failed; the old row versions stay until the next VACUUM",
                                 metadata: ["error": "\(error)"])
        }
    }
}
