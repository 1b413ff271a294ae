import Crypto
import Fluent
import Foundation
import NIOCore
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Turns stored messages into tickets and comments (SPEC C1, A1). One message's failure is its
/// own: it goes to quarantine with the reason, and the rest keep flowing.
enum MailIntake {
    /// What became of one message.
    enum Outcome: Sendable, Equatable {
        case newTicket(Int)
        case comment(Int)
        case bounce(Int?)
        case ignored(String)
        case quarantined(String)
    }

    /// Tries before a message that keeps failing is put in quarantine.
    static let maxAttempts = 5

    /// A message claimed for processing.
    private struct ClaimedRow: Decodable {
        let id: Int
        let from_address: String?
        let attempts: Int
    }

    /// A stored message as received.
    private struct StoredRow: Decodable {
        let raw: Data
        let envelope_from: String
        let envelope_to: String
        let mailbox_id: Int?
    }

    private struct TicketFactsRow: Decodable {
        let id: Int
        let number: Int
        let requester_id: Int
        let organization_id: Int?
    }

    private struct IDRow: Decodable { let id: Int }

    /// Processes up to `limit` pending messages; returns how many were handled. Messages from one
    /// sender are handled in order (a reply must find the ticket its predecessor opened); different
    /// senders in parallel.
    @discardableResult
    static func runBatch(app: Application, limit: Int = 64) async throws -> Int {
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let claimed = try await app.services.gate.run {
            try await sql.raw("""
                UPDATE mail_inbound SET status = 'processing', processed_at = \(bind: now), attempts = attempts + 1
                WHERE id IN (SELECT id FROM mail_inbound WHERE status = 'pending' ORDER BY id LIMIT \(bind: limit)
                """ + " " + SQLClaim.skipLocked(sql) + """
                ) AND status = 'pending'
                RETURNING id, from_address, attempts
                """).all(decoding: ClaimedRow.self)
        }
        guard !claimed.isEmpty else { return 0 }
        var bySender: [String: [Int]] = [:]
        var attempts: [Int: Int] = [:]
        for row in claimed {
            bySender[row.from_address ?? "", default: []].append(row.id)
            attempts[row.id] = row.attempts
        }
        let tries = attempts
        await withTaskGroup(of: Void.self) { group in
            for ids in bySender.values {
                group.addTask {
                    for id in ids.sorted() {
                        do { _ = try await processClaimed(id: id, app: app) } catch is MailLink.AlreadyProcessed {
                            // Someone else (an import, a retry) finished it first.
                        } catch {
                            // A failure that is not the message's fault (the database, a bug) is retried a few
                            // times; then the message goes to quarantine with the error so it cannot loop forever.
                            let giveUp = (tries[id] ?? 0) >= maxAttempts
                            app.logger.error(giveUp ? "mail intake failed again; the message goes to quarantine" : "mail intake failed; the message stays pending",
                                             metadata: ["inbound": "\(id)", "error": "\(error)"])
                            if giveUp {
                                try? await finish(id, status: "quarantined", reason: "failed \(maxAttempts) times: \(error)", app: app)
                            } else {
                                try? await release(id, app: app)
                            }
                        }
                    }
                }
            }
        }
        return claimed.count
    }

    /// After a crash, messages caught mid-processing go back to the queue (nothing of them was committed).
    static func requeueInterrupted(app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        try await app.services.gate.run {
            try await sql.raw("UPDATE mail_inbound SET status = 'pending' WHERE status = 'processing'").run()
        }
    }

