import Fluent
import Foundation
import MultipartKit
import NIOCore
import NIOPosix
import SQLKit
import Vapor
import ZayavkaCore

/// Comments (public replies, internal notes), attachments and the history of a ticket.
enum ConversationService {
    private struct CommentRow: Decodable {
        let id: Int
        let body: String
        let is_public: Bool
        let author_id: Int?
        let author_name: String?
        let source: String
        let created_at: Date
        let sender_verified: Bool?
    }

    /// The ticket a comment is added to, with its requester's language.
    private struct CommentedTicketRow: Decodable {
        let id: Int
        let status: String
        let type: String
        let requester_id: Int
        let first_response_at: Date?
        let locale: String
    }

    private struct IDRow: Decodable { let id: Int }

    private struct EventRow: Decodable {
        let id: Int
        let kind: String
        let field: String?
        let before: String?
        let after: String?
        let actor_id: Int?
        let actor_name: String?
        let comment_id: Int?
        let created_at: Date
        let reason: String?
    }

    // MARK: Comments

    static func comments(number: Int, context: ServiceContext) async throws -> [CommentDTO] {
        let viewer = try context.viewer
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        return try await comments(of: ticket, viewer: viewer, context: context)
    }

    /// The comments of a ticket the viewer may see (`ticket` came from `TicketQueries.load`).
    static func comments(of ticket: TicketQueries.Row, viewer: Viewer, context: ServiceContext) async throws -> [CommentDTO] {
        var statement: SQLQueryString = """
            SELECT c.id, c.body, c.is_public, c.author_id, u.name AS author_name, c.source, c.created_at, c.sender_verified
            FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.ticket_id = \(bind: ticket.id)
            """
        if !Visibility.canSeeInternal(viewer) { statement += " AND c.is_public = \(bind: true)" }
        statement += " ORDER BY c.id"
        let rows = try await context.sql.raw(statement).all(decoding: CommentRow.self)
        var attachments = try await AttachmentRecord.query(on: context.database).filter(\.$ticketID == ticket.id).sort(\.$id).all()
        attachments = attachments.filter { $0.commentID != nil }
        return rows.map { row in
            CommentDTO(
                id: row.id, body: row.body, public: row.is_public,
                // The author is a user (a foreign key), so a set author_id always comes with a name.
                author: row.author_id.map { PersonRef(id: $0, name: row.author_name ?? "") },
                source: TicketChannel(rawValue: row.source) ?? .api, createdAt: row.created_at,
                attachments: attachments.filter { $0.commentID == row.id }.map(AttachmentDTO.init),
                senderVerified: row.sender_verified)
        }
    }

    static func addComment(number: Int, input: CommentInput, source: TicketChannel = .api, context: ServiceContext) async throws -> CommentDTO {
        let commentID = try await insertComment(number: number, input: input, source: source, context: context)
        guard let dto = try await comments(number: number, context: context).first(where: { $0.id == commentID }) else {
            throw ZayavkaError.notFound(entity: "comment", id: String(commentID))
        }
        return dto
    }

