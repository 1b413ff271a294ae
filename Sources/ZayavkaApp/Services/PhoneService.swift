import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

// MARK: Service

/// Phone intake (SPEC C5): calls logged on tickets, callbacks at their time, and seed 002's rule for
/// a callback that does not get through.
enum PhoneService {
    static let maxNote = 4000

    private struct IDRow: Decodable { let id: Int }

    private struct TicketRow: Decodable {
        let id: Int
        let requester_id: Int
    }

    private struct CallRow: Decodable {
        let id: Int
        let direction: String
        let number: String
        let started_at: Date
        let duration_seconds: Int
        let outcome: String
        let note: String?
        let callback_id: Int?
        let agent_id: Int?
        let agent_name: String?
    }

    private struct KnownPhoneRow: Decodable {
        let field_phone: String?
        let phone: String?
    }

    private struct RuleRow: Decodable {
        let retry_minutes: Int
        let busy_retries: Int
        let message_ru: String
        let message_en: String
    }

    static func requireStaff(_ context: ServiceContext) throws -> Viewer {
        let viewer = try context.viewer
        guard viewer.role.can(.editTicketFields) else { throw ZayavkaError.forbidden(reason: "staff only") }
        return viewer
    }

    private static func normalizedNumber(_ raw: String, field: String = "number") throws -> String {
        guard let number = PhoneNumber.normalize(raw) else { throw ZayavkaError.validation([FieldError(field, .invalid)]) }
        return number
    }

