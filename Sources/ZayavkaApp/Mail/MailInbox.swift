import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Ties a ticket or comment written from mail to the received message: inside the same
/// transaction the message is marked processed and its Message-ID starts threading to the ticket.
/// A crash before the commit leaves the message pending (it is processed again); after it, done.
struct MailLink: Sendable {
    let inboundID: Int
    let messageID: String?
    /// Whether the sender was verified (`SenderVerification`): stored on the comment the message becomes.
    var senderVerified: Bool? = nil
    /// The support address (mailbox) it came in on: a new ticket remembers it, and is answered from it.
    var mailboxID: Int? = nil

    /// Thrown when another worker completed the message first: the write that carries it rolls back.
    struct AlreadyProcessed: Error {}

    /// Completes the messages behind a batch of writes (one for a comment, many for a batch of new
    /// tickets) in two statements. Any message already completed elsewhere fails the whole write,
    /// which rolls back (a batch of tickets is then written one by one).
    static func recordAll(_ links: [(MailLink, ticketID: Int, commentID: Int)], at now: Date, on sql: any SQLDatabase) async throws {
        guard !links.isEmpty else { return }
        let ticketCase = links.map { "WHEN \(bind: $0.0.inboundID) THEN CAST(\(bind: $0.ticketID) AS INTEGER)" as SQLQueryString }.joined(separator: " ")
        let commentCase = links.map { "WHEN \(bind: $0.0.inboundID) THEN CAST(\(bind: $0.commentID) AS INTEGER)" as SQLQueryString }.joined(separator: " ")
        let updated: [any SQLRow] = try await sql.raw("""
            UPDATE mail_inbound SET status = 'processed', processed_at = \(bind: now), reason = NULL,
                   ticket_id = CASE id \(ticketCase) END, comment_id = CASE id \(commentCase) END
            WHERE id IN (\(binds: links.map(\.0.inboundID))) AND status = 'processing'
            RETURNING id
            """).all()
        guard updated.count == links.count else { throw AlreadyProcessed() }
        try await MailThreads.remember(links.compactMap { link, ticketID, _ in link.messageID.map { ($0, ticketID) } }, direction: "in", at: now, on: sql)
        let boxes: [SQLQueryString] = links.compactMap { link, ticketID, _ in link.mailboxID.map { "(\(bind: ticketID), \(bind: $0))" } }
        if !boxes.isEmpty {
            // The first address a ticket came in on stays its address.
            try await sql.raw("INSERT INTO ticket_mailboxes (ticket_id, mailbox_id) VALUES " + boxes.joined(separator: ", ")
                              + " ON CONFLICT (ticket_id) DO NOTHING").run()
        }
    }

    func record(ticketID: Int, commentID: Int, at now: Date, on sql: any SQLDatabase) async throws {
        try await Self.recordAll([(self, ticketID, commentID)], at: now, on: sql)
    }
}

/// Part of the `ServiceContext` mail intake writes through: the channel is trusted and the write
/// completes the received message.
struct MailIntakeContext: Sendable {
    let channel: TicketChannel
    let link: MailLink?
}

/// Message-IDs per ticket, both ways: what customers sent and what we sent them.
enum MailThreads {
    /// How a Message-ID is stored and looked up.
    static func key(_ messageID: String) -> String { String(messageID.lowercased().prefix(250)) }

    /// Remembers Message-IDs for their tickets in one statement.
    static func remember(_ entries: [(messageID: String, ticketID: Int)], direction: String, at now: Date, on sql: any SQLDatabase) async throws {
        guard !entries.isEmpty else { return }
        let rows: [SQLQueryString] = entries.map { "(\(bind: key($0.messageID)), \(bind: $0.ticketID), \(bind: direction), \(bind: now))" }
        try await sql.raw("INSERT INTO mail_threads (message_id, ticket_id, direction, created_at) VALUES " + rows.joined(separator: ", ")).run()
    }