    /// Adds a comment (and what it implies: status, first response, SLA clocks, history) in one
    /// transaction; returns its id.
    static func insertComment(number: Int, input: CommentInput, source: TicketChannel = .api, context: ServiceContext) async throws -> Int {
        let viewer = try context.viewer
        let mail = context.mailIntake
        // Mail intake has decided who may write to the ticket (requester, people copied, staff).
        if mail == nil { _ = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql) }
        let isStaff = viewer.role.isStaff
        let isPublic = input.public ?? true
        var errors: [FieldError] = []
        if input.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { errors.append(FieldError("body", .required)) }
        if input.body.isOver(TicketLimits.bodyMaxLength) { errors.append(FieldError("body", .tooLong, String(TicketLimits.bodyMaxLength))) }
        if !isPublic, !viewer.role.can(.writeInternalNotes) { errors.append(FieldError("public", .notAllowed)) }
        if input.status != nil, !isStaff { errors.append(FieldError("status", .notAllowed)) }
        if let answer = input.answer {
            if !isStaff || !isPublic { errors.append(FieldError("answer", .notAllowed)) }
            if !["solution", "promise", "refusal"].contains(answer) { errors.append(FieldError("answer", .unknownValue, "solution, promise, refusal")) }
            if answer == "promise", input.promisedAt == nil { errors.append(FieldError("promised_at", .required)) }
            do { try input.firstAnswer?.validate(now: context.now) } catch ZayavkaError.validation(let more) { errors += more }
        }
        if let changes = input.changes {
            if !isStaff { errors.append(FieldError("changes", .notAllowed)) }
            // The reply's own `status` says where the ticket goes; a second one would be ambiguous.
            if changes.status != nil { errors.append(FieldError("changes.status", .notAllowed)) }
            if changes.resolution != nil { errors.append(FieldError("changes.resolution", .notAllowed)) }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let prepared: TicketService.PreparedPatch? = if let changes = input.changes {
            try await TicketService.prepare(number: number, input: changes, context: context)
        } else {
            nil
        }
        let catalog = try await context.services.catalog.snapshot(context.db)
        let uploads = try await TicketService.pendingUploads(input.attachments ?? [], uploader: viewer.userID, on: context.db)
        let slaSetup = try await context.services.sla.setup(context.sql)

        var draft = CommentDraft(number: number, author: viewer, body: input.body, isPublic: isPublic, source: source,
                                 requestedStatus: input.status, answer: input.answer, firstAnswer: input.firstAnswer, uploads: uploads, mail: mail)
        draft.resolution = input.resolution
        draft.quality = try await QualitySettingsService.current(services: context.services, on: context.sql)
        let checked = draft
        let commentID = try await context.write { db in
            if let prepared { try await TicketService.write(prepared, number: number, at: context.now, on: db) }
            return try await write(checked, catalog: catalog, slaSetup: slaSetup, at: context.now, on: db as! any SQLDatabase)
        }
        TicketService.commentsCreated.increment()
        return commentID
    }

    /// A checked comment, ready to be written.
    struct CommentDraft: Sendable {
        let number: Int
        let author: Viewer
        let body: String
        let isPublic: Bool
        let source: TicketChannel
        var requestedStatus: String? = nil
        var answer: String? = nil
        var firstAnswer: FirstAnswer? = nil
        var uploads: [AttachmentRecord] = []
        var mail: MailIntakeContext? = nil
        /// The resolution report sent with a reply that solves the ticket, and the settings that say what it needs.
        var resolution: ResolutionInput? = nil
        var quality = QualitySettings()
    }

