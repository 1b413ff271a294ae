import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Admins' view of the mail channel: what came in (and what is in quarantine, with why), what
/// goes out (and why it failed), the notification texts; and the public password-link endpoints.
enum MailService {
    static let inboundStatuses = ["pending", "processing", "processed", "quarantined", "duplicate", "ignored"]
    static let outboxStatuses = ["queued", "sending", "sent", "failed"]

    private struct StatusCountRow: Decodable {
        let status: String
        let n: Int
    }

    /// A received message as `inboundSelect` returns it.
    private struct InboundRow: Decodable {
        let id: Int
        let message_id: String?
        let from_address: String?
        let envelope_from: String
        let subject: String?
        let status: String
        let reason: String?
        let is_automatic: Bool
        let size: Int
        let number: Int?
        let received_at: Date
        let processed_at: Date?

        var dto: InboundMailDTO {
            InboundMailDTO(id: id, messageId: message_id, from: from_address, envelopeFrom: envelope_from, subject: subject, status: status,
                           reason: reason, automatic: is_automatic, size: size, ticketNumber: number, receivedAt: received_at,
                           processedAt: processed_at)
        }
    }

    /// An outgoing message as `outboxSelect` returns it.
    private struct OutboxRow: Decodable {
        let id: Int
        let kind: String
        let to_address: String
        let subject: String
        let status: String
        let attempts: Int
        let last_error: String?
        let number: Int?
        let message_id: String
        let created_at: Date
        let sent_at: Date?
        let next_attempt_at: Date

        var dto: OutboxMailDTO {
            OutboxMailDTO(id: id, kind: kind, to: to_address, subject: subject, status: status, attempts: attempts, lastError: last_error,
                          ticketNumber: number, messageId: message_id, createdAt: created_at, sentAt: sent_at, nextAttemptAt: next_attempt_at)
        }
    }

    private struct InboundRawRow: Decodable {
        let raw: Data
        let ticket_id: Int?
    }

    private struct RawRow: Decodable { let raw: Data }

    private struct TemplateKeyRow: Decodable {
        let kind: String
        let language: String
    }

