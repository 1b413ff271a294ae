import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The customer's answer to "is it solved?" (seed 000: the request is closed when the customer
/// confirms): recorded as a `solution_confirmed` event the agent sees and reports count, after which
/// the question is not asked again for this solution.
enum SolutionConfirmation {
    /// Records the requester's (or a colleague's who sees the ticket) confirmation of the current
    /// solution. 409 unless the ticket is solved; confirming twice records it once.
    static func confirm(number: Int, context: ServiceContext) async throws -> TicketDTO {
        let viewer = try context.viewer
        let sql = context.sql
        let row = try await TicketQueries.load(number: number, viewer: viewer, on: sql)
        guard !viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "only the customer confirms a solution") }
        let catalog = try await context.services.catalog.snapshot(context.database)
        guard catalog.workflow.definition(row.facts.status)?.category == .solved else {
            throw ZayavkaError.conflict(field: "status", value: row.facts.status)
        }
        if try await !isConfirmed(ticketID: row.id, solvedAt: row.facts.solvedAt, on: sql) {
            let ticketID = row.id
            try await context.write { db in
                try await History.record([NewEvent(ticketID: ticketID, actorID: viewer.userID, kind: .solutionConfirmed, field: "status",
                                                   after: row.facts.status, isPublic: true, at: context.now)], on: db as! any SQLDatabase)
                try await ResolutionService.recordOutcome("works", ticketID: ticketID, at: context.now, on: db as! any SQLDatabase)
            }
        }
        return try await TicketQueries.dto(number: number, context: context)
    }

    /// Whether the current solution (since the ticket was last solved) is confirmed.
    static func isConfirmed(ticketID: Int, solvedAt: Date?, on sql: any SQLDatabase) async throws -> Bool {
        guard let solvedAt else { return false }
        return try await sql.raw("""
            SELECT 1 AS x FROM ticket_events WHERE ticket_id = \(bind: ticketID) AND kind = \(bind: EventKind.solutionConfirmed.rawValue)
            AND created_at >= \(bind: solvedAt) LIMIT 1
            """).first() != nil
    }
}
