import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// A public update of a problem on its way to everyone it concerns (SPEC P1, P3): a public reply
/// on every linked open ticket (in its requester's language) and one mail to every interested
/// party, however many of their tickets are linked. Work goes in batches of `batchSize`, each its
/// own short transaction, so a mass incident with thousands of tickets never holds the write lock
/// for long; the broadcast's cursors record how far it got, and the periodic job finishes one a
/// restart cut off.
enum ProblemBroadcast {
    static let batchSize = 50

    static func start(problemID: Int, actorID: Int?, bodyRu: String, bodyEn: String, solveTickets: Bool, at now: Date,
                      on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("""
            INSERT INTO problem_broadcasts (problem_id, actor_id, body_ru, body_en, solve_tickets, ticket_cursor, party_cursor, created_at)
            VALUES (\(bind: problemID), \(bind: actorID), \(bind: bodyRu), \(bind: bodyEn), \(bind: solveTickets), 0, 0, \(bind: now))
            RETURNING id
            """).first()!.decode(column: "id", as: Int.self)
    }

    private struct BroadcastRow: Decodable, Sendable {
        let id: Int
        let problem_id: Int
        let actor_id: Int?
        let body_ru: String
        let body_en: String
        let solve_tickets: Bool
        let ticket_cursor: Int
        let party_cursor: Int
        let finished_at: Date?
        let number: Int
        let title: String
        let status: String

        func body(_ language: Language) -> String { language == .en ? body_en : body_ru }
    }

    private struct TicketRow: Decodable, Sendable {
        let id: Int
        let number: Int
        let status: String
        let locale: String
    }

    private struct CommentRow: Decodable, Sendable {
        let id: Int
        let ticket_id: Int
    }

    private struct PartyRow: Decodable, Sendable {
        let user_id: Int
        let ticket_id: Int
        let email: String
        let name: String
        let locale: String
        let number: Int
    }

    struct Outcome: Equatable, Sendable {
        var tickets = 0
        var mails = 0
    }

    /// Runs a broadcast to its end from where it stopped; returns what this run did.
    @discardableResult
    static func run(id: Int, context: ServiceContext) async throws -> Outcome {
        try await context.services.bulkWrites.run { try await broadcast(id: id, context: context) }
    }

