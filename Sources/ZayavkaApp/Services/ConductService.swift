import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Seed 001's conduct rule (SPEC V8): a warning posts the prescribed remark to the customer and is
/// recorded; after one, the agent is offered a ban, which is recorded as a request a manager
/// approves or declines (`BanService`).
enum ConductService {
    static func warningsBefore(requesterID: Int, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("""
            SELECT COUNT(*) AS n FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.kind = \(bind: EventKind.conductWarning.rawValue) AND t.requester_id = \(bind: requesterID)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func warn(number: Int, _ input: WarningInput, context: ServiceContext) async throws -> WarningDTO {
        let viewer = try context.viewer
        guard viewer.role.can(.editTicketFields) else { throw ZayavkaError.forbidden(reason: "staff only") }
        let sql = context.sql
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: sql)
        let before = try await warningsBefore(requesterID: ticket.requesterID, on: sql)
        let ticketID = ticket.id
        if input.requestBan == true {
            // Only after a warning: the seed bans on a repeat, never at once.
            guard ConductRule.offersBan(previousWarnings: before) else {
                throw ZayavkaError.validation([FieldError("request_ban", .notAllowed)])
            }
            try await context.write { db in
                let sql = db as! any SQLDatabase
                try await History.record([NewEvent(ticketID: ticketID, actorID: viewer.userID, kind: .banRequested, field: "requester_id",
                                                   after: String(ticket.requesterID), isPublic: false, at: context.now)], on: sql)
                // A manager decides it on the bans page (issue 19).
                try await BanService.recordRequest(ticketID: ticketID, customerID: ticket.requesterID, actorID: viewer.userID, at: context.now, on: sql)
            }
            return WarningDTO(warnings: before, banOffered: true, banRequested: true, commentId: nil)
        }
        let locale = try await sql.raw("SELECT locale FROM users WHERE id = \(bind: ticket.requesterID)").first()?
            .decode(column: "locale", as: String.self)
        let remark = locale == Language.en.rawValue ? ConductRule.remarkEn : ConductRule.remarkRu
        let commentID = try await ConversationService.insertComment(
            number: number, input: CommentInput(body: remark, public: true, attachments: nil, status: nil), source: .web, context: context)
        try await context.write { db in
            try await History.record([NewEvent(ticketID: ticketID, actorID: viewer.userID, kind: .conductWarning, field: "requester_id",
                                               after: String(ticket.requesterID), commentID: commentID, isPublic: false, at: context.now)],
                                     on: db as! any SQLDatabase)
        }
        // A repeat offence (this is not the first warning) offers the ban.
        return WarningDTO(warnings: before + 1, banOffered: ConductRule.offersBan(previousWarnings: before), banRequested: false, commentId: commentID)
    }
}