    /// The writes of one comment inside the caller's transaction: the comment, its events, the
    /// status a reply implies, the first response, the SLA clocks; returns its id.
    static func write(_ draft: CommentDraft, catalog: CatalogCache.Snapshot, slaSetup: SLASetupCache.Setup, at now: Date,
                      on sql: any SQLDatabase) async throws -> Int {
        let isStaff = draft.author.role.isStaff
        let isPublic = draft.isPublic
        guard let row = try await sql.raw("""
            SELECT t.id, t.status, t.type, t.requester_id, t.first_response_at, u.locale FROM tickets t JOIN users u ON u.id = t.requester_id
            WHERE t.number = \(bind: draft.number)
            """).first(decoding: CommentedTicketRow.self) else { throw ZayavkaError.notFound(entity: "ticket", id: String(draft.number)) }
        let ticketID = row.id
        let status = row.status
        guard catalog.workflow.acceptsComments(status) else { throw ZayavkaError.ticketClosed(number: draft.number) }
        // Status: an explicit one from staff, else what the reply itself implies.
        var newStatus = catalog.workflow.statusAfterComment(current: status, byCustomer: !isStaff, isPublic: isPublic)
        if let requested = draft.requestedStatus {
            try catalog.workflow.checkTransition(from: status, to: requested, by: .staff)
            newStatus = requested
        }
        let category = catalog.workflow.definition(status)?.category
        let nextCategory = newStatus.flatMap { catalog.workflow.definition($0)?.category }
        // Solving it with the reply: the resolution report (SPEC V6), checked before anything is written.
        let solving = newStatus != nil && newStatus != status && nextCategory == .solved
        let report = try ResolutionService.check(draft.resolution, solving: solving, type: TicketType(rawValue: row.type) ?? .question,
                                                 isStaff: isStaff, settings: draft.quality)
        // A promise is told to the customer in their language, with the minute (Moscow time), unless the reply already says it.
        var body = draft.body
        if case .promise(let date) = draft.firstAnswer {
            let when = SLAMetricNames.moscowTime(date)
            if !body.contains(when) {
                let russian = row.locale != Language.en.rawValue
                body += russian ? "\n\nСрок решения: \(when) (МСК)." : "\n\nWe will solve it by \(when) (Moscow time)."
            }
        }
        let commentID = try await sql.raw("""
            INSERT INTO comments (ticket_id, author_id, body, is_public, source, created_at, sender_verified)
            VALUES (\(bind: ticketID), \(bind: draft.author.userID), \(bind: body), \(bind: draft.isPublic), \(bind: draft.source.rawValue), \(bind: now),
                    \(bind: draft.mail?.link?.senderVerified))
            RETURNING id
            """).first(decoding: IDRow.self)!.id
        try await SearchIndex.addComments(ids: [commentID], on: sql)
        var events = [NewEvent(ticketID: ticketID, actorID: draft.author.userID, kind: isPublic ? .commentAdded : .noteAdded,
                               commentID: commentID, isPublic: isPublic, at: now)]
        events += try await TicketService.attach(draft.uploads, ticketID: ticketID, commentID: commentID, actorID: draft.author.userID,
                                                 isPublic: isPublic, at: now, on: sql)
        var assignments: [SQLQueryString] = ["updated_at = \(bind: now)"]
        if let newStatus, newStatus != status {
            assignments.append("status = \(bind: newStatus)")
            switch catalog.workflow.definition(newStatus)?.category {
            case .solved: assignments.append("solved_at = \(bind: now)")
            case .closed: assignments.append("closed_at = \(bind: now)")
            default: assignments.append("solved_at = NULL")
            }
            events.append(NewEvent(ticketID: ticketID, actorID: draft.author.userID, kind: .statusChanged, field: "status",
                                   before: status, after: newStatus, isPublic: true, at: now))
        }
        let unanswered = row.first_response_at == nil
        let isFirstResponse = unanswered && row.requester_id != draft.author.userID
        if isStaff, isPublic, isFirstResponse { assignments.append("first_response_at = \(bind: now)") }
        if let answer = draft.firstAnswer {
            var detail: String?
            switch answer {
            case .solution: break
            case .promise(let date):
                assignments.append("promised_at = \(bind: date)")
                detail = date.formatted(.iso8601)
            case .refusal(let reason): detail = reason
            }
            events.append(NewEvent(ticketID: ticketID, actorID: draft.author.userID, kind: .answerGiven, field: "answer", after: draft.answer,
                                   commentID: commentID, isPublic: false, at: now, reason: detail))
        }
        try await sql.raw("UPDATE tickets SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: ticketID)").run()
        if isStaff, isPublic { try await SLAClocks.handle(.staffPublicReply, ticketID: ticketID, at: now, setup: slaSetup, on: sql) }
        if case .promise(let date) = draft.firstAnswer {
            try await SLAClocks.handle(.promised(date), ticketID: ticketID, at: now, setup: slaSetup, on: sql)
        }
        if let newStatus, newStatus != status, let from = catalog.workflow.definition(status)?.category,
           let to = catalog.workflow.definition(newStatus)?.category {
            try await SLAClocks.handle(.statusChanged(from: from, to: to), ticketID: ticketID, at: now, setup: slaSetup, on: sql)
        }
        if !isStaff, isPublic {
            try await SLAClocks.handle(.customerReply(answered: !unanswered), ticketID: ticketID, at: now, setup: slaSetup, on: sql)
        }
        if let report { events.append(try await ResolutionService.write(report, ticketID: ticketID, authorID: draft.author.userID, at: now, on: sql)) }
        // The customer's reply reopens a solved ticket: the report's answer is "still not working".
        if !isStaff, category == .solved, let nextCategory, nextCategory != .solved {
            try await ResolutionService.recordOutcome("not_working", ticketID: ticketID, at: now, on: sql)
        }
        try await History.record(events, on: sql)
        if let link = draft.mail?.link { try await link.record(ticketID: ticketID, commentID: commentID, at: now, on: sql) }
        return commentID
    }