    /// Claims and processes one stored message (pending, or quarantined on a retry): the import
    /// command, the API and admins' retries come here; the background worker claims in batches.
    static func process(id: Int, app: Application) async throws -> Outcome {
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let claimed = try await app.services.gate.run {
            try await sql.raw("""
                UPDATE mail_inbound SET status = 'processing', processed_at = \(bind: now), attempts = attempts + 1
                WHERE id = \(bind: id) AND status IN ('pending', 'quarantined') RETURNING id
                """).first()
        }
        guard claimed != nil else {
            let status = try await sql.raw("SELECT status FROM mail_inbound WHERE id = \(bind: id)").first()?.decode(column: "status", as: String.self)
            return .ignored(status.map { "already \($0)" } ?? "unknown message")
        }
        do {
            return try await processClaimed(id: id, app: app)
        } catch is MailLink.AlreadyProcessed {
            return .ignored("processed elsewhere")
        } catch {
            try? await release(id, app: app)
            throw error
        }
    }

    /// Hands a claimed message back to the queue (nothing of it was committed).
    private static func release(_ id: Int, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        try await app.services.gate.run {
            try await sql.raw("UPDATE mail_inbound SET status = 'pending' WHERE id = \(bind: id) AND status = 'processing'").run()
        }
    }

    /// Processes a message this worker has claimed (status `processing`).
    static func processClaimed(id: Int, app: Application) async throws -> Outcome {
        let sql = app.db as! any SQLDatabase
        guard let row = try await sql.raw("""
            SELECT raw, envelope_from, envelope_to, mailbox_id FROM mail_inbound WHERE id = \(bind: id)
            """).first(decoding: StoredRow.self) else { return .ignored("unknown message") }
        let raw = Array(row.raw)
        let envelopeFrom = row.envelope_from
        let envelopeTo = row.envelope_to.split(separator: ",").map(String.init)
        let services = app.services
        let message: MailMessage
        do {
            message = try MIMEParser.parse(raw, maxBytes: max(services.configuration.mail.maxMessageBytes * 2, 1_048_576),
                                           envelopeSender: envelopeFrom)
        } catch {
            let reason = "cannot parse: \(error)"
            try await finish(id, status: "quarantined", reason: reason, app: app)
            return .quarantined(reason)
        }
        do {
            return try await handle(message, id: id, envelopeTo: envelopeTo, mailboxID: row.mailbox_id, app: app)
        } catch let error as ZayavkaError {
            let reason = "refused: \(Localizer(.en).message(for: error))" + Self.fieldDetails(error)
            try await finish(id, status: "quarantined", reason: reason, app: app)
            return .quarantined(reason)
        }
    }

    private static func fieldDetails(_ error: ZayavkaError) -> String {
        guard case .validation(let fields) = error else { return "" }
        return " (" + fields.map { "\($0.field): \($0.code.rawValue)" }.joined(separator: ", ") + ")"
    }

    /// Ends a claimed message that makes no ticket or comment (ignored, quarantined) with the reason.
    static func finish(_ id: Int, status: String, reason: String?, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        let now = Date()
        try await app.services.gate.run {
            try await sql.raw("""
                UPDATE mail_inbound SET status = \(bind: status), reason = \(bind: reason.map { String($0.prefix(1000)) }),
                       processed_at = \(bind: now)
                WHERE id = \(bind: id) AND status = 'processing'
                """).run()
        }
    }

    // MARK: Deciding

