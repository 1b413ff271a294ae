import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Group commit for ticket creation. Tickets that arrive while a write is under way are written
/// together in the next transaction with multi-row statements: under load a batch of N tickets
/// costs the same handful of statements as one, which is what lets SQLite (one writer, a thread
/// hop per statement) keep up with many clients. Alone, a ticket is written at once.
actor TicketBatcher {
    private struct Pending {
        let draft: TicketDraft
        let continuation: CheckedContinuation<Int, any Error>
    }

    private var queue: [Pending] = []
    private var draining = false
    private let gate: WriteGate
    /// Told after each committed batch (the live pages' feed looks at once).
    private let committed: @Sendable () -> Void
    static let maxBatch = 64

    init(gate: WriteGate, committed: @escaping @Sendable () -> Void = {}) {
        self.gate = gate
        self.committed = committed
    }

    /// Writes the ticket and returns its number.
    func create(_ draft: TicketDraft, on db: any Database) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(draft: draft, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain(db) }
            }
        }
    }

    private func drain(_ db: any Database) async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(Self.maxBatch))
            queue.removeFirst(batch.count)
            do {
                let numbers = try await write(batch.map(\.draft), on: db)
                committed()
                for (item, number) in zip(batch, numbers) { item.continuation.resume(returning: number) }
            } catch where batch.count > 1 {
                // One bad ticket must not fail its neighbours: write them one by one.
                for item in batch {
                    do { item.continuation.resume(returning: try await write([item.draft], on: db)[0]) }
                    catch { item.continuation.resume(throwing: error) }
                }
            } catch {
                batch[0].continuation.resume(throwing: error)
            }
        }
        draining = false
    }

    /// One transaction for the whole batch; returns the numbers in the order of `drafts`.
    private func write(_ drafts: [TicketDraft], on db: any Database) async throws -> [Int] {
        try await gate.run {
            try await db.transaction { db in
                let sql = db as! any SQLDatabase
                let numbers = try await Self.reserveNumbers(drafts.count, on: sql)
                let ticketRows: [SQLQueryString] = zip(drafts, numbers).map { d, number in
                    """
                    (\(bind: number), \(bind: d.subject), \(bind: TextFolding.fold(d.subject)), \(bind: d.requesterID), \(bind: d.organizationID),
                     \(bind: d.channel.rawValue), \(bind: d.type.rawValue), \(bind: d.priority.rank), \(bind: d.urgency), \(bind: d.responsibility),
                     \(bind: d.cause), \(bind: d.status), \(bind: d.assigneeID), \(bind: d.groupID), \(bind: d.dueAt), \(bind: d.createdByID),
                     \(bind: d.at), \(bind: d.at), \(bind: d.sla?.nextDue), \(bind: d.failureKind))
                    """
                }
                let inserted = try await sql.raw("""
                    INSERT INTO tickets (number, subject, subject_folded, requester_id, organization_id, channel, type, priority, urgency,
                                         responsibility, cause, status, assignee_id, group_id, due_at, created_by_id, created_at, updated_at,
                                         next_due_at, failure_kind)
                    VALUES
                    """ + " " + ticketRows.joined(separator: ", ") + " RETURNING id, number").all()
                var idByNumber: [Int: Int] = [:]
                for row in inserted { idByNumber[try row.decode(column: "number", as: Int.self)] = try row.decode(column: "id", as: Int.self) }
                let ticketIDs = numbers.map { idByNumber[$0]! }
                // A key another request already holds fails this insert on the unique index: the
                // batch is rolled back, retried ticket by ticket, and that one replays (TicketService).
                let keyRows: [SQLQueryString] = zip(drafts, ticketIDs).compactMap { d, id in
                    d.idempotency.map { "(\(bind: $0.userID), \(bind: $0.key), \(bind: $0.requestHash), \(bind: id), \(bind: d.at))" as SQLQueryString }
                }
                if !keyRows.isEmpty {
                    try await sql.raw("INSERT INTO idempotency_keys (user_id, key, request_hash, ticket_id, created_at) VALUES "
                                      + keyRows.joined(separator: ", ")).run()
                }

                let fieldRows: [SQLQueryString] = zip(drafts, ticketIDs).flatMap { d, id in
                    d.fields.sorted(by: { $0.key < $1.key }).map { "(\(bind: id), \(bind: $0.key), \(bind: $0.value))" as SQLQueryString }
                }
                if !fieldRows.isEmpty {
                    try await sql.raw("INSERT INTO ticket_field_values (ticket_id, key, value) VALUES " + fieldRows.joined(separator: ", ")).run()
                }
                let clockRows = zip(drafts, ticketIDs).flatMap { d, id in d.sla.map { SLAClocks.insert($0, ticketID: id, on: sql) } ?? [] }
                if !clockRows.isEmpty { try await sql.raw(SLAClocks.insertPrefix + " " + clockRows.joined(separator: ", ")).run() }
                let commentRows: [SQLQueryString] = zip(drafts, ticketIDs).map { d, id in
                    "(\(bind: id), \(bind: d.requesterID), \(bind: d.body), \(bind: true), \(bind: d.channel.rawValue), \(bind: d.at), \(bind: d.mail?.senderVerified))"
                }
                let comments = try await sql.raw("INSERT INTO comments (ticket_id, author_id, body, is_public, source, created_at, sender_verified) VALUES "
                                                 + commentRows.joined(separator: ", ") + " RETURNING id, ticket_id").all()
                var commentByTicket: [Int: Int] = [:]
                for row in comments { commentByTicket[try row.decode(column: "ticket_id", as: Int.self)] = try row.decode(column: "id", as: Int.self) }
                try await SearchIndex.addTickets(zip(drafts, ticketIDs).map { d, id in (id, d.subject, commentByTicket[id]!, d.body) }, on: sql)

                var events: [NewEvent] = []
                for (d, ticketID) in zip(drafts, ticketIDs) {
                    let commentID = commentByTicket[ticketID]!
                    events.append(NewEvent(ticketID: ticketID, actorID: d.createdByID, kind: .created, after: d.status, isPublic: true, at: d.at))
                    events.append(NewEvent(ticketID: ticketID, actorID: d.createdByID, kind: .commentAdded, commentID: commentID, isPublic: true, at: d.at))
                    if !d.critical.isEmpty {
                        events.append(NewEvent(ticketID: ticketID, actorID: nil, kind: .markedCritical, field: d.critical.map(\.key).joined(separator: ","),
                                               after: d.critical.map(\.name).joined(separator: "; "), isPublic: false, at: d.at))
                    }
                    events += try await TicketService.attach(d.uploads, ticketID: ticketID, commentID: commentID, actorID: d.createdByID,
                                                             isPublic: true, at: d.at, on: sql)
                }
                events += try await IncidentService.linkOnArrival(zip(zip(drafts, ticketIDs), numbers).compactMap { pair, number in
                    pair.0.failureKind.map { IncidentService.Arrival(ticketID: pair.1, number: number, requesterID: pair.0.requesterID, failureKind: $0,
                                                                      at: pair.0.at) }
                }, on: sql)
                let links = zip(drafts, ticketIDs).compactMap { d, id in d.mail.map { ($0, id, commentByTicket[id]!) } }
                if !links.isEmpty { try await MailLink.recordAll(links, at: drafts[0].at, on: sql) }
                try await History.record(events, on: sql)
                return numbers
            }
        }
    }

    /// `count` new ticket numbers: a PostgreSQL sequence, or SQLite's counter row (inside the serialised transaction).
    static func reserveNumbers(_ count: Int, on sql: any SQLDatabase) async throws -> [Int] {
        if sql.dialect.name == "postgresql" {
            return try await sql.raw("SELECT nextval('ticket_number_seq') AS value FROM generate_series(1, \(bind: count))").all()
                .map { try $0.decode(column: "value", as: Int.self) }.sorted()
        }
        let last = try await sql.raw("UPDATE counters SET value = value + \(bind: count) WHERE name = 'ticket_number' RETURNING value")
            .first()!.decode(column: "value", as: Int.self)
        return Array((last - count + 1)...last)
    }
}