    /// A staff member's public reply written inside the caller's transaction (a known problem's
    /// number told to its customer): everything a reply from the composer does.
    @discardableResult
    /// `db` is the caller's transaction: on SQLite a request's event loop has one connection, which
    /// the transaction holds, so nothing here may read through `context.db`.
    static func writeReply(number: Int, body: String, context: ServiceContext, on db: any Database) async throws -> Int {
        let sql = db as! any SQLDatabase
        let catalog = try await context.services.catalog.snapshot(db)
        let slaSetup = try await context.services.sla.setup(sql)
        let draft = CommentDraft(number: number, author: try context.viewer, body: body, isPublic: true, source: .web)
        let id = try await write(draft, catalog: catalog, slaSetup: slaSetup, at: context.now, on: sql)
        TicketService.commentsCreated.increment()
        return id
    }

    // MARK: History

    static func events(number: Int, context: ServiceContext) async throws -> [EventDTO] {
        let viewer = try context.viewer
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        return try await events(of: ticket, viewer: viewer, context: context)
    }

    /// The history of a ticket the viewer may see (`ticket` came from `TicketQueries.load`).
    static func events(of ticket: TicketQueries.Row, viewer: Viewer, context: ServiceContext) async throws -> [EventDTO] {
        var statement: SQLQueryString = """
            SELECT e.id, e.kind, e.field, e.before, e.after, e.actor_id, u.name AS actor_name, e.comment_id, e.created_at, e.reason
            FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = \(bind: ticket.id)
            """
        if !Visibility.canSeeInternal(viewer) { statement += " AND e.is_public = \(bind: true)" }
        statement += " ORDER BY e.id"
        return try await context.sql.raw(statement).all(decoding: EventRow.self).map { row in
            EventDTO(
                id: row.id, kind: row.kind, field: row.field, before: row.before, after: row.after,
                // The actor is a user (a foreign key), so a set actor_id always comes with a name.
                actor: row.actor_id.map { PersonRef(id: $0, name: row.actor_name ?? "") },
                commentId: row.comment_id, createdAt: row.created_at, reason: row.reason)
        }
    }

    // MARK: Attachments

    /// The filename of a Content-Disposition header, RFC 6266 / 5987 (`filename*=UTF-8''…`) first.
    static func filename(fromDisposition value: String) -> String? {
        var plain: String?
        for part in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part.lowercased().hasPrefix("filename*=") {
                let raw = part.dropFirst("filename*=".count)
                if let quote = raw.range(of: "''") { return String(raw[quote.upperBound...]).removingPercentEncoding }
            } else if part.lowercased().hasPrefix("filename=") {
                var raw = String(part.dropFirst("filename=".count))
                if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
                plain = raw.replacingOccurrences(of: "\\\"", with: "\"")
            }
        }
        return plain
    }

    /// No paths, no control characters: only the last component of what the client called it.
    static func safeFilename(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "file"
        let cleaned = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "file" : cleaned
    }

    /// Sends a file to someone who may see it: the uploader before it is posted, afterwards whoever
    /// may see the comment (internal notes' files only to staff). Anything else is 404.
    static func download(id: String, context: ServiceContext) async throws -> Download {
        let viewer = try context.viewer
        guard let record = try await AttachmentRecord.query(on: context.database).filter(\.$publicID == id).first() else {
            throw ZayavkaError.notFound(entity: "attachment", id: id)
        }
        var allowed = record.uploaderID == viewer.userID && record.commentID == nil
        if let commentID = record.commentID, let ticketID = record.ticketID,
           let ticket = try await TicketRecord.find(ticketID, on: context.database),
           let comment = try await CommentRecord.find(commentID, on: context.database) {
            allowed = Visibility.canSee(requesterID: ticket.requesterID, organizationID: ticket.organizationID, viewer: viewer)
                && (comment.isPublic || Visibility.canSeeInternal(viewer))
        }
        guard allowed else { throw ZayavkaError.notFound(entity: "attachment", id: id) }
        let inlineTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]
        let inline = inlineTypes.contains(record.contentType.lowercased())
        return Download(source: context.services.files.source(forKey: record.storageKey),
                        contentType: inline ? record.contentType : "application/octet-stream", filename: record.filename, inline: inline)
    }
}
