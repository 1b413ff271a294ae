import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Live chat (issue 19, SPEC C4). Every chat is a ticket (channel `chat`) and every message a public
/// comment on it, written before anyone is told of it: nothing said in chat lives only in memory.
/// The `chats` row says where the chat stands (waiting, with an agent, ended) and its `updated_at`
/// moves with every message, which is how every instance's `ChatHub` learns of it.
enum ChatService {
    static let started = Counter(label: "zayavka_chats_started_total")
    static let messages = Counter(label: "zayavka_chat_messages_total")

    /// Someone staff is on shift: the widget and the portal offer a chat (checked at most every 2 s).
    static func available(context: ServiceContext) async throws -> Bool {
        try await context.services.chatAvailability.value {
            try await context.sql.raw("""
                SELECT COUNT(*) AS n FROM users WHERE is_active = \(bind: true) AND on_shift = \(bind: true) AND role <> 'customer'
                """).first()?.decode(column: "n", as: Int.self) ?? 0 > 0
        }
    }

    private struct ChatRow: Decodable {
        let ticket_id: Int
        let number: Int
        let subject: String
        let state: String
        let customer_id: Int
        let customer_name: String
        let agent_id: Int?
        let agent_name: String?
        let started_at: Date
        let accepted_at: Date?
        let ended_at: Date?
    }

    private static let select: SQLQueryString = """
        SELECT c.ticket_id, t.number, t.subject, c.state, c.customer_id, cu.name AS customer_name, c.agent_id, a.name AS agent_name,
               c.started_at, c.accepted_at, c.ended_at
        FROM chats c JOIN tickets t ON t.id = c.ticket_id JOIN users cu ON cu.id = c.customer_id LEFT JOIN users a ON a.id = c.agent_id
        """

    private static func dto(_ row: ChatRow) -> ChatDTO {
        ChatDTO(number: row.number, subject: row.subject, state: ChatState(rawValue: row.state) ?? .ended,
                customer: PersonRef(id: row.customer_id, name: row.customer_name),
                agent: row.agent_id.map { PersonRef(id: $0, name: row.agent_name ?? "") },
                startedAt: row.started_at, acceptedAt: row.accepted_at, endedAt: row.ended_at)
    }

    private static func row(number: Int, on sql: any SQLDatabase) async throws -> ChatRow {
        guard let row = try await sql.raw(select + " WHERE t.number = \(bind: number)").first(decoding: ChatRow.self) else {
            throw ZayavkaError.notFound(entity: "chat", id: String(number))
        }
        return row
    }

    static func message(_ comment: CommentDTO, requesterID: Int) -> ChatMessageDTO {
        ChatMessageDTO(id: comment.id, text: comment.body, from: comment.author?.id == requesterID ? "customer" : "agent",
                       name: comment.author?.name ?? "", at: comment.createdAt, attachments: comment.attachments.map(\.filename))
    }

    /// The chat of a ticket the caller may see, with its transcript when asked.
    static func get(number: Int, transcript: Bool, context: ServiceContext) async throws -> ChatDTO {
        let viewer = try context.viewer
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        var chat = dto(try await row(number: number, on: context.sql))
        if transcript {
            let comments = try await ConversationService.comments(of: ticket, viewer: viewer, context: context)
            chat.messages = comments.filter(\.public).map { message($0, requesterID: chat.customer.id) }
        }
        return chat
    }

    /// Chats for the agents' console: waiting ones first (oldest first), then those with an agent.
    static func list(states: [ChatState], limit: Int = 200, context: ServiceContext) async throws -> [ChatDTO] {
        try context.require(.readAllTickets)
        let rows = try await context.sql.raw(select + " WHERE c.state IN (\(binds: states.map(\.rawValue))) ORDER BY c.started_at LIMIT \(bind: limit)")
            .all(decoding: ChatRow.self)
        let order: [String: Int] = ["waiting": 0, "active": 1, "ended": 2]
        return rows.sorted { (order[$0.state] ?? 3, $0.started_at) < (order[$1.state] ?? 3, $1.started_at) }.map(dto)
    }

