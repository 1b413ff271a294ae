import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The customer's answers through the links of the solved mail (V6), acting as the ticket's
/// requester without signing in: the signed link names one report of one ticket.
enum QualityAnswers {
    /// The requester as a signed-in person (nil when their account is blocked or banned).
    static func requesterContext(userID: Int, application: Application, now: Date) async throws -> ServiceContext {
        let sql = application.db as! any SQLDatabase
        guard let row = try await sql.raw("""
            SELECT \(unsafeRaw: SignedIn.columns) FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = \(bind: userID)
            """).first(),
              let signedIn = try SignedIn.from(row, defaultLanguage: application.services.configuration.defaultLanguage)
        else { throw ZayavkaError.forbidden(reason: "the account is blocked") }
        return ServiceContext(application: application, signedIn: signedIn, now: now)
    }

    /// `works` confirms the solution; `not_working` posts `text` as the customer's reply, which reopens the ticket.
    static func answerResolution(token: String, answer: String, text: String?, application: Application, now: Date) async throws -> ResolutionDTO {
        let services = application.services
        let sql = application.db as! any SQLDatabase
        let link = try await QualityLinks.open(token, now: now, services: services, on: sql)
        let found = try await ResolutionService.report(for: link, on: sql)
        guard ["works", "not_working"].contains(answer) else { throw ZayavkaError.validation([FieldError("answer", .unknownValue, "works, not_working")]) }
        let context = try await requesterContext(userID: found.requesterID, application: application, now: now)
        if answer == "works" {
            _ = try await SolutionConfirmation.confirm(number: link.ticket, context: context)
        } else {
            let words = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !words.isEmpty else { throw ZayavkaError.validation([FieldError("text", .required)]) }
            _ = try await ConversationService.insertComment(number: link.ticket, input: CommentInput(body: words, public: true, attachments: nil, status: nil),
                                                            source: .web, context: context)
        }
        return try await ResolutionService.report(for: link, on: sql).report
    }
}
