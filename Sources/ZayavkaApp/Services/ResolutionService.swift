import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Resolution reports (SPEC V6, seeds 000 and 004): when staff solve a ticket they say what was
/// fixed, how, how to prevent it and what the customer should check; the type decides which parts
/// are required. The report is written in the solving transaction, with a `resolution_reported`
/// event in the history; the solved mail and the portal show it with "It works" and "It still does
/// not work".
enum ResolutionService {
    private struct ReportRow: Decodable {
        let id: Int
        let ticket_id: Int
        let author_id: Int?
        let author_name: String?
        let fixed: String
        let how: String
        let prevention: String
        let check_text: String
        let nonce: String
        let created_at: Date
        let outcome: String?
        let outcome_at: Date?

        var dto: ResolutionDTO {
            ResolutionDTO(id: id, fixed: fixed, how: how, prevention: prevention, check: check_text,
                          author: author_id.map { PersonRef(id: $0, name: author_name ?? "") }, createdAt: created_at,
                          outcome: outcome, outcomeAt: outcome_at)
        }
        var report: ResolutionReport { ResolutionReport(fixed: fixed, how: how, prevention: prevention, check: check_text) }
    }

    /// Checks the report sent with a change: only staff send one, only when the change solves the
    /// ticket, and then with the parts the ticket's type requires. Returns what to store (nil: nothing written).
    static func check(_ input: ResolutionInput?, solving: Bool, type: TicketType, isStaff: Bool,
                      settings: QualitySettings) throws -> ResolutionReport? {
        if input != nil, !isStaff || !solving { throw ZayavkaError.validation([FieldError("resolution", .notAllowed)]) }
        guard solving, isStaff else { return nil }
        let report = input?.report ?? ResolutionReport()
        let problems = report.problems(required: settings.required(for: type))
        if !problems.isEmpty { throw ZayavkaError.validation(problems) }
        return report.isEmpty ? nil : report
    }

    /// Stores a checked report inside the solving transaction; returns its history event.
    static func write(_ report: ResolutionReport, ticketID: Int, authorID: Int?, at now: Date, on sql: any SQLDatabase) async throws -> NewEvent {
        let id = try await sql.raw("""
            INSERT INTO resolution_reports (ticket_id, author_id, fixed, how, prevention, check_text, nonce, created_at)
            VALUES (\(bind: ticketID), \(bind: authorID), \(bind: report.fixed), \(bind: report.how), \(bind: report.prevention),
                    \(bind: report.check), \(bind: QualityLinks.nonce()), \(bind: now))
            RETURNING id
            """).first()!.decode(column: "id", as: Int.self)
        return NewEvent(ticketID: ticketID, actorID: authorID, kind: .resolutionReported, field: "resolution", after: String(id), isPublic: true, at: now)
    }

