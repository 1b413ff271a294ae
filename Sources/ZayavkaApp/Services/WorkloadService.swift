import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Each specialist's planned work (SPEC S4): slots in their working hours, the earliest free one
/// proposed after their existing load, and its end promised to the customer (seed 000).
enum WorkloadService {
    static let maxMinutes = 60 * 24 * 20

    private struct UserRow: Decodable {
        let id: Int
        let name: String
        let role: String
        let is_active: Bool
        let calendar_id: Int?
    }

    private struct BusyRow: Decodable {
        let starts_at: Date
        let ends_at: Date
        let number: Int?
    }

    private struct IDRow: Decodable { let id: Int }

    private struct SlotRow: Decodable {
        let id: Int
        let starts_at: Date
        let ends_at: Date
        let minutes: Int
        let note: String?
        let number: Int?
        let subject: String?
    }

    private struct TaskRow: Decodable {
        let number: Int
        let subject: String
        let due_at: Date
        let status: String
    }

    struct Specialist {
        let person: PersonRef
        let calendarKey: String
        let calendar: BusinessCalendar
    }

    /// An active staff member and the calendar they work on (their own, else the default one).
    static func specialist(_ id: Int, context: ServiceContext) async throws -> Specialist {
        let sql = context.sql
        guard let row = try await sql.raw("SELECT id, name, role, is_active, calendar_id FROM users WHERE id = \(bind: id)").first(decoding: UserRow.self),
              (Role(rawValue: row.role) ?? .customer).isStaff, row.is_active else {
            throw ZayavkaError.validation([FieldError("user_id", .unknownValue)])
        }
        let setup = try await context.services.sla.setup(sql)
        var calendarID = row.calendar_id
        if calendarID == nil || setup.calendars[calendarID!] == nil { calendarID = try await CalendarStore.id(on: sql) }
        guard let calendarID, let calendar = setup.calendars[calendarID] else { throw ZayavkaError.notFound(entity: "calendar", id: "default") }
        let key = try await sql.raw("SELECT key FROM business_calendars WHERE id = \(bind: calendarID)").first()?.decode(column: "key", as: String.self) ?? ""
        return Specialist(person: PersonRef(id: id, name: row.name), calendarKey: key, calendar: calendar)
    }

    static func busy(userID: Int, after instant: Date, on sql: any SQLDatabase) async throws -> [WorkSlot] {
        try await sql.raw("""
            SELECT s.starts_at, s.ends_at, t.number FROM work_slots s LEFT JOIN tickets t ON t.id = s.ticket_id
            WHERE s.user_id = \(bind: userID) AND s.ends_at > \(bind: instant) ORDER BY s.starts_at
            """).all(decoding: BusyRow.self).map { WorkSlot(start: $0.starts_at, end: $0.ends_at, ticketNumber: $0.number) }
    }

    private static func check(minutes: Int?) throws -> Int {
        guard let minutes, minutes > 0, minutes <= maxMinutes else {
            throw ZayavkaError.validation([FieldError("minutes", .invalid, "1…\(maxMinutes)")])
        }
        return minutes
    }

    /// Who the work is planned for: the one asked for, else the ticket's assignee, else the viewer.
    private static func target(_ userID: Int?, ticket: TicketQueries.Row, context: ServiceContext) async throws -> Specialist {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        return try await specialist(userID ?? ticket.facts.assignee?.id ?? viewer.userID, context: context)
    }

    /// The earliest slot the work would take, without booking it.
    static func propose(number: Int, minutes: Int?, userID: Int?, notBefore: Date?, context: ServiceContext) async throws -> PlanDTO {
        let ticket = try await TicketQueries.load(number: number, viewer: try context.viewer, on: context.sql)
        let minutes = try check(minutes: minutes)
        let who = try await target(userID, ticket: ticket, context: context)
        let start = max(notBefore ?? context.now, context.now)
        let busy = try await busy(userID: who.person.id, after: start, on: context.sql)
        guard let slot = WorkloadPlanner.earliestSlot(minutes: minutes, notBefore: start, calendar: who.calendar, busy: busy) else {
            throw ZayavkaError.validation([FieldError("minutes", .invalid)])
        }
        return PlanDTO(user: who.person, startsAt: slot.start, endsAt: slot.end, minutes: minutes, slotId: nil, commentId: nil)
    }