    private static func handle(_ message: MailMessage, id: Int, envelopeTo: [String], mailboxID: Int?, app: Application) async throws -> Outcome {
        let services = app.services
        let mail = services.configuration.mail
        let sql = app.db as! any SQLDatabase
        guard let sender = message.from else {
            try await finish(id, status: "quarantined", reason: "no sender", app: app)
            return .quarantined("no sender")
        }
        // The same address rules as every other entry point: a From: that is no mailbox makes no account.
        guard EmailAddress.isValid(sender.address.lowercased()) else {
            // Quarantined with its reason (it stayed `processing` for good before: a fuzzed From: found it).
            let reason = "the sender's address is not a valid mailbox"
            try await finish(id, status: "quarantined", reason: reason, app: app)
            return .quarantined(reason)
        }
        // The support address it came in on (issue 21): the mailbox it was fetched from, else the first
        // of ours among its recipients.
        let mailboxes = try await services.mailboxes.entries(sql)
        var mailbox = try await services.mailboxes.entry(id: mailboxID, sql)
        if mailbox == nil { mailbox = try await services.mailboxes.entry(for: envelopeTo + (message.to + message.cc).map(\.address), sql) }
        let support = Set(mail.supportAddresses + [mail.from.address.lowercased()] + mailboxes.map(\.address))
        if support.contains(MailThreading.baseAddress(sender.address)) {
            try await finish(id, status: "ignored", reason: "sent from our own address (a loop)", app: app)
            return .ignored("loop")
        }

        // Threading: our Message-IDs and theirs, then +tags, then the [#number] token.
        var ticketID = try await MailThreads.ticket(for: message.inReplyTo + message.references, on: sql)
        if let bounce = message.bounce {
            return try await recordBounce(bounce, message: message, id: id, threadTicket: ticketID, app: app)
        }
        if ticketID == nil {
            let recipients = envelopeTo + (message.to + message.cc).map(\.address)
            if let number = recipients.lazy.filter({ support.isEmpty || support.contains(MailThreading.baseAddress($0)) })
                .compactMap(MailThreading.ticketNumber(inAddress:)).first {
                ticketID = try await ticketIDFor(number: number, on: sql)
            }
        }
        if ticketID == nil, let number = MailThreading.ticketNumber(inSubject: message.subject) {
            ticketID = try await ticketIDFor(number: number, on: sql)
        }

        // A banned address or domain (SPEC X1): kept in quarantine with the reason, no account made,
        // no ticket, no answer; an admin can still read it and file it by hand.
        if let ban = try await services.bans.match(userID: nil, email: sender.address, sql) {
            return try await quarantineBanned(id, ban: ban, app: app)
        }
        let resolved = try await MailPeople.resolve(sender, message: message, language: mailbox?.language, app: app)
        guard case .active(let signedIn) = resolved.known else {
            try await finish(id, status: "ignored", reason: "the sender's account is blocked", app: app)
            return .ignored("blocked sender")
        }
        if signedIn.viewer.role == .customer, let ban = try await services.bans.match(userID: signedIn.viewer.userID, email: nil, sql) {
            return try await quarantineBanned(id, ban: ban, app: app)
        }
        let verification = try await verifySender(message, sender: sender.address, app: app)
        let context = ServiceContext(application: app, signedIn: signedIn, mailIntake: MailIntakeContext(
            channel: .email, link: MailLink(inboundID: id, messageID: message.messageID, senderVerified: verification.isVerified, mailboxID: mailbox?.id)))
        let attachments = try await saveAttachments(message.attachments, uploaderID: signedIn.viewer.userID, context: context)
        let body = Self.body(of: message, language: signedIn.language)

        if let ticketID, let ticket = try await ticketFacts(ticketID, on: sql),
           try await mayWrite(signedIn.viewer, email: sender.address, to: ticket, on: sql) {
            // Anyone can put a staff address in From:. Unless the sender is verified, a staff member's
            // mail is kept as an internal note, marked unverified, and the staff member is told.
            let staffUnverified = signedIn.viewer.role.isStaff && !verification.isVerified
            let input = CommentInput(body: body, public: !staffUnverified, attachments: attachments.map(\.publicID), status: nil)
            do {
                let commentID = try await ConversationService.insertComment(number: ticket.number, input: input, source: .email, context: context)
                try await rememberCopies(message, ticketID: ticketID, sender: sender.address, app: app)
                if resolved.created && !message.isAutomatic {
                    try await MailPeople.sendAccountMail(to: signedIn, email: sender.address, app: app)
                }
                if staffUnverified {
                    try await Outbox.enqueueUnverifiedMailNotice(to: signedIn, email: sender.address, ticketNumber: ticket.number,
                                                                 subject: message.subject, services: services, on: sql)
                }
                return .comment(commentID)
            } catch ZayavkaError.ticketClosed {
                // Closed in the meantime: a follow-up opens a new ticket below.
            }
        }

        // A new ticket, within the sender's hourly allowance.
        let hourAgo = Date().addingTimeInterval(-3600)
        let recent = try await sql.raw("""
            SELECT COUNT(*) AS n FROM tickets WHERE requester_id = \(bind: signedIn.viewer.userID) AND channel = 'email' AND created_at > \(bind: hourAgo)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        if recent >= mail.senderLimitPerHour {
            let reason = "rate limit: \(recent) tickets from \(sender.address) in the last hour (ZAYAVKA_MAIL_SENDER_LIMIT=\(mail.senderLimitPerHour))"
            await StreamedForm.forget(attachments, context: context)
            try await finish(id, status: "quarantined", reason: reason, app: app)
            return .quarantined(reason)
        }
        var subject = TextInput.sanitize(message.subject, multiline: false).trimmed
        if subject.isEmpty { subject = signedIn.language == .ru ? "(без темы)" : "(no subject)" }
        if subject.isOver(TicketLimits.subjectMaxLength) { subject = String(subject.prefix(TicketLimits.subjectMaxLength - 1)) + "…" }
        if subject.isOver(TicketLimits.subjectMaxLength) { subject = String(subject.prefix(TicketLimits.subjectMaxLength / 8)) + "…" }
        let input = TicketCreateInput(
            subject: subject, body: body, requesterId: nil, requesterEmail: nil, requesterName: nil, channel: .email, type: nil,
            priority: nil, urgency: nil, responsibility: nil, cause: nil, status: nil, assigneeId: nil, groupId: mailbox?.groupID, dueAt: nil,
            fields: nil, attachments: attachments.map(\.publicID))
        let dto = try await TicketService.create(input, context: context)
        try await rememberCopies(message, ticketNumber: dto.number, sender: sender.address, app: app)
        return .newTicket(dto.number)
    }

    /// Whether the message really comes from its sender (`SenderVerification`): it answers one of our
    /// messages to that address, or a trusted server in front says DKIM or SPF passed. Only the
    /// `Authentication-Results` headers above the first `Received:` are read: those are the ones our
    /// own server added (which must also remove forged ones claiming its authserv-id, RFC 8601 §5).
    static func verifySender(_ message: MailMessage, sender: String, app: Application) async throws -> SenderVerification.Outcome {
        let sql = app.db as! any SQLDatabase
        let references = Array(Set(message.inReplyTo + message.references).filter { !$0.isEmpty && $0.utf8.count <= 250 }.prefix(50))
        var answersOurs = false
        if !references.isEmpty {
            answersOurs = try await sql.raw("""
                SELECT 1 AS x FROM mail_outbox WHERE message_id IN (\(binds: references))
                AND (',' || to_address || ',') LIKE \(bind: "%," + sender.lowercased() + ",%") LIMIT 1
                """).first() != nil
        }
        var results: [String] = []
        for field in message.headers.fields {
            let name = field.name.lowercased()
            if name == "received" { break }
            if name == "authentication-results" { results.append(field.raw) }
        }
        return SenderVerification.decide(sender: sender.lowercased(), answersOurMailToSender: answersOurs, authenticationResults: results,
                                         trustedServers: app.services.configuration.trustedAuthServers)
    }

    /// The comment text: the new part of the message; the whole text when nothing is new; never empty.
    static func body(of message: MailMessage, language: Language) -> String {
        // Mail is taken, not refused: control characters (a NUL would stop PostgreSQL) go, stacked marks are cut.
        var body = TextInput.sanitize(message.newText).trimmed
        if body.isEmpty { body = TextInput.sanitize(message.text).trimmed }
        if body.isEmpty {
            body = message.attachments.isEmpty
                ? (language == .ru ? "(пустое письмо)" : "(empty message)")
                : (language == .ru ? "(письмо без текста, только вложения)" : "(no text, attachments only)")
        }
        if body.isOver(TicketLimits.bodyMaxLength) {
            // Characters first; a text of long emoji sequences may still be over in scalars or bytes, so cut deeper then.
            var kept = String(body.prefix(TicketLimits.bodyMaxLength - 200))
            if kept.isOver(TicketLimits.bodyMaxLength - 200) { kept = String(kept.prefix(TicketLimits.bodyMaxLength / 8)) }
            body = kept + (language == .ru ? "\n\n[текст сокращён; полностью — в исходном письме]" : "\n\n[text shortened; see the original message]")
        }
        return body
    }

    struct TicketFacts {
        let id: Int
        let number: Int
        let requesterID: Int
        let organizationID: Int?
    }

    static func ticketIDFor(number: Int, on sql: any SQLDatabase) async throws -> Int? {
        try await sql.raw("SELECT id FROM tickets WHERE number = \(bind: number)").first()?.decode(column: "id", as: Int.self)
    }

    static func ticketFacts(_ id: Int, on sql: any SQLDatabase) async throws -> TicketFacts? {
        guard let row = try await sql.raw("""
            SELECT id, number, requester_id, organization_id FROM tickets WHERE id = \(bind: id)
            """).first(decoding: TicketFactsRow.self) else { return nil }
        return TicketFacts(id: row.id, number: row.number, requesterID: row.requester_id, organizationID: row.organization_id)
    }

    /// The requester, anyone copied on the ticket's mail, staff, and colleagues who share their
    /// organization's tickets may add to a ticket by mail; anyone else starts a ticket of their own.
    static func mayWrite(_ viewer: Viewer, email: String, to ticket: TicketFacts, on sql: any SQLDatabase) async throws -> Bool {
        if viewer.role.isStaff || viewer.userID == ticket.requesterID { return true }
        if Visibility.canSee(requesterID: ticket.requesterID, organizationID: ticket.organizationID, viewer: viewer) { return true }
        return try await sql.raw("""
            SELECT 1 AS ok FROM ticket_ccs WHERE ticket_id = \(bind: ticket.id) AND email = \(bind: email.lowercased())
            """).first() != nil
    }

    /// People in To/Cc besides the sender and the support addresses are copied on the ticket.
    static func rememberCopies(_ message: MailMessage, ticketID: Int? = nil, ticketNumber: Int? = nil, sender: String, app: Application) async throws {
        let mail = app.services.configuration.mail
        let support = Set(mail.supportAddresses + [mail.from.address.lowercased()])
        // With no support addresses configured, every To address might be ours: copy only Cc then.
        let pool = mail.supportAddresses.isEmpty ? message.cc : message.to + message.cc
        let candidates = Set(pool.map(\.address)).filter { $0 != sender && !support.contains(MailThreading.baseAddress($0)) }
        guard !candidates.isEmpty else { return }
        let sql = app.db as! any SQLDatabase
        var id = ticketID
        if id == nil, let ticketNumber { id = try await ticketIDFor(number: ticketNumber, on: sql) }
        guard let id else { return }
        try await app.services.gate.run {
            for email in candidates.prefix(20) {
                try await sql.raw("""
                    INSERT INTO ticket_ccs (ticket_id, email) VALUES (\(bind: id), \(bind: email)) ON CONFLICT (ticket_id, email) DO NOTHING
                    """).run()
            }
        }
    }

    /// Stores the message's files as the sender's uploads (cid images keep their Content-ID).
    static func saveAttachments(_ files: [MailAttachment], uploaderID: Int, context: ServiceContext) async throws -> [AttachmentRecord] {
        guard !files.isEmpty else { return [] }
        let store = context.services.files
        let limit = context.services.configuration.maxAttachmentBytes
        var records: [AttachmentRecord] = []
        let now = context.now
        for file in files.prefix(100) where file.data.count <= limit {
            // Names and types come from the sender: no control characters reach the database or a download's headers.
            records.append(AttachmentRecord(uploaderID: uploaderID, filename: ConversationService.safeFilename(TextInput.sanitize(file.filename, multiline: false)),
                                            contentType: String(TextInput.sanitize(file.contentType, multiline: false).prefix(200)), size: file.data.count,
                                            sha256: Hex.encode(SHA256.hash(data: file.data)), storageKey: try store.write(file.data), at: now,
                                            contentID: file.contentID.map { String(TextInput.sanitize($0, multiline: false).prefix(250)) }))
        }
        let toCreate = records
        let keys = records.map(\.storageKey)
        do {
            try await context.write { db in
                for record in toCreate { try await record.create(on: db) }
                try await store.persist(keys: keys, on: db as! any SQLDatabase)
            }
        } catch {
            for record in records { store.remove(key: record.storageKey) }
            throw error
        }
        store.dropSpool(keys: keys)
        return records
    }

    // MARK: Bounces (RFC 3464)

    /// Mail from a banned party: quarantined with the ban named, so it is neither lost nor answered.
    private static func quarantineBanned(_ id: Int, ban: BanEntry, app: Application) async throws -> Outcome {
        let until = ban.endsAt.map { " until \(Localizer.moscowDate($0)) Moscow time" } ?? ""
        let reason = "banned sender (\(ban.scope.rawValue) ban #\(ban.id)\(until)): \(ban.reason)"
        try await finish(id, status: "quarantined", reason: String(reason.prefix(1000)), app: app)
        BanMetrics.mail.increment()
        return .quarantined(reason)
    }

    /// A delivery report about one of our messages becomes an internal note on its ticket (and
    /// marks that message failed); about anything else it is kept and ignored. Never a new ticket.
    private static func recordBounce(_ bounce: MailBounce, message: MailMessage, id: Int, threadTicket: Int?, app: Application) async throws -> Outcome {
        let sql = app.db as! any SQLDatabase
        var ticketID = threadTicket
        if ticketID == nil, let original = bounce.originalMessageID { ticketID = try await MailThreads.ticket(for: [original], on: sql) }
        guard let ticketID else {
            try await finish(id, status: "ignored", reason: "delivery report about a message we do not know", app: app)
            return .bounce(nil)
        }
        let recipients = bounce.failedRecipients.joined(separator: ", ")
        let detail = [bounce.status.map { "status \($0)" }, bounce.diagnostic].compactMap { $0 }.joined(separator: "; ")
        let note = "Письмо не доставлено / Mail could not be delivered" + (recipients.isEmpty ? "" : ": \(recipients)")
            + (detail.isEmpty ? "" : "\n\(detail)") + "\n\n" + String(message.text.prefix(2000))
        let now = Date()
        try await app.services.gate.run {
            try await app.db.transaction { db in
                let sql = db as! any SQLDatabase
                let commentID = try await sql.raw("""
                    INSERT INTO comments (ticket_id, author_id, body, is_public, source, created_at)
                    VALUES (\(bind: ticketID), NULL, \(bind: note), \(bind: false), 'email', \(bind: now)) RETURNING id
                    """).first(decoding: IDRow.self)!.id
                try await History.record([NewEvent(ticketID: ticketID, actorID: nil, kind: .noteAdded, commentID: commentID, isPublic: false, at: now)], on: sql)
                if let original = bounce.originalMessageID {
                    try await sql.raw("""
                        UPDATE mail_outbox SET status = 'failed', last_error = \(bind: "bounced: " + String(detail.prefix(900)))
                        WHERE message_id = \(bind: original)
                        """).run()
                }
                try await MailLink(inboundID: id, messageID: nil).record(ticketID: ticketID, commentID: commentID, at: now, on: sql)
            }
        }
        return .bounce(ticketID)
    }
}