    /// Logs a call on an existing ticket or on a new one registered from it.
    static func logCall(_ input: CallInput, context: ServiceContext) async throws -> CallDTO {
        let viewer = try requireStaff(context)
        var errors: [FieldError] = []
        let number = PhoneNumber.normalize(input.number)
        if number == nil { errors.append(FieldError("number", .invalid)) }
        let direction = input.direction ?? "in"
        if !["in", "out"].contains(direction) { errors.append(FieldError("direction", .unknownValue, "in, out")) }
        let duration = input.durationSeconds ?? 0
        if !(0...86_400).contains(duration) { errors.append(FieldError("duration_seconds", .invalid)) }
        if let note = input.note, note.isOver(maxNote) { errors.append(FieldError("note", .tooLong, String(maxNote))) }
        switch (input.ticketNumber, input.newTicket) {
        case (nil, nil): errors.append(FieldError("ticket_number", .required))
        case (.some, .some): errors.append(FieldError("new_ticket", .notAllowed))
        default: break
        }
        if let at = input.callbackAt, at < context.now.addingTimeInterval(-60) { errors.append(FieldError("callback_at", .invalid)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }

        let ticketNumber: Int
        if let existing = input.ticketNumber {
            _ = try await TicketQueries.load(number: existing, viewer: viewer, on: context.sql)
            ticketNumber = existing
        } else {
            let new = input.newTicket!
            var fields = new.fields ?? [:]
            fields["phone"] = fields["phone"] ?? number
            let created = try await TicketService.create(TicketCreateInput(
                subject: new.subject, body: new.body, requesterId: new.requesterId, requesterEmail: new.requesterEmail,
                requesterName: new.requesterName, channel: .phone, type: nil, priority: nil, urgency: nil, responsibility: nil, cause: nil,
                status: nil, assigneeId: nil, groupId: new.groupId, dueAt: nil, fields: fields, attachments: nil), context: context)
            ticketNumber = created.number
        }
        let call = try await insertCall(ticketNumber: ticketNumber, direction: direction, number: number!, startedAt: input.startedAt ?? context.now,
                                        duration: duration, outcome: input.outcome ?? .answered, note: input.note, callbackID: nil,
                                        viewer: viewer, context: context)
        if let at = input.callbackAt {
            _ = try await scheduleCallback(number: ticketNumber, CallbackInput(dueAt: at, number: number, note: nil, assigneeId: viewer.userID),
                                           context: context)
        }
        return call
    }

    private static func insertCall(ticketNumber: Int, direction: String, number: String, startedAt: Date, duration: Int, outcome: CallOutcome,
                                   note: String?, callbackID: Int?, viewer: Viewer, context: ServiceContext) async throws -> CallDTO {
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let id = try await context.write { db in
            let sql = db as! any SQLDatabase
            guard let ticket = try await sql.raw("SELECT id, requester_id FROM tickets WHERE number = \(bind: ticketNumber)").first(decoding: TicketRow.self) else {
                throw ZayavkaError.notFound(entity: "ticket", id: String(ticketNumber))
            }
            let ticketID = ticket.id
            let row = try await sql.raw("""
                INSERT INTO calls (ticket_id, agent_id, customer_id, direction, number, started_at, duration_seconds, outcome, note, callback_id, created_at)
                VALUES (\(bind: ticketID), \(bind: viewer.userID), \(bind: ticket.requester_id), \(bind: direction),
                        \(bind: number), \(bind: startedAt), \(bind: duration), \(bind: outcome.rawValue), \(bind: note), \(bind: callbackID), \(bind: context.now))
                RETURNING id
                """).first(decoding: IDRow.self)!
            try await History.record([NewEvent(ticketID: ticketID, actorID: viewer.userID, kind: .callLogged, field: direction,
                                               after: outcome.rawValue, isPublic: false, at: context.now, reason: number)], on: sql)
            try await sql.raw("UPDATE tickets SET updated_at = \(bind: context.now) WHERE id = \(bind: ticketID)").run()
            return row.id
        }
        return CallDTO(id: id, ticketNumber: ticketNumber, direction: direction, number: number, startedAt: startedAt, durationSeconds: duration,
                       outcome: outcome, note: note, agent: try context.person.person, callbackId: callbackID)
    }

    static func calls(number: Int, context: ServiceContext) async throws -> [CallDTO] {
        let viewer = try requireStaff(context)
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        return try await context.sql.raw("""
            SELECT c.id, c.direction, c.number, c.started_at, c.duration_seconds, c.outcome, c.note, c.callback_id, c.agent_id, u.name AS agent_name
            FROM calls c LEFT JOIN users u ON u.id = c.agent_id WHERE c.ticket_id = \(bind: ticket.id) ORDER BY c.started_at DESC, c.id DESC
            """).all(decoding: CallRow.self).map { row in
            CallDTO(id: row.id, ticketNumber: number, direction: row.direction, number: row.number, startedAt: row.started_at,
                    durationSeconds: row.duration_seconds, outcome: CallOutcome(rawValue: row.outcome) ?? .answered, note: row.note,
                    agent: row.agent_id.map { PersonRef(id: $0, name: row.agent_name ?? "—") }, callbackId: row.callback_id)
        }
    }

    // MARK: Callbacks

    private static let callbackSelect: SQLQueryString = """
        SELECT cb.id, cb.number, cb.due_at, cb.assignee_id, cb.busy_count, cb.state, cb.note, cb.created_at, t.number AS ticket_number, t.subject,
               u.name AS assignee_name
        FROM callbacks cb JOIN tickets t ON t.id = cb.ticket_id LEFT JOIN users u ON u.id = cb.assignee_id
        """

    /// A callback as `callbackSelect` returns it.
    private struct CallbackRow: Decodable {
        let id: Int
        let number: String
        let due_at: Date
        let assignee_id: Int?
        let busy_count: Int
        let state: String
        let note: String?
        let created_at: Date
        let ticket_number: Int
        let subject: String
        let assignee_name: String?

        var dto: CallbackDTO {
            CallbackDTO(id: id, ticketNumber: ticket_number, subject: subject, number: number, dueAt: due_at,
                        assignee: assignee_id.map { PersonRef(id: $0, name: assignee_name ?? "—") }, busyCount: busy_count, state: state,
                        note: note, createdAt: created_at)
        }
    }

    static func callback(id: Int, on sql: any SQLDatabase) async throws -> CallbackDTO {
        guard let row = try await sql.raw(callbackSelect + " WHERE cb.id = \(bind: id)").first(decoding: CallbackRow.self) else {
            throw ZayavkaError.notFound(entity: "callback", id: String(id))
        }
        return row.dto
    }

    /// The callback queue: pending callbacks, soonest first. `due` keeps those whose time has come;
    /// `assigneeID` those of one agent (with the unassigned ones).
    static func callbacks(due: Bool, assigneeID: Int?, ticketNumber: Int?, limit: Int = 200, context: ServiceContext) async throws -> [CallbackDTO] {
        _ = try requireStaff(context)
        var query = callbackSelect + " WHERE cb.state = 'pending'"
        if due { query = query + " AND cb.due_at <= \(bind: context.now)" }
        if let assigneeID { query = query + " AND (cb.assignee_id = \(bind: assigneeID) OR cb.assignee_id IS NULL)" }
        if let ticketNumber { query = query + " AND t.number = \(bind: ticketNumber)" }
        return try await context.sql.raw(query + " ORDER BY cb.due_at, cb.id LIMIT \(unsafeRaw: String(limit))").all(decoding: CallbackRow.self).map(\.dto)
    }

    static func scheduleCallback(number: Int, _ input: CallbackInput, busyCount: Int = 0, context: ServiceContext) async throws -> CallbackDTO {
        let viewer = try requireStaff(context)
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        var errors: [FieldError] = []
        var phone: String?
        if let raw = input.number {
            phone = PhoneNumber.normalize(raw)
            if phone == nil { errors.append(FieldError("number", .invalid)) }
        } else {
            // The ticket's phone, else the customer's.
            let known = try await context.sql.raw("""
                SELECT (SELECT value FROM ticket_field_values WHERE ticket_id = \(bind: ticket.id) AND key = 'phone') AS field_phone, u.phone
                FROM users u WHERE u.id = \(bind: ticket.requesterID)
                """).first(decoding: KnownPhoneRow.self)
            phone = known?.field_phone.flatMap { PhoneNumber.normalize($0) } ?? known?.phone.flatMap { PhoneNumber.normalize($0) }
            if phone == nil { errors.append(FieldError("number", .required)) }
        }
        if input.dueAt < context.now.addingTimeInterval(-60), busyCount == 0 { errors.append(FieldError("due_at", .invalid)) }
        if let note = input.note, note.isOver(maxNote) { errors.append(FieldError("note", .tooLong, String(maxNote))) }
        if let assignee = input.assigneeId {
            do { try await TicketService.checkAssignment(assigneeID: assignee, groupID: nil, on: context.sql) }
            catch ZayavkaError.validation(let more) { errors += more }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let assignee = input.assigneeId ?? ticket.facts.assignee?.id ?? viewer.userID
        let number = phone!
        let id = try await context.write { db in
            let sql = db as! any SQLDatabase
            let row = try await sql.raw("""
                INSERT INTO callbacks (ticket_id, number, due_at, assignee_id, busy_count, state, note, created_by_id, created_at)
                VALUES (\(bind: ticket.id), \(bind: number), \(bind: input.dueAt), \(bind: assignee), \(bind: busyCount), 'pending',
                        \(bind: input.note?.nilIfEmpty), \(bind: viewer.userID), \(bind: context.now))
                RETURNING id
                """).first(decoding: IDRow.self)!
            try await History.record([NewEvent(ticketID: ticket.id, actorID: viewer.userID, kind: .callbackScheduled, field: "callback",
                                               after: input.dueAt.formatted(.iso8601), isPublic: false, at: context.now, reason: number)], on: sql)
            return row.id
        }
        return try await callback(id: id, on: context.sql)
    }

    static func cancelCallback(id: Int, context: ServiceContext) async throws -> CallbackDTO {
        _ = try requireStaff(context)
        let existing = try await callback(id: id, on: context.sql)
        guard existing.state == "pending" else { throw ZayavkaError.conflict(field: "state", value: existing.state) }
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("UPDATE callbacks SET state = 'cancelled', done_at = \(bind: context.now) WHERE id = \(bind: id)").run()
        }
        return try await callback(id: id, on: context.sql)
    }

    /// One try at a callback. The outcome goes through the team's callback rule (seed 002: busy →
    /// again in 15 minutes; busy again, no answer or switched off → the customer is told in the ticket).
    static func attempt(id: Int, _ input: CallbackAttemptInput, context: ServiceContext) async throws -> CallbackAttemptDTO {
        let viewer = try requireStaff(context)
        let sql = context.sql
        let callback = try await callback(id: id, on: sql)
        guard callback.state == "pending" else { throw ZayavkaError.conflict(field: "state", value: callback.state) }
        if let note = input.note, note.isOver(maxNote) { throw ZayavkaError.validation([FieldError("note", .tooLong, String(maxNote))]) }
        let duration = input.durationSeconds ?? 0
        guard (0...86_400).contains(duration) else { throw ZayavkaError.validation([FieldError("duration_seconds", .invalid)]) }
        let now = context.now
        // Claim it first, so two agents (or a double click) cannot both act on it.
        let claimed = try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE callbacks SET state = 'attempted', done_at = \(bind: now) WHERE id = \(bind: id) AND state = 'pending' RETURNING id
                """).first() != nil
        }
        guard claimed else { throw ZayavkaError.conflict(field: "state", value: "attempted") }
        let call = try await insertCall(ticketNumber: callback.ticketNumber, direction: "out", number: callback.number, startedAt: now,
                                        duration: duration, outcome: input.outcome, note: input.note, callbackID: id, viewer: viewer, context: context)
        let rule = try await callbackRule(on: sql)
        let busyBefore = callback.busyCount
        var next = "done"
        var retry: CallbackDTO?
        var commentID: Int?
        switch rule.rule.next(after: input.outcome, busyBefore: busyBefore, at: now) {
        case .done:
            try await setState(id, "done", context: context)
        case .retry(let at):
            try await setState(id, "retried", context: context)
            retry = try await scheduleCallback(number: callback.ticketNumber,
                                               CallbackInput(dueAt: at, number: callback.number, note: callback.note, assigneeId: callback.assignee?.id),
                                               busyCount: busyBefore + 1, context: context)
            next = "retry"
        case .tellCustomer:
            try await setState(id, "customer_told", context: context)
            let english = try await sql.raw("""
                SELECT u.locale FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.number = \(bind: callback.ticketNumber)
                """).first()?.decode(column: "locale", as: String.self) == Language.en.rawValue
            commentID = try await ConversationService.insertComment(
                number: callback.ticketNumber,
                input: CommentInput(body: english ? rule.messageEn : rule.messageRu, public: true, attachments: nil, status: nil),
                source: .phone, context: context)
            next = "customer_told"
        }
        return CallbackAttemptDTO(call: call, next: next, callback: try await self.callback(id: id, on: sql), retry: retry, commentId: commentID)
    }

    private static func setState(_ id: Int, _ state: String, context: ServiceContext) async throws {
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("UPDATE callbacks SET state = \(bind: state) WHERE id = \(bind: id)").run()
        }
    }

    // MARK: The rule

    static func callbackRule(on sql: any SQLDatabase) async throws -> CallbackRuleDTO {
        guard let row = try await sql.raw("SELECT retry_minutes, busy_retries, message_ru, message_en FROM callback_rule WHERE id = 1")
            .first(decoding: RuleRow.self) else {
            let seed = CallbackRule.seed002
            return CallbackRuleDTO(retryMinutes: seed.retryMinutes, busyRetries: seed.busyRetries, messageRu: seed.messageRu, messageEn: seed.messageEn)
        }
        return CallbackRuleDTO(retryMinutes: row.retry_minutes, busyRetries: row.busy_retries, messageRu: row.message_ru, messageEn: row.message_en)
    }

    static func saveCallbackRule(_ input: CallbackRuleInput, context: ServiceContext) async throws -> CallbackRuleDTO {
        try context.require(.manageConfiguration)
        var rule = try await callbackRule(on: context.sql)
        var errors: [FieldError] = []
        if let minutes = input.retryMinutes {
            if (1...1440).contains(minutes) { rule.retryMinutes = minutes } else { errors.append(FieldError("retry_minutes", .invalid, "1…1440")) }
        }
        if let retries = input.busyRetries {
            if (0...10).contains(retries) { rule.busyRetries = retries } else { errors.append(FieldError("busy_retries", .invalid, "0…10")) }
        }
        for (field, value) in [("message_ru", input.messageRu), ("message_en", input.messageEn)] {
            guard let value else { continue }
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { errors.append(FieldError(field, .required)) }
            if trimmed.isOver(2000) { errors.append(FieldError(field, .tooLong, "2000")) }
            if field == "message_ru" { rule.messageRu = trimmed } else { rule.messageEn = trimmed }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let saved = rule
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE callback_rule SET retry_minutes = \(bind: saved.retryMinutes), busy_retries = \(bind: saved.busyRetries),
                       message_ru = \(bind: saved.messageRu), message_en = \(bind: saved.messageEn) WHERE id = 1
                """).run()
        }
        return saved
    }
}