    /// Books the earliest slot (computed again under a lock on the specialist, so two plans never
    /// overlap), records it in the history, and tells the customer the date as a promise.
    static func plan(number: Int, input: PlanInput, context: ServiceContext) async throws -> PlanDTO {
        let viewer = try context.viewer
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        let minutes = try check(minutes: input.minutes)
        if let note = input.note, note.isOver(500) { throw ZayavkaError.validation([FieldError("note", .tooLong, "500")]) }
        let who = try await target(input.userId, ticket: ticket, context: context)
        let notBefore = input.notBefore
        let slot = try await context.write { db in
            let sql = db as! any SQLDatabase
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT id FROM users WHERE id = \(bind: who.person.id) FOR UPDATE").run()
            }
            let now = context.now
            let start = max(notBefore ?? now, now)
            let busy = try await busy(userID: who.person.id, after: start, on: sql)
            guard let slot = WorkloadPlanner.earliestSlot(minutes: minutes, notBefore: start, calendar: who.calendar, busy: busy) else {
                throw ZayavkaError.validation([FieldError("minutes", .invalid)])
            }
            let id = try await sql.raw("""
                INSERT INTO work_slots (user_id, ticket_id, starts_at, ends_at, minutes, note, created_by, created_at)
                VALUES (\(bind: who.person.id), \(bind: ticket.id), \(bind: slot.start), \(bind: slot.end), \(bind: minutes),
                        \(bind: input.note), \(bind: viewer.userID), \(bind: now))
                RETURNING id
                """).first(decoding: IDRow.self)!.id
            try await History.record([NewEvent(ticketID: ticket.id, actorID: viewer.userID, kind: .workPlanned, field: "work_slot",
                                               after: String(who.person.id), isPublic: false, at: now,
                                               reason: slot.start.formatted(.iso8601) + "/" + slot.end.formatted(.iso8601))], on: sql)
            return (id, slot)
        }
        var commentID: Int?
        if input.tellCustomer ?? true {
            let locale = try await context.sql.raw("""
                SELECT u.locale FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.number = \(bind: number)
                """).first()?.decode(column: "locale", as: String.self)
            let body = locale == Language.en.rawValue
                ? "We have planned the work on your context."
                : "Мы запланировали работу по вашей заявке."
            commentID = try await ConversationService.insertComment(
                number: number, input: CommentInput(body: body, public: true, attachments: nil, status: nil, answer: "promise",
                                                    promisedAt: slot.1.end), source: .web, context: context)
        }
        return PlanDTO(user: who.person, startsAt: slot.1.start, endsAt: slot.1.end, minutes: minutes, slotId: slot.0, commentId: commentID)
    }

    static func deleteSlot(id: Int, context: ServiceContext) async throws {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        let deleted = try await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM work_slots WHERE id = \(bind: id) RETURNING id").first() != nil
        }
        if !deleted { throw ZayavkaError.notFound(entity: "work_slot", id: String(id)) }
    }

    /// Planned slots and dated tasks per specialist in [from, to): one person, a group's members, or all staff.
    static func workload(userID: Int?, groupID: Int?, from: Date, to: Date, context: ServiceContext) async throws -> WorkloadDTO {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        guard to > from, to.timeIntervalSince(from) <= 62 * 86400 else {
            throw ZayavkaError.validation([FieldError("to", .invalid, "from < to ≤ from + 62 days")])
        }
        let sql = context.sql
        var people: [Int] = []
        if let userID {
            people = [userID]
        } else if let groupID {
            guard try await sql.raw("SELECT id FROM support_groups WHERE id = \(bind: groupID)").first() != nil else {
                throw ZayavkaError.notFound(entity: "group", id: String(groupID))
            }
            people = try await sql.raw("""
                SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id
                WHERE m.group_id = \(bind: groupID) AND u.is_active = \(bind: true) ORDER BY u.name
                """).all(decoding: IDRow.self).map(\.id)
        } else {
            people = try await sql.raw("""
                SELECT id FROM users WHERE role <> 'customer' AND is_active = \(bind: true) ORDER BY name LIMIT 200
                """).all(decoding: IDRow.self).map(\.id)
        }
        var result: [PersonWorkloadDTO] = []
        for id in people {
            let who = try await specialist(id, context: context)
            let slots = try await sql.raw("""
                SELECT s.id, s.starts_at, s.ends_at, s.minutes, s.note, t.number, t.subject FROM work_slots s
                LEFT JOIN tickets t ON t.id = s.ticket_id
                WHERE s.user_id = \(bind: id) AND s.ends_at > \(bind: from) AND s.starts_at < \(bind: to) ORDER BY s.starts_at
                """).all(decoding: SlotRow.self).map { row in
                WorkSlotDTO(id: row.id, user: who.person, ticketNumber: row.number, subject: row.subject, startsAt: row.starts_at,
                            endsAt: row.ends_at, minutes: row.minutes, note: row.note)
            }
            let tasks = try await sql.raw("""
                SELECT number, subject, due_at, status FROM tickets
                WHERE assignee_id = \(bind: id) AND type = 'task' AND due_at >= \(bind: from) AND due_at < \(bind: to)
                  AND closed_at IS NULL AND solved_at IS NULL
                ORDER BY due_at
                """).all(decoding: TaskRow.self).map { WorkTaskDTO(number: $0.number, subject: $0.subject, dueAt: $0.due_at, status: $0.status) }
            // Planned working time inside the period (a slot spans nights and weekends that are not work).
            let planned = slots.reduce(0) { total, slot in
                total + who.calendar.workingMinutes(from: max(slot.startsAt, from), to: min(slot.endsAt, to))
            }
            result.append(PersonWorkloadDTO(user: who.person, calendar: who.calendarKey,
                                            workingMinutes: who.calendar.workingMinutes(from: from, to: to), plannedMinutes: planned,
                                            slots: slots, tasks: tasks))
        }
        return WorkloadDTO(from: from, to: to, people: result)
    }

    /// The Monday 00:00 (Moscow time) of the week holding `instant`, and the Monday after.
    static func week(of instant: Date) -> (Date, Date) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = .moscow
        guard let start = calendar.dateInterval(of: .weekOfYear, for: instant)?.start,
              let end = calendar.date(byAdding: .day, value: 7, to: start) else { return (instant, instant.addingTimeInterval(7 * 86_400)) }
        return (start, end)
    }
}