    /// The ticket one of `ids` belongs to: the most recent mention, else the number in one of our
    /// own ids (`zy.10042.…`, for mail sent before the thread was recorded).
    static func ticket(for ids: [String], on sql: any SQLDatabase) async throws -> Int? {
        let keys = Array(Set(ids.map(key))).prefix(100)
        guard !keys.isEmpty else { return nil }
        if let found = try await sql.raw("""
            SELECT ticket_id FROM mail_threads WHERE message_id IN (\(binds: Array(keys))) ORDER BY id DESC LIMIT 1
            """).first()?.decode(column: "ticket_id", as: Int.self) { return found }
        guard let number = ids.lazy.compactMap(MailThreading.ticketNumber(inMessageID:)).first else { return nil }
        return try await MailIntake.ticketIDFor(number: number, on: sql)
    }
}

/// The durable side of the SMTP listener, `zayavka mail import` and the API: a message is a row
/// before anyone is told it was accepted; the same Message-ID twice is stored once more as a
/// duplicate and never processed again.
enum MailInbox {
    struct Stored: Sendable {
        let id: Int
        let duplicate: Bool
    }

    /// One message ready to be written.
    struct Incoming: Sendable {
        let key: String
        let messageID: String?
        let envelopeFrom: String
        let envelopeTo: String
        let from: String?
        let subject: String?
        let raw: [UInt8]
        let automatic: Bool
        let at: Date
        /// The mailbox it was fetched from (IMAP), if any.
        var mailboxID: Int?
        /// `pending` to be processed; `quarantined` (with the reason) for what is kept but not processed.
        var status = "pending"
        var reason: String?

        init(raw: [UInt8], envelopeFrom: String, envelopeTo: [String]) {
            let headers = MIMEParser.headers(of: raw)
            // Everything stored from the headers is text a sender chose: control characters (a NUL stops
            // PostgreSQL) are taken out before the message is kept, so no message is lost to them.
            messageID = MessageIDs.parse(headers["Message-ID"]).first.map { String(TextInput.sanitize($0, multiline: false).prefix(250)) }
            key = messageID.map { "mid:" + $0.lowercased() } ?? "sha256:" + Hex.encode(SHA256.hash(data: raw))
            let sender = MailAddress.list(headers["From"]).first
            from = sender.map { String(TextInput.sanitize($0.address, multiline: false).prefix(250)) }
            subject = headers.text("Subject").map { String(TextInput.sanitize($0, multiline: false).prefix(500)) }
            automatic = MIMEParser.automaticReason(headers: headers, from: sender) != nil
                || (headers["Content-Type"]?.lowercased().contains("multipart/report") ?? false)
            self.envelopeFrom = String(TextInput.sanitize(envelopeFrom, multiline: false).prefix(250))
            self.envelopeTo = String(TextInput.sanitize(envelopeTo.joined(separator: ","), multiline: false).prefix(1000))
            self.raw = raw
            at = Date()
        }
    }

    static func store(raw: [UInt8], envelopeFrom: String, envelopeTo: [String], services: AppServices, db: any Database) async throws -> Stored {
        try await services.inbox.store(Incoming(raw: raw, envelopeFrom: envelopeFrom, envelopeTo: envelopeTo), on: db)
    }

