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

    /// Thrown when another worker completed the message first: the write that carries it rolls back.
    struct AlreadyProcessed: Error {}

    func record(ticketID: Int, commentID: Int, at now: Date, on sql: any SQLDatabase) async throws {
        let updated = try await sql.raw("""
            UPDATE mail_inbound SET status = 'processed', ticket_id = \(bind: ticketID), comment_id = \(bind: commentID),
                   processed_at = \(bind: now), reason = NULL
            WHERE id = \(bind: inboundID) AND status = 'processing'
            RETURNING id
            """).first()
        guard updated != nil else { throw AlreadyProcessed() }
        if let messageID {
            try await MailThreads.remember(messageID, ticketID: ticketID, direction: "in", at: now, on: sql)
        }
    }
}

/// Set on the request that mail intake writes through: the channel is trusted and the write
/// completes the received message.
struct MailIntakeContext: Sendable {
    let channel: TicketChannel
    let link: MailLink?
}

extension Request {
    private struct MailIntakeKey: StorageKey { typealias Value = MailIntakeContext }

    var mailIntake: MailIntakeContext? {
        get { storage[MailIntakeKey.self] }
        set { storage[MailIntakeKey.self] = newValue }
    }
}

/// Message-IDs per ticket, both ways: what customers sent and what we sent them.
enum MailThreads {
    static func remember(_ messageID: String, ticketID: Int, direction: String, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO mail_threads (message_id, ticket_id, direction, created_at)
            VALUES (\(bind: String(messageID.lowercased().prefix(250))), \(bind: ticketID), \(bind: direction), \(bind: now))
            """).run()
    }

    /// The ticket one of `ids` belongs to (the most recent mention wins).
    static func ticket(for ids: [String], on sql: any SQLDatabase) async throws -> Int? {
        let keys = Array(Set(ids.map { String($0.lowercased().prefix(250)) })).prefix(100)
        guard !keys.isEmpty else { return nil }
        return try await sql.raw("""
            SELECT ticket_id FROM mail_threads WHERE message_id IN (\(binds: Array(keys))) ORDER BY id DESC LIMIT 1
            """).first()?.decode(column: "ticket_id", as: Int.self)
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

    static func store(raw: [UInt8], envelopeFrom: String, envelopeTo: [String], services: AppServices, db: any Database) async throws -> Stored {
        let headers = MIMEParser.headers(of: raw)
        let messageID = MessageIDs.parse(headers["Message-ID"]).first.map { String($0.prefix(250)) }
        let key = messageID.map { "mid:" + $0.lowercased() } ?? "sha256:" + Hex.encode(SHA256.hash(data: raw))
        let from = MailAddress.list(headers["From"]).first?.address
        let subject = headers.text("Subject").map { String($0.prefix(500)) }
        let automatic = MIMEParser.automaticReason(headers: headers, from: MailAddress.list(headers["From"]).first) != nil
            || (headers["Content-Type"]?.lowercased().contains("multipart/report") ?? false)
        let now = Date()
        let sql = db as! any SQLDatabase
        return try await services.gate.run {
            func insert(_ key: String, status: String, reason: String?) -> SQLQueryString {
                """
                INSERT INTO mail_inbound (dedupe_key, message_id, envelope_from, envelope_to, from_address, subject, raw, size, status, reason,
                                          is_automatic, attempts, received_at)
                VALUES (\(bind: key), \(bind: messageID), \(bind: String(envelopeFrom.prefix(250))),
                        \(bind: String(envelopeTo.joined(separator: ",").prefix(1000))), \(bind: from.map { String($0.prefix(250)) }),
                        \(bind: subject), \(bind: Data(raw)), \(bind: raw.count), \(bind: status), \(bind: reason), \(bind: automatic),
                        \(bind: 0), \(bind: now))
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id
                """
            }
            if let row = try await sql.raw(insert(key, status: "pending", reason: nil)).first() {
                return Stored(id: try row.decode(column: "id", as: Int.self), duplicate: false)
            }
            let original = try await sql.raw("SELECT id FROM mail_inbound WHERE dedupe_key = \(bind: key)").first()?.decode(column: "id", as: Int.self)
            let reason = "already received as #\(original.map(String.init) ?? "?")"
            let row = try await sql.raw(insert("dup:" + UUID().uuidString, status: "duplicate", reason: reason)).first()
            return Stored(id: try row?.decode(column: "id", as: Int.self) ?? 0, duplicate: true)
        }
    }
}

/// The SMTP/LMTP listener's receiver: support addresses only, stored before 250.
struct InboundReceiver: SMTPReceiver {
    let services: AppServices
    let database: @Sendable () -> (any Database)?

    func accepts(recipient: String) -> Bool {
        let support = services.configuration.mail.supportAddresses
        return support.isEmpty || support.contains(MailThreading.baseAddress(recipient))
    }

    func store(_ mail: ReceivedMail) async throws -> String {
        guard let db = database() else { throw Abort(.serviceUnavailable) }
        let stored = try await MailInbox.store(raw: mail.data, envelopeFrom: mail.sender, envelopeTo: mail.recipients, services: services, db: db)
        MailWorker.poke(services)
        return "Z\(stored.id)"
    }
}