    /// The customer's answer to the latest report (inside the caller's transaction): `works` when they
    /// confirm the solution, `not_working` when their reply reopens it. The first answer stands.
    static func recordOutcome(_ outcome: String, ticketID: Int, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE resolution_reports SET outcome = \(bind: outcome), outcome_at = \(bind: now)
            WHERE id = (SELECT MAX(id) FROM resolution_reports WHERE ticket_id = \(bind: ticketID)) AND outcome IS NULL
            """).run()
    }

    /// Every report of a ticket the viewer may see, oldest first (the report is meant for the customer).
    static func list(number: Int, context: ServiceContext) async throws -> [ResolutionDTO] {
        let ticket = try await TicketQueries.load(number: number, viewer: try context.viewer, on: context.sql)
        return try await reports(ticketID: ticket.id, on: context.sql).map(\.dto)
    }

    static func latest(ticketID: Int, on sql: any SQLDatabase) async throws -> ResolutionDTO? {
        try await reports(ticketID: ticketID, on: sql).last?.dto
    }

    private static func reports(ticketID: Int, on sql: any SQLDatabase) async throws -> [ReportRow] {
        try await sql.raw("""
            SELECT r.id, r.ticket_id, r.author_id, u.name AS author_name, r.fixed, r.how, r.prevention, r.check_text, r.nonce, r.created_at,
                   r.outcome, r.outcome_at
            FROM resolution_reports r LEFT JOIN users u ON u.id = r.author_id WHERE r.ticket_id = \(bind: ticketID) ORDER BY r.id
            """).all(decoding: ReportRow.self)
    }

    /// Reports written with the given solving events (ticket id → the report made at that moment),
    /// with signed links for the customer's answer; for the notifier.
    static func forMail(_ moments: [(ticketID: Int, at: Date, number: Int)], services: AppServices,
                        on sql: any SQLDatabase) async throws -> [Int: (report: ResolutionReport, at: Date, works: String, notWorking: String)] {
        guard !moments.isEmpty else { return [:] }
        let rows = try await sql.raw("""
            SELECT r.id, r.ticket_id, r.author_id, NULL AS author_name, r.fixed, r.how, r.prevention, r.check_text, r.nonce, r.created_at,
                   r.outcome, r.outcome_at
            FROM resolution_reports r WHERE r.ticket_id IN (\(binds: Array(Set(moments.map(\.ticketID))))) ORDER BY r.id
            """).all(decoding: ReportRow.self)
        let settings = try await QualitySettingsService.current(services: services, on: sql)
        var result: [Int: (report: ResolutionReport, at: Date, works: String, notWorking: String)] = [:]
        for moment in moments {
            guard let row = rows.last(where: { $0.ticket_id == moment.ticketID && abs($0.created_at.timeIntervalSince(moment.at)) < 1 }) else { continue }
            let link = QualityLink(kind: .resolution, id: row.id, ticket: moment.number, nonce: row.nonce,
                                   expires: .init(value: moment.at.addingTimeInterval(Double(settings.surveyValidDays) * 86_400)))
            let token = try await QualityLinks.sign(link, services: services, on: sql)
            let base = services.configuration.publicURL + SitePath.qualityLink(token).path
            result[moment.ticketID] = (row.report, row.created_at, base + "?a=works", base + "?a=not_working")
        }
        return result
    }

    /// The report behind a link, if the link still matches it.
    static func report(for link: QualityLink, on sql: any SQLDatabase) async throws -> (report: ResolutionDTO, ticketID: Int, requesterID: Int) {
        guard link.kind == .resolution, let row = try await sql.raw("""
            SELECT r.id, r.ticket_id, r.author_id, u.name AS author_name, r.fixed, r.how, r.prevention, r.check_text, r.nonce, r.created_at,
                   r.outcome, r.outcome_at, t.requester_id, t.number
            FROM resolution_reports r JOIN tickets t ON t.id = r.ticket_id LEFT JOIN users u ON u.id = r.author_id
            WHERE r.id = \(bind: link.id)
            """).first() else { throw QualityLinks.Refusal.invalid }
        let report = try row.decode(model: ReportRow.self)
        guard report.nonce == link.nonce, try row.decode(column: "number", as: Int.self) == link.ticket else { throw QualityLinks.Refusal.invalid }
        return (report.dto, report.ticket_id, try row.decode(column: "requester_id", as: Int.self))
    }
}

/// The report's text in a mail, with the two links (plain text; the customer's language).
enum ResolutionText {
    static func mail(_ report: ResolutionReport, works: String, notWorking: String, _ language: Language) -> String {
        let ru = language == .ru
        var lines: [String] = ["", ru ? "Отчёт о решении" : "Resolution report"]
        let parts: [(ResolutionPart, String, String)] = [(.fixed, "Что исправлено", "What was fixed"), (.how, "Как", "How"),
                                                          (.prevention, "Как избежать в будущем", "How to prevent it"),
                                                          (.check, "Что проверить", "What to check")]
        for (part, nameRu, nameEn) in parts where !report.text(part).isEmpty {
            lines.append("— " + (ru ? nameRu : nameEn) + ": " + report.text(part))
        }
        lines += ["", ru ? "Всё работает? Подтвердите: \(works)" : "Does it work? Confirm: \(works)",
                  ru ? "Всё ещё не работает? Напишите, что не так: \(notWorking)" : "Still not working? Tell us what is wrong: \(notWorking)", ""]
        return lines.joined(separator: "\n")
    }
}