    private static func broadcast(id: Int, context: ServiceContext) async throws -> Outcome {
        guard let broadcast = try await context.sql.raw("""
            SELECT b.id, b.problem_id, b.actor_id, b.body_ru, b.body_en, b.solve_tickets, b.ticket_cursor, b.party_cursor, b.finished_at,
                   p.number, p.title, p.status
            FROM problem_broadcasts b JOIN problems p ON p.id = b.problem_id WHERE b.id = \(bind: id)
            """).first(decoding: BroadcastRow.self), broadcast.finished_at == nil else { return Outcome() }
        let catalog = try await context.services.catalog.snapshot(context.db)
        let slaSetup = try await context.services.sla.setup(context.sql)
        let open = catalog.statuses.filter { $0.category.isActive }.map(\.key)
        let solved = catalog.statuses.first { $0.category == .solved }?.key
        let defaultLanguage = context.services.configuration.defaultLanguage
        var outcome = Outcome()
        var cursor = broadcast.ticket_cursor
        while true {
            let from = cursor
            let done = try await context.write { db -> (Int, Int) in
                let sql = db as! any SQLDatabase
                let tickets = try await sql.raw("""
                    SELECT t.id, t.number, t.status, u.locale FROM tickets t JOIN users u ON u.id = t.requester_id
                    WHERE t.problem_id = \(bind: broadcast.problem_id) AND t.id > \(bind: from) AND t.status IN (\(binds: open))
                    ORDER BY t.id LIMIT \(bind: batchSize)
                    """).all(decoding: TicketRow.self)
                guard let last = tickets.last else { return (0, from) }
                // Claim the batch: another runner (the periodic job, another instance) that moved the
                // cursor first has posted it, and this one stops.
                guard try await sql.raw("""
                    UPDATE problem_broadcasts SET ticket_cursor = \(bind: last.id)
                    WHERE id = \(bind: broadcast.id) AND ticket_cursor = \(bind: from) RETURNING id
                    """).first() != nil else { return (0, from) }
                let now = context.now
                let values: [SQLQueryString] = tickets.map { ticket in
                    let language = Language(rawValue: ticket.locale) ?? defaultLanguage
                    return "(\(bind: ticket.id), \(bind: broadcast.actor_id), \(bind: broadcast.body(language)), \(bind: true), 'web', \(bind: now))"
                }
                let comments = try await sql.raw("INSERT INTO comments (ticket_id, author_id, body, is_public, source, created_at) VALUES "
                                                 + values.joined(separator: ", ") + " RETURNING id, ticket_id").all(decoding: CommentRow.self)
                let commentOf = Dictionary(comments.map { ($0.ticket_id, $0.id) }, uniquingKeysWith: { first, _ in first })
                try await SearchIndex.addComments(ids: comments.map(\.id), on: sql)
                var events: [NewEvent] = []
                var solvedIDs: [Int] = []
                for ticket in tickets {
                    events.append(NewEvent(ticketID: ticket.id, actorID: broadcast.actor_id, kind: .problemUpdate, field: "problem",
                                           after: ProblemNumber.format(broadcast.number), commentID: commentOf[ticket.id], isPublic: true, at: now))
                    try await SLAClocks.handle(.staffPublicReply, ticketID: ticket.id, at: now, setup: slaSetup, on: sql)
                    if broadcast.solve_tickets, let solved, (try? catalog.workflow.checkTransition(from: ticket.status, to: solved, by: .staff)) != nil,
                       let from = catalog.workflow.definition(ticket.status)?.category {
                        solvedIDs.append(ticket.id)
                        events.append(NewEvent(ticketID: ticket.id, actorID: broadcast.actor_id, kind: .statusChanged, field: "status",
                                               before: ticket.status, after: solved, isPublic: true, at: now, reason: ProblemNumber.format(broadcast.number)))
                        try await SLAClocks.handle(.statusChanged(from: from, to: .solved), ticketID: ticket.id, at: now, setup: slaSetup, on: sql)
                    }
                }
                let ids = tickets.map(\.id)
                try await sql.raw("""
                    UPDATE tickets SET updated_at = \(bind: now), first_response_at = COALESCE(first_response_at, \(bind: now)) WHERE id IN (\(binds: ids))
                    """).run()
                if let solved, !solvedIDs.isEmpty {
                    try await sql.raw("UPDATE tickets SET status = \(bind: solved), solved_at = \(bind: now) WHERE id IN (\(binds: solvedIDs))").run()
                }
                try await History.record(events, on: sql)
                return (tickets.count, last.id)
            }
            if done.0 == 0 { break }
            outcome.tickets += done.0
            cursor = done.1
            TicketService.commentsCreated.increment(by: done.0)
        }
        outcome.mails = try await mailParties(broadcast, context: context)
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("UPDATE problem_broadcasts SET finished_at = \(bind: context.now) WHERE id = \(bind: broadcast.id)").run()
        }
        MailWorker.poke(context.services)
        return outcome
    }

    /// One mail to each interested party, in their language, threaded to the ticket that made them one.
    private static func mailParties(_ broadcast: BroadcastRow, context: ServiceContext) async throws -> Int {
        let configuration = context.services.configuration
        let status = ProblemStatus(rawValue: broadcast.status) ?? .new
        var cursor = broadcast.party_cursor
        var sent = 0
        while true {
            let from = cursor
            let parties = try await context.sql.raw("""
                SELECT pp.user_id, pp.ticket_id, u.email, u.name, u.locale, t.number FROM problem_parties pp
                JOIN users u ON u.id = pp.user_id JOIN tickets t ON t.id = pp.ticket_id
                WHERE pp.problem_id = \(bind: broadcast.problem_id) AND pp.user_id > \(bind: from) AND u.is_active = \(bind: true)
                ORDER BY pp.user_id LIMIT \(bind: batchSize)
                """).all(decoding: PartyRow.self)
            guard let last = parties.last else { break }
            var mails: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] = []
            for party in parties {
                let language = Language(rawValue: party.locale) ?? configuration.defaultLanguage
                let template = try await context.services.mailTemplates.template(.problemUpdate, language, on: context.sql)
                let rendered = template.render([
                    "name": party.name, "problem": ProblemNumber.format(broadcast.number), "problem_title": broadcast.title,
                    "status": status.name(language), "body": broadcast.body(language), "number": String(party.number),
                    "link": configuration.publicURL + SitePath.portalRequest(party.number).path, "tag": configuration.mail.subjectTag,
                ])
                var mail = OutgoingMail(from: configuration.mail.from, to: [MailAddress(name: party.name, address: party.email)],
                                        subject: rendered.subject, text: rendered.body,
                                        messageID: OutgoingMail.makeMessageID(tag: "zy.\(party.number)", domain: configuration.mail.domain))
                mail.autoSubmitted = NotificationKind.problemUpdate.autoSubmitted
                mails.append((mail: mail, kind: .problemUpdate, ticketID: party.ticket_id, userID: party.user_id))
            }
            let batch = mails
            let claimed = try await context.write { db -> Bool in
                let sql = db as! any SQLDatabase
                guard try await sql.raw("""
                    UPDATE problem_broadcasts SET party_cursor = \(bind: last.user_id)
                    WHERE id = \(bind: broadcast.id) AND party_cursor = \(bind: from) RETURNING id
                    """).first() != nil else { return false }
                try await Outbox.enqueueAll(batch, on: sql)
                return true
            }
            guard claimed else { break }
            sent += parties.count
            cursor = last.user_id
        }
        return sent
    }

    /// Finishes every broadcast a restart cut off (the periodic job); returns how many.
    static func resume(context: ServiceContext) async throws -> Int {
        // A minute's grace: the request that started a broadcast is normally still running it.
        let ids = try await context.sql.raw("""
            SELECT id FROM problem_broadcasts WHERE finished_at IS NULL AND created_at < \(bind: context.now.addingTimeInterval(-60)) ORDER BY id LIMIT 20
            """).all()
            .map { try $0.decode(column: "id", as: Int.self) }
        for id in ids { try await run(id: id, context: context) }
        return ids.count
    }
}