    static func stats(context: ServiceContext) async throws -> MailStatsDTO {
        try context.require(.manageConfiguration)
        let sql = context.sql
        var inbound = Dictionary(uniqueKeysWithValues: inboundStatuses.map { ($0, 0) })
        for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM mail_inbound GROUP BY status").all(decoding: StatusCountRow.self) {
            inbound[row.status] = row.n
        }
        var outbox = Dictionary(uniqueKeysWithValues: outboxStatuses.map { ($0, 0) })
        for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM mail_outbox GROUP BY status").all(decoding: StatusCountRow.self) {
            outbox[row.status] = row.n
        }
        return MailStatsDTO(inbound: inbound, outbox: outbox, relayConfigured: context.services.configuration.mail.relay != nil)
    }

    static func limit(_ requested: Int?) -> Int { min(max(requested ?? 50, 1), 500) }

    static let inboundSelect: SQLQueryString = """
        SELECT i.id, i.message_id, i.from_address, i.envelope_from, i.subject, i.status, i.reason, i.is_automatic, i.size,
               t.number, i.received_at, i.processed_at
        FROM mail_inbound i LEFT JOIN tickets t ON t.id = i.ticket_id
        """
    static let outboxSelect: SQLQueryString = """
        SELECT o.id, o.kind, o.to_address, o.subject, o.status, o.attempts, o.last_error, t.number, o.message_id, o.created_at,
               o.sent_at, o.next_attempt_at
        FROM mail_outbox o LEFT JOIN tickets t ON t.id = o.ticket_id
        """

    /// Received messages, newest first (or what needs a person first: quarantine on top).
    static func inboundItems(status: String?, limit: Int, problemsFirst: Bool = false, on sql: any SQLDatabase) async throws -> [InboundMailDTO] {
        var statement = inboundSelect
        if let status { statement += " WHERE i.status = \(bind: status)" }
        statement += problemsFirst ? " ORDER BY CASE WHEN i.status = 'quarantined' THEN 0 ELSE 1 END, i.id DESC" : " ORDER BY i.id DESC"
        statement += " LIMIT \(bind: limit)"
        return try await sql.raw(statement).all(decoding: InboundRow.self).map(\.dto)
    }

    /// Outgoing messages, newest first (or failures first).
    static func outboxItems(status: String?, limit: Int, problemsFirst: Bool = false, on sql: any SQLDatabase) async throws -> [OutboxMailDTO] {
        var statement = outboxSelect
        if let status { statement += " WHERE o.status = \(bind: status)" }
        statement += problemsFirst ? " ORDER BY CASE WHEN o.status = 'failed' THEN 0 ELSE 1 END, o.id DESC" : " ORDER BY o.id DESC"
        statement += " LIMIT \(bind: limit)"
        return try await sql.raw(statement).all(decoding: OutboxRow.self).map(\.dto)
    }

    static func inbound(status: String?, limit requested: Int?, context: ServiceContext) async throws -> ListOf<InboundMailDTO> {
        try context.require(.manageConfiguration)
        if let status, !inboundStatuses.contains(status) {
            throw ZayavkaError.validation([FieldError("status", .unknownValue, inboundStatuses.joined(separator: ", "))])
        }
        return ListOf(items: try await inboundItems(status: status, limit: limit(requested), on: context.sql), nextCursor: nil)
    }

    static func inboundItem(id: Int, context: ServiceContext) async throws -> InboundMailDTO {
        try context.require(.manageConfiguration)
        guard let row = try await context.sql.raw(inboundSelect + " WHERE i.id = \(bind: id)").first(decoding: InboundRow.self) else {
            throw ZayavkaError.notFound(entity: "mail", id: String(id))
        }
        return row.dto
    }

    /// The message exactly as received (admins always; staff when it belongs to a ticket).
    static func raw(id: Int, context: ServiceContext) async throws -> Download {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        let found = try await context.sql.raw("SELECT raw, ticket_id FROM mail_inbound WHERE id = \(bind: id)").first(decoding: InboundRawRow.self)
        guard let row = found, viewer.role == .admin || row.ticket_id != nil else {
            throw ZayavkaError.notFound(entity: "mail", id: String(id))
        }
        return message(row.raw, filename: "message-\(id).eml")
    }

    /// A stored message as a download: never rendered by the browser.
    private static func message(_ data: Data, filename: String) -> Download {
        Download(source: .bytes(data), contentType: "message/rfc822", filename: filename)
    }

    /// Processes a quarantined (or pending) message again, e.g. after raising the sender limit.
    static func retry(id: Int, context: ServiceContext) async throws -> InboundMailDTO {
        try context.require(.manageConfiguration)
        let outcome = try await MailIntake.process(id: id, app: context.application)
        if case .ignored(let why) = outcome, why == "unknown message" { throw ZayavkaError.notFound(entity: "mail", id: String(id)) }
        MailWorker.poke(context.services)
        return try await inboundItem(id: id, context: context)
    }

    /// Files a raw RFC 5322 message, through the same path as SMTP.
    static func submit(raw: [UInt8], context: ServiceContext) async throws -> InboundMailDTO {
        try context.require(.manageConfiguration)
        let stored = try await MailInbox.store(raw: raw, envelopeFrom: "api", envelopeTo: [context.services.configuration.mail.from.address],
                                               services: context.services, db: context.database)
        if !stored.duplicate { _ = try await MailIntake.process(id: stored.id, app: context.application) }
        MailWorker.poke(context.services)
        return try await settledItem(id: stored.id, context: context)
    }

    /// The message once its processing has ended. The background worker (of this instance or
    /// another) may have claimed it between storing and this request's own claim; the caller is
    /// answered with the outcome, not with `processing`, unless that takes longer than `timeout`.
    static func settledItem(id: Int, timeout: Duration = .seconds(10), context: ServiceContext) async throws -> InboundMailDTO {
        var item = try await inboundItem(id: id, context: context)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while item.status == "processing" && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(25))
            item = try await inboundItem(id: id, context: context)
        }
        return item
    }

    static func outbox(status: String?, limit requested: Int?, context: ServiceContext) async throws -> ListOf<OutboxMailDTO> {
        try context.require(.manageConfiguration)
        if let status, !outboxStatuses.contains(status) {
            throw ZayavkaError.validation([FieldError("status", .unknownValue, outboxStatuses.joined(separator: ", "))])
        }
        return ListOf(items: try await outboxItems(status: status, limit: limit(requested), on: context.sql), nextCursor: nil)
    }

    /// An outgoing message exactly as it is sent (admins): to check a template, or to hand a link on.
    static func outboxRaw(id: Int, context: ServiceContext) async throws -> Download {
        try context.require(.manageConfiguration)
        guard let row = try await context.sql.raw("SELECT raw FROM mail_outbox WHERE id = \(bind: id)").first(decoding: RawRow.self) else {
            throw ZayavkaError.notFound(entity: "mail", id: String(id))
        }
        return message(row.raw, filename: "outbox-\(id).eml")
    }

    /// Sends a failed or waiting message again now.
    static func retryOutbox(id: Int, context: ServiceContext) async throws -> OutboxMailDTO {
        try context.require(.manageConfiguration)
        let now = context.now
        let db = context.database
        try await context.services.gate.run {
            try await (db as! any SQLDatabase).raw("""
                UPDATE mail_outbox SET status = 'queued', next_attempt_at = \(bind: now), attempts = 0 WHERE id = \(bind: id) AND status <> 'sent'
                """).run()
        }
        MailWorker.poke(context.services)
        guard let row = try await context.sql.raw(outboxSelect + " WHERE o.id = \(bind: id)").first(decoding: OutboxRow.self) else {
            throw ZayavkaError.notFound(entity: "mail", id: String(id))
        }
        return row.dto
    }

    static func templates(context: ServiceContext) async throws -> [MailTemplateDTO] {
        try context.require(.manageConfiguration)
        let sql = context.sql
        var overrides: Set<String> = []
        for row in try await sql.raw("SELECT kind, language FROM mail_templates").all(decoding: TemplateKeyRow.self) {
            overrides.insert(row.kind + "/" + row.language)
        }
        var result: [MailTemplateDTO] = []
        for kind in NotificationKind.allCases {
            for language in Language.allCases {
                let template = try await context.services.mailTemplates.template(kind, language, on: sql)
                result.append(MailTemplateDTO(kind: kind.rawValue, language: language.rawValue, subject: template.subject, body: template.body,
                                              customized: overrides.contains(kind.rawValue + "/" + language.rawValue),
                                              placeholders: MailTemplate.placeholders))
            }
        }
        return result
    }

    static func saveTemplate(kind rawKind: String?, language rawLanguage: String?, _ input: MailTemplateInput?, context: ServiceContext) async throws -> MailTemplateDTO {
        try context.require(.manageConfiguration)
        guard let kind = rawKind.flatMap(NotificationKind.init(rawValue:)) else { throw ZayavkaError.notFound(entity: "template", id: rawKind ?? "") }
        guard let language = rawLanguage.flatMap(Language.init(rawValue:)) else { throw ZayavkaError.notFound(entity: "template", id: rawLanguage ?? "") }
        if let input {
            var errors: [FieldError] = []
            if input.subject.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("subject", .required)) }
            if input.subject.isOver(500) { errors.append(FieldError("subject", .tooLong, "500")) }
            if input.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { errors.append(FieldError("body", .required)) }
            if input.body.isOver(20_000) { errors.append(FieldError("body", .tooLong, "20000")) }
            if !errors.isEmpty { throw ZayavkaError.validation(errors) }
            let now = context.now
            try await context.write { db in
                let sql = db as! any SQLDatabase
                try await sql.raw("DELETE FROM mail_templates WHERE kind = \(bind: kind.rawValue) AND language = \(bind: language.rawValue)").run()
                try await sql.raw("""
                    INSERT INTO mail_templates (kind, language, subject, body, updated_at)
                    VALUES (\(bind: kind.rawValue), \(bind: language.rawValue), \(bind: input.subject), \(bind: input.body), \(bind: now))
                    """).run()
            }
        } else {
            try await context.write { db in
                try await (db as! any SQLDatabase).raw("DELETE FROM mail_templates WHERE kind = \(bind: kind.rawValue) AND language = \(bind: language.rawValue)").run()
            }
        }
        context.services.mailTemplates.invalidate()
        let template = try await context.services.mailTemplates.template(kind, language, on: context.sql)
        return MailTemplateDTO(kind: kind.rawValue, language: language.rawValue, subject: template.subject, body: template.body,
                               customized: input != nil, placeholders: MailTemplate.placeholders)
    }

    static func requestPasswordReset(_ input: PasswordResetInput, context: ServiceContext) async throws {
        guard UserService.isPlausibleEmail(input.email.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ZayavkaError.validation([FieldError("email", .invalid)])
        }
        try await PasswordTokens.requestReset(email: input.email, context: context)
    }

    static func setPassword(_ input: PasswordSetInput, context: ServiceContext) async throws {
        _ = try await PasswordTokens.consume(input.token, password: input.password, context: context)
    }
}