    /// Writes messages in one transaction; returns for each whether it was new (and its row).
    static func write(_ batch: [Incoming], on sql: any SQLDatabase) async throws -> [Stored] {
        func row(_ m: Incoming, key: String, status: String, reason: String?) -> SQLQueryString {
            """
            (\(bind: key), \(bind: m.messageID), \(bind: m.envelopeFrom), \(bind: m.envelopeTo), \(bind: m.from), \(bind: m.subject),
             \(bind: Data(m.raw)), \(bind: m.raw.count), \(bind: status), \(bind: reason), \(bind: m.automatic), \(bind: 0), \(bind: m.at),
             \(bind: m.mailboxID))
            """
        }
        let columns: SQLQueryString = """
            INSERT INTO mail_inbound (dedupe_key, message_id, envelope_from, envelope_to, from_address, subject, raw, size, status, reason,
                                      is_automatic, attempts, received_at, mailbox_id) VALUES
            """
        let inserted = try await sql.raw(columns + " " + batch.map { row($0, key: $0.key, status: $0.status, reason: $0.reason) }.joined(separator: ", ")
                                         + " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key").all()
        var newIDs: [String: Int] = [:]
        for r in inserted { newIDs[try r.decode(column: "dedupe_key", as: String.self)] = try r.decode(column: "id", as: Int.self) }
        var results: [Stored?] = Array(repeating: nil, count: batch.count)
        var duplicates: [Int] = []
        for (index, message) in batch.enumerated() {
            if let id = newIDs.removeValue(forKey: message.key) { results[index] = Stored(id: id, duplicate: false) } else { duplicates.append(index) }
        }
        if !duplicates.isEmpty {
            // Kept for the record, never processed: a second delivery of a message we already have.
            let keys = Array(Set(duplicates.map { batch[$0].key }))
            var originals: [String: Int] = [:]
            for r in try await sql.raw("SELECT id, dedupe_key FROM mail_inbound WHERE dedupe_key IN (\(binds: keys))").all() {
                originals[try r.decode(column: "dedupe_key", as: String.self)] = try r.decode(column: "id", as: Int.self)
            }
            let rows = duplicates.map { index -> SQLQueryString in
                let message = batch[index]
                return row(message, key: "dup:" + UUID().uuidString, status: "duplicate",
                           reason: "already received as #\(originals[message.key].map(String.init) ?? "?")")
            }
            let stored = try await sql.raw(columns + " " + rows.joined(separator: ", ") + " RETURNING id").all()
            for (index, r) in zip(duplicates, stored) { results[index] = Stored(id: try r.decode(column: "id", as: Int.self), duplicate: true) }
        }
        return results.map { $0 ?? Stored(id: 0, duplicate: true) }
    }
}

/// Group commit for received messages: the messages that arrive while a write is under way are
/// stored together in the next transaction, so sixteen SMTP sessions cost one commit, not sixteen.
/// Each caller returns (and its client hears 250) only after the commit that holds its message.
actor InboxBatcher {
    private struct Pending {
        let message: MailInbox.Incoming
        let continuation: CheckedContinuation<MailInbox.Stored, any Error>
    }

    private var queue: [Pending] = []
    private var draining = false
    private let gate: WriteGate

    init(gate: WriteGate) { self.gate = gate }

    func store(_ message: MailInbox.Incoming, on db: any Database) async throws -> MailInbox.Stored {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(message: message, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain(db) }
            }
        }
    }

    private func drain(_ db: any Database) async {
        while !queue.isEmpty {
            // Up to 32 messages or 8 MiB a transaction.
            var batch: [Pending] = []
            var bytes = 0
            while let next = queue.first, batch.count < 32, batch.isEmpty || bytes + next.message.raw.count < 8 * 1_048_576 {
                batch.append(next)
                bytes += next.message.raw.count
                queue.removeFirst()
            }
            let messages = batch.map(\.message)
            do {
                let stored = try await gate.run {
                    try await db.transaction { db in try await MailInbox.write(messages, on: db as! any SQLDatabase) }
                }
                for (item, result) in zip(batch, stored) { item.continuation.resume(returning: result) }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}

/// The SMTP/LMTP listener's receiver: support addresses only, stored before 250.
struct InboundReceiver: SMTPReceiver {
    let services: AppServices
    let database: @Sendable () -> (any Database)?

    func accepts(recipient: String) -> Bool {
        let support = services.configuration.mail.supportAddresses
        let base = MailThreading.baseAddress(recipient)
        return support.isEmpty || support.contains(base) || services.mailboxes.addresses.contains(base)
    }

    func store(_ mail: ReceivedMail) async throws -> String {
        guard let db = database() else { throw Abort(.serviceUnavailable) }
        let stored = try await MailInbox.store(raw: mail.data, envelopeFrom: mail.sender, envelopeTo: mail.recipients, services: services, db: db)
        MailWorker.poke(services)
        return "Z\(stored.id)"
    }
}
