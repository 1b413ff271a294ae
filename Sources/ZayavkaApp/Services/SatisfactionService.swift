import Fluent
import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Satisfaction surveys (SPEC Q1, seed 003: "24 hours after your request is resolved you will be
/// asked to rate the support — the email has two links, Good or Bad").
///
/// The periodic job looks at tickets whose solution is older than the delay (and newer than its
/// position, less ten minutes of overlap for transactions that commit late) and writes one row per
/// solution: `sent` with the mail in the same transaction, or `skipped` with the reason. The row's
/// unique (ticket, solution time) decides which instance writes it, so several instances send
/// exactly one survey.
enum SatisfactionService {
    static let sent = Counter(label: "zayavka_surveys_sent_total")
    static let rated = Counter(label: "zayavka_surveys_rated_total")

    private struct DueRow: Decodable {
        let id: Int
        let number: Int
        let subject: String
        let requester_id: Int
        let solved_at: Date
        let email: String
        let name: String
        let locale: String
        let role: String
        let is_active: Bool
        let banned_at: Date?
        let surveyed: Int
        let rated: Int
        let automatic: Int
    }

    struct SurveyRow: Decodable {
        let id: Int
        let ticket_id: Int
        let number: Int
        let subject: String
        let requester_id: Int
        let requester_name: String
        let assignee_id: Int?
        let assignee_name: String?
        let status: String
        let reason: String?
        let nonce: String
        let solved_at: Date
        let sent_at: Date?
        let expires_at: Date?
        let rating: String?
        let comment: String?
        let rated_at: Date?

        func dto(staff: Bool) -> SurveyDTO {
            SurveyDTO(id: id, ticketNumber: number, subject: subject, requester: PersonRef(id: requester_id, name: requester_name),
                      assignee: staff ? assignee_id.map { PersonRef(id: $0, name: assignee_name ?? "") } : nil,
                      status: status, reason: staff ? reason : nil, solvedAt: solved_at, sentAt: sent_at, expiresAt: expires_at,
                      rating: rating.flatMap(SatisfactionRating.init(rawValue:)), comment: comment, ratedAt: rated_at)
        }
    }

    static let surveyColumns: SQLQueryString = """
        SELECT s.id, s.ticket_id, t.number, t.subject, s.requester_id, r.name AS requester_name, t.assignee_id, a.name AS assignee_name,
               s.status, s.reason, s.nonce, s.solved_at, s.sent_at, s.expires_at, s.rating, s.comment, s.rated_at
        FROM satisfaction_surveys s JOIN tickets t ON t.id = s.ticket_id JOIN users r ON r.id = s.requester_id
        LEFT JOIN users a ON a.id = t.assignee_id
        """

    // MARK: The job

    /// Sends the surveys due at the context's moment; returns how many were sent and skipped.
    @discardableResult
    static func run(context: ServiceContext, limit: Int = 500) async throws -> (sent: Int, skipped: Int) {
        let (now, services, sql) = (context.now, context.services, context.sql)
        let settings = try await QualitySettingsService.current(services: services, on: sql)
        let cutoff = now.addingTimeInterval(-Double(settings.surveyDelayMinutes) * 60)
        let position = try await sql.raw("SELECT value FROM job_cursors WHERE name = 'satisfaction'").first()?.decode(column: "value", as: Int.self) ?? 0
        let cutoffSeconds = Int(cutoff.timeIntervalSince1970.rounded(.down))
        // While surveys are off the position still moves, so turning them on does not survey the past.
        guard settings.surveyEnabled else {
            try await advance(to: cutoffSeconds, services: services, on: sql)
            return (0, 0)
        }
        let from = Date(timeIntervalSince1970: TimeInterval((position == 0 ? cutoffSeconds : position) - 600))
        let catalog = try await services.catalog.snapshot(context.db)
        let finished = catalog.statuses.filter { $0.category == .solved || $0.category == .closed }.map(\.key)
        guard !finished.isEmpty else { return (0, 0) }
        let due = try await sql.raw("""
            SELECT t.id, t.number, t.subject, t.requester_id, t.solved_at, u.email, u.name, u.locale, u.role, u.is_active, u.banned_at,
                   (SELECT COUNT(*) FROM satisfaction_surveys s WHERE s.ticket_id = t.id AND s.status = 'sent') AS surveyed,
                   (SELECT COUNT(*) FROM satisfaction_surveys s WHERE s.ticket_id = t.id AND s.rating IS NOT NULL) AS rated,
                   (SELECT COUNT(*) FROM mail_inbound m WHERE m.is_automatic = \(bind: true)
                      AND m.comment_id = (SELECT MIN(c.id) FROM comments c WHERE c.ticket_id = t.id)) AS automatic
            FROM tickets t JOIN users u ON u.id = t.requester_id
            WHERE t.solved_at > \(bind: from) AND t.solved_at <= \(bind: cutoff) AND t.status IN (\(binds: finished))
              AND NOT EXISTS (SELECT 1 FROM satisfaction_surveys s WHERE s.ticket_id = t.id AND s.solved_at = t.solved_at)
            ORDER BY t.solved_at LIMIT \(bind: limit)
            """).all(decoding: DueRow.self)
        let reached = due.count == limit ? Int(due.last!.solved_at.timeIntervalSince1970.rounded(.down)) : cutoffSeconds
        guard !due.isEmpty else {
            try await advance(to: reached, services: services, on: sql)
            return (0, 0)
        }
        let configuration = services.configuration
        let keys = try await QualityLinks.keys(services: services, on: sql)
        let expires = now.addingTimeInterval(Double(settings.surveyValidDays) * 86_400)
        let counts = try await services.gate.run {
            try await context.db.transaction { db in
                let sql = db as! any SQLDatabase
                var counts = (sent: 0, skipped: 0)
                for row in due {
                    let role = Role(rawValue: row.role) ?? .customer
                    let facts = SurveyFacts(requesterIsCustomer: role == .customer, requesterActive: row.is_active && row.banned_at == nil,
                                            requesterReachable: UserService.isPlausibleEmail(row.email) && !row.email.hasSuffix(".invalid"),
                                            fromAutomaticMail: row.automatic > 0, surveyedBefore: row.surveyed > 0, ratedBefore: row.rated > 0)
                    let decision = SurveyRules.decide(facts, settings: settings)
                    let (status, reason): (String, String?) = switch decision {
                    case .send: ("sent", nil)
                    case .skip(let why): ("skipped", why)
                    case .none: ("skipped", row.rated > 0 ? "rated_before" : "surveyed_before")
                    }
                    let nonce = QualityLinks.nonce()
                    let inserted = try await sql.raw("""
                        INSERT INTO satisfaction_surveys (ticket_id, requester_id, solved_at, status, reason, nonce, sent_at, expires_at, created_at)
                        VALUES (\(bind: row.id), \(bind: row.requester_id), \(bind: row.solved_at), \(bind: status), \(bind: reason), \(bind: nonce),
                                \(bind: status == "sent" ? now : nil), \(bind: status == "sent" ? expires : nil), \(bind: now))
                        ON CONFLICT (ticket_id, solved_at) DO NOTHING RETURNING id
                        """).first()?.decode(column: "id", as: Int.self)
                    guard let surveyID = inserted else { continue }
                    guard status == "sent" else { counts.skipped += 1; continue }
                    let language = Language(rawValue: row.locale) ?? configuration.defaultLanguage
                    let token = try await keys.sign(QualityLink(kind: .survey, id: surveyID, ticket: row.number, nonce: nonce, expires: .init(value: expires)))
                    let base = configuration.publicURL + SitePath.qualityLink(token).path
                    let template = try await services.mailTemplates.template(.satisfactionSurvey, language, on: sql)
                    let rendered = template.render([
                        "name": row.name, "number": String(row.number), "subject": row.subject, "tag": configuration.mail.subjectTag,
                        "good": base + "?r=good", "bad": base + "?r=bad", "until": SLAMetricNames.moscowTime(expires),
                        "link": configuration.publicURL + SitePath.portalRequest(row.number).path,
                    ])
                    var mail = OutgoingMail(from: configuration.mail.from, to: [MailAddress(name: row.name, address: row.email)],
                                            subject: rendered.subject, text: rendered.body,
                                            messageID: OutgoingMail.makeMessageID(tag: "zy.\(row.number)", domain: configuration.mail.domain))
                    mail.autoSubmitted = NotificationKind.satisfactionSurvey.autoSubmitted
                    try await Outbox.enqueue(mail, kind: .satisfactionSurvey, ticketID: row.id, userID: row.requester_id, on: sql)
                    counts.sent += 1
                }
                try await advanceCursor(to: reached, on: sql)
                return counts
            }
        }
        sent.increment(by: counts.sent)
        return counts
    }

    private static func advance(to seconds: Int, services: AppServices, on sql: any SQLDatabase) async throws {
        try await services.gate.run { try await advanceCursor(to: seconds, on: sql) }
    }

    /// The position only moves forward (a shorter delay moves it, a longer one waits).
    private static func advanceCursor(to seconds: Int, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE job_cursors SET value = \(bind: seconds) WHERE name = 'satisfaction' AND value < \(bind: seconds)
            """).run()
    }

    // MARK: Rating through the link

    /// The survey behind a link, if the link still matches it.
    static func survey(for link: QualityLink, on sql: any SQLDatabase) async throws -> SurveyRow {
        guard link.kind == .survey,
              let row = try await sql.raw(surveyColumns + " WHERE s.id = \(bind: link.id)").first(decoding: SurveyRow.self),
              row.nonce == link.nonce, row.number == link.ticket, row.status == "sent" else { throw QualityLinks.Refusal.invalid }
        return row
    }

    /// Records (or changes) the rating and, when given, the comment. Nothing changes when the link
    /// is refused or the comment is wrong; nothing is recorded twice.
    @discardableResult
    static func rate(link: QualityLink, rating: SatisfactionRating?, comment: String?, context: ServiceContext) async throws -> SurveyRow {
        let (now, services, sql) = (context.now, context.services, context.sql)
        let survey = try await survey(for: link, on: sql)
        if let expires = survey.expires_at, expires <= now { throw QualityLinks.Refusal.expired }
        let text = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let text {
            if text.isOver(SurveyLimits.commentMaxLength) {
                throw ZayavkaError.validation([FieldError("comment", .tooLong, String(SurveyLimits.commentMaxLength))])
            }
            if text.unicodeScalars.contains(where: { $0.value == 0 }) { throw ZayavkaError.validation([FieldError("comment", .controlCharacters)]) }
        }
        guard let newRating = rating ?? survey.rating.flatMap(SatisfactionRating.init(rawValue:)) else {
            throw ZayavkaError.validation([FieldError("rating", .required)])
        }
        let newComment = text.map { $0.isEmpty ? nil : $0 } ?? survey.comment
        guard newRating.rawValue != survey.rating || newComment != survey.comment else { return survey }
        let id = survey.id
        try await services.gate.run {
            try await context.db.transaction { db in
                let sql = db as! any SQLDatabase
                try await sql.raw("""
                    UPDATE satisfaction_surveys SET rating = \(bind: newRating.rawValue), comment = \(bind: newComment), rated_at = \(bind: now)
                    WHERE id = \(bind: id)
                    """).run()
                try await History.record([NewEvent(ticketID: survey.ticket_id, actorID: survey.requester_id, kind: .satisfactionRated,
                                                   field: "rating", before: survey.rating, after: newRating.rawValue, isPublic: true, at: now,
                                                   reason: newComment)], on: sql)
            }
        }
        rated.increment()
        return try await self.survey(for: link, on: sql)
    }

    // MARK: Reading

    /// The surveys of one ticket (the customer sees their rating; staff also see why one was skipped).
    static func forTicket(number: Int, context: ServiceContext) async throws -> [SurveyDTO] {
        let viewer = try context.viewer
        return try await surveys(of: try await TicketQueries.load(number: number, viewer: viewer, on: context.sql), viewer: viewer, on: context.sql)
    }

    /// The same for a ticket the viewer may see (`ticket` came from `TicketQueries.load`).
    static func surveys(of ticket: TicketQueries.Row, viewer: Viewer, on sql: any SQLDatabase) async throws -> [SurveyDTO] {
        var query = surveyColumns + " WHERE s.ticket_id = \(bind: ticket.id)"
        if !viewer.role.isStaff { query = query + " AND s.status = 'sent'" }
        return try await sql.raw(query + " ORDER BY s.id").all(decoding: SurveyRow.self).map { $0.dto(staff: viewer.role.isStaff) }
    }

    /// Rated surveys, newest first, for managers: all, good or bad, optionally one agent's.
    static func list(rating: SatisfactionRating?, agentID: Int?, before: Int?, limit: Int, context: ServiceContext) async throws -> ListOf<SurveyDTO> {
        try context.require(.manageQuality)
        var query = surveyColumns + " WHERE s.rating IS NOT NULL"
        if let rating { query = query + " AND s.rating = \(bind: rating.rawValue)" }
        if let agentID { query = query + " AND t.assignee_id = \(bind: agentID)" }
        if let before { query = query + " AND s.id < \(bind: before)" }
        let rows = try await context.sql.raw(query + " ORDER BY s.id DESC LIMIT \(bind: limit + 1)").all(decoding: SurveyRow.self)
        return ListOf(items: rows.prefix(limit).map { $0.dto(staff: true) }, nextCursor: rows.count > limit ? rows[limit - 1].id.description : nil)
    }
}

enum SurveyLimits {
    static let commentMaxLength = 5_000
}