    /// A customer starts a chat: a ticket (channel chat) with the first message as its description.
    /// A customer with a chat still open gets that one back. Nobody on shift: refused, the widget offers a request.
    static func start(text: String, session: WidgetSession?, context: ServiceContext) async throws -> ChatDTO {
        let person = try context.person
        guard person.viewer.role == .customer else { throw ZayavkaError.forbidden(reason: "chat") }
        if let refusal = ChatLimits.check(text) { throw refusalError(refusal) }
        try await context.services.bans.refuse(person, now: context.now, context.sql, counter: BanMetrics.chat)
        // A visitor the host did not vouch for gets back only a chat of their own session, never the account's.
        let ownSession: SQLQueryString = session.map { $0.verified ? "" : " AND c.ticket_id IN (SELECT ticket_id FROM widget_tickets WHERE session_id = \(bind: $0.id))" } ?? ""
        if let open = try await context.sql.raw(select + """
             WHERE c.customer_id = \(bind: person.viewer.userID) AND c.state IN ('waiting', 'active')
            """ + ownSession + " ORDER BY c.started_at DESC LIMIT 1").first(decoding: ChatRow.self) {
            return dto(open)
        }
        guard try await available(context: context) else { throw ZayavkaError.validation([FieldError("chat", .offline)]) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let firstLine = trimmed.split(whereSeparator: \.isNewline).first.map(String.init) ?? trimmed
        let subject = (context.language == .en ? "Chat: " : "Чат: ") + String(firstLine.prefix(120))
        let input = TicketCreateInput(
            subject: subject, body: trimmed, requesterId: nil, requesterEmail: nil, requesterName: nil, channel: .chat, type: .question,
            priority: nil, urgency: nil, responsibility: nil, cause: nil, status: nil, assigneeId: nil, groupId: nil, dueAt: nil,
            fields: nil, attachments: nil)
        let ticket = try await TicketService.create(input, context: context)
        let now = context.now
        let userID = person.viewer.userID
        try await context.write { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("""
                INSERT INTO chats (ticket_id, customer_id, state, started_at, updated_at)
                SELECT id, \(bind: userID), 'waiting', \(bind: now), \(bind: now) FROM tickets WHERE number = \(bind: ticket.number)
                """).run()
            if let session { try await WidgetService.remember(ticket.number, sessionID: session.id, on: sql) }
        }
        started.increment()
        context.services.chats.poke()
        return dto(try await row(number: ticket.number, on: context.sql))
    }

    static func refusalError(_ refusal: ChatLimits.Refusal) -> ZayavkaError {
        switch refusal {
        case .empty: ZayavkaError.validation([FieldError("text", .required)])
        case .tooLong: ZayavkaError.validation([FieldError("text", .tooLong, String(ChatLimits.maxCharacters))])
        }
    }

    /// A message from the customer or an agent: a public comment on the chat's ticket. An agent's
    /// first message takes a waiting chat (they become its agent and the ticket's assignee).
    static func post(number: Int, text: String, context: ServiceContext) async throws -> ChatMessageDTO {
        let person = try context.person
        if let refusal = ChatLimits.check(text) { throw refusalError(refusal) }
        try await context.services.bans.refuse(person, now: context.now, context.sql, counter: BanMetrics.chat)
        let viewer = person.viewer
        _ = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        var chat = try await row(number: number, on: context.sql)
        guard chat.state != ChatState.ended.rawValue else { throw ZayavkaError.illegalTransition(from: "ended", to: "message") }
        if viewer.role.isStaff {
            if chat.state == ChatState.waiting.rawValue { _ = try await accept(number: number, context: context) }
            chat = try await row(number: number, on: context.sql)
        } else if viewer.userID != chat.customer_id {
            throw ZayavkaError.forbidden(reason: "chat")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let comment = try await ConversationService.addComment(number: number, input: CommentInput(body: trimmed, public: true, attachments: nil, status: nil),
                                                               source: .chat, context: context)
        messages.increment()
        await touch(number: number, context: context)
        return message(comment, requesterID: chat.customer_id)
    }

    /// An agent takes a waiting chat: its agent and the ticket's assignee. Taking one already taken by someone else is 409.
    static func accept(number: Int, context: ServiceContext) async throws -> ChatDTO {
        let person = try context.person
        guard person.viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "chat") }
        _ = try await TicketQueries.load(number: number, viewer: person.viewer, on: context.sql)
        let chat = try await row(number: number, on: context.sql)
        if chat.state == ChatState.ended.rawValue { throw ZayavkaError.illegalTransition(from: "ended", to: "active") }
        if chat.state == ChatState.active.rawValue {
            if chat.agent_id == person.viewer.userID { return dto(chat) }
            throw ZayavkaError.conflict(field: "agent", value: chat.agent_name ?? "")
        }
        let now = context.now
        let agentID = person.viewer.userID
        let taken = try await context.write { db -> Bool in
            let rows = try await (db as! any SQLDatabase).raw("""
                UPDATE chats SET state = 'active', agent_id = \(bind: agentID), accepted_at = \(bind: now), updated_at = \(bind: Date())
                WHERE ticket_id = \(bind: chat.ticket_id) AND state = 'waiting' RETURNING ticket_id
                """).all()
            return !rows.isEmpty
        }
        guard taken else { return try await accept(number: number, context: context) }
        var patch = TicketPatchInput()
        patch.assigneeId = .some(agentID)
        _ = try? await TicketService.update(number: number, input: patch, context: context)
        context.services.chats.poke()
        return dto(try await row(number: number, on: context.sql))
    }

    /// Ends a chat (the customer, or staff); the ticket stays, with the transcript. Ending an ended chat changes nothing.
    static func end(number: Int, context: ServiceContext) async throws -> ChatDTO {
        let person = try context.person
        _ = try await TicketQueries.load(number: number, viewer: person.viewer, on: context.sql)
        let chat = try await row(number: number, on: context.sql)
        if !person.viewer.role.isStaff, chat.customer_id != person.viewer.userID { throw ZayavkaError.forbidden(reason: "chat") }
        guard chat.state != ChatState.ended.rawValue else { return dto(chat) }
        let now = context.now
        let userID = person.viewer.userID
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE chats SET state = 'ended', ended_at = \(bind: now), ended_by = \(bind: userID), updated_at = \(bind: Date())
                WHERE ticket_id = \(bind: chat.ticket_id) AND state <> 'ended'
                """).run()
        }
        context.services.chats.poke()
        return dto(try await row(number: number, on: context.sql))
    }

    /// Moves the chat's `updated_at` (a message was written): every instance's hub picks it up.
    static func touch(number: Int, context: ServiceContext) async {
        // The moment of this write, not of the request: a message after an accept in one request must still move it.
        let now = Date()
        try? await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE chats SET updated_at = \(bind: now) WHERE ticket_id = (SELECT id FROM tickets WHERE number = \(bind: number))
                """).run()
        }
        context.services.chats.poke()
    }
}
