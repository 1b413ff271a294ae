import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Known problems (SPEC P1, P2; seeds 001 and 003): a numbered backlog of bugs, wishes and
/// outages. A ticket links to at most one problem; the requesters of linked tickets are the
/// problem's interested parties, once each. A public update (a new status, an estimate, a note)
/// reaches every party by one mail and is posted on every linked open ticket (`ProblemBroadcast`).
enum ProblemService {
    struct Row: Decodable {
        let id: Int
        let number: Int
        let kind: String
        let title: String
        let description: String
        let public_summary: String
        let status: String
        let target_version: String?
        let target_date: String?
        let fixed_version: String?
        let reason: String?
        let group_id: Int?
        let group_name: String?
        let owner_id: Int?
        let owner_name: String?
        let tracker_url: String?
        let failure_kind: String?
        let incident_active: Bool
        let estimate: String?
        let created_at: Date
        let updated_at: Date
        let tickets: Int
        let organizations: Int
        let paid_organizations: Int
        let last_30_days: Int

        var statusValue: ProblemStatus { ProblemStatus(rawValue: status) ?? .new }
        var code: String { ProblemNumber.format(number) }

        func dto(staff: Bool, _ language: Language) -> ProblemDTO {
            ProblemDTO(number: number, code: code, kind: ProblemKind(rawValue: kind) ?? .bug, title: title, publicSummary: public_summary,
                       status: statusValue, statusName: statusValue.name(language), targetVersion: target_version, targetDate: target_date,
                       fixedVersion: fixed_version, reason: reason, estimate: estimate, incidentActive: incident_active, updatedAt: updated_at,
                       description: staff ? description : nil,
                       group: staff ? group_id.map { PersonRef(id: $0, name: group_name ?? "") } : nil,
                       owner: staff ? owner_id.map { PersonRef(id: $0, name: owner_name ?? "") } : nil,
                       trackerUrl: staff ? tracker_url : nil, failureKind: staff ? failure_kind : nil,
                       popularity: staff ? ProblemPopularity(tickets: tickets, organizations: organizations, paidOrganizations: paid_organizations,
                                                             lastThirtyDays: last_30_days) : nil,
                       createdAt: staff ? created_at : nil)
        }
    }

    /// Problems with their popularity: linked tickets, distinct organizations, paid ones, and
    /// tickets of the last 30 days before `now`.
    static func select(now: Date) -> SQLQueryString {
        let cutoff = now.addingTimeInterval(-30 * 86_400)
        return """
            SELECT p.id, p.number, p.kind, p.title, p.description, p.public_summary, p.status, p.target_version, p.target_date,
                   p.fixed_version, p.reason, p.group_id, g.name AS group_name, p.owner_id, w.name AS owner_name, p.tracker_url,
                   p.failure_kind, p.incident_active, p.estimate, p.created_at, p.updated_at,
                   (SELECT COUNT(*) FROM tickets t WHERE t.problem_id = p.id) AS tickets,
                   (SELECT COUNT(DISTINCT t.organization_id) FROM tickets t WHERE t.problem_id = p.id) AS organizations,
                   (SELECT COUNT(DISTINCT t.organization_id) FROM tickets t JOIN organizations o ON o.id = t.organization_id
                    WHERE t.problem_id = p.id AND o.plan = 'paid') AS paid_organizations,
                   (SELECT COUNT(*) FROM tickets t WHERE t.problem_id = p.id AND t.created_at >= \(bind: cutoff)) AS last_30_days
            FROM problems p
            LEFT JOIN support_groups g ON g.id = p.group_id
            LEFT JOIN users w ON w.id = p.owner_id
            """
    }

    static func load(number: Int, context: ServiceContext) async throws -> Row {
        guard let row = try await context.sql.raw(select(now: context.now) + " WHERE p.number = \(bind: number)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "problem", id: ProblemNumber.format(number))
        }
        return row
    }

    /// Whether the viewer may see the problem: staff always; a customer when a ticket they may see is linked to it.
    static func visible(_ row: Row, context: ServiceContext) async throws -> Bool {
        let viewer = try context.viewer
        if viewer.role.can(.readAllTickets) { return true }
        var condition: SQLQueryString = "t.requester_id = \(bind: viewer.userID)"
        if viewer.seesOrganizationTickets, let org = viewer.organizationID { condition = "(" + condition + " OR t.organization_id = \(bind: org))" }
        return try await context.sql.raw("SELECT t.id FROM tickets t WHERE t.problem_id = \(bind: row.id) AND " + condition + " LIMIT 1").first() != nil
    }

    // MARK: Reading

    static func get(number: Int, context: ServiceContext) async throws -> ProblemDTO {
        let viewer = try context.viewer
        let row = try await load(number: number, context: context)
        guard try await visible(row, context: context) else { throw ZayavkaError.notFound(entity: "problem", id: row.code) }
        return row.dto(staff: viewer.role.can(.readAllTickets), context.language)
    }

    /// Which problems a list shows and in what order.
    struct Filter: Sendable {
        var status: [ProblemStatus] = []
        var kind: ProblemKind?
        /// Words of the title or the number ("P-101", "101").
        var query: String?
        var sort: ProblemPopularity.SortKey?
        var limit: Int?
    }

    /// The backlog (staff): by popularity (SPEC P2) or newest first.
    static func list(_ filter: Filter, context: ServiceContext) async throws -> ListOf<ProblemDTO> {
        try context.require(.readAllTickets)
        var conditions: [SQLQueryString] = []
        if !filter.status.isEmpty { conditions.append("p.status IN (\(binds: filter.status.map(\.rawValue)))") }
        if let kind = filter.kind { conditions.append("p.kind = \(bind: kind.rawValue)") }
        var matches: [SQLQueryString] = []
        if let query = filter.query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            if let number = ProblemNumber.parse(query) {
                conditions.append("p.number = \(bind: number)")
            } else {
                // Any of the words' stems in the title; the titles with most of them come first.
                matches = searchStems(query).map { "p.title_folded LIKE \(bind: "%" + $0 + "%")" }
                if matches.isEmpty { return ListOf(items: [], nextCursor: nil) }
                conditions.append("(" + matches.joined(separator: " OR ") + ")")
            }
        }
        var statement = select(now: context.now)
        if !conditions.isEmpty { statement += " WHERE " + conditions.joined(separator: " AND ") }
        let order: [String]
        switch filter.sort {
        case .tickets?: order = ["tickets", "organizations", "paid_organizations", "last_30_days"]
        case .organizations?: order = ["organizations", "tickets", "paid_organizations", "last_30_days"]
        case .paidOrganizations?: order = ["paid_organizations", "tickets", "organizations", "last_30_days"]
        case .lastThirtyDays?: order = ["last_30_days", "tickets", "organizations", "paid_organizations"]
        case nil: order = []
        }
        statement += " ORDER BY "
        if !matches.isEmpty { statement += "(" + matches.map { "CASE WHEN " + $0 + " THEN 1 ELSE 0 END" }.joined(separator: " + ") + ") DESC, " }
        statement += order.map { name -> SQLQueryString in "\(unsafeRaw: name) DESC, " }.joined(separator: "") + "p.number DESC"
        statement += " LIMIT \(bind: min(max(filter.limit ?? 50, 1), 500))"
        let rows = try await context.sql.raw(statement).all(decoding: Row.self)
        return ListOf(items: rows.map { $0.dto(staff: true, context.language) }, nextCursor: nil)
    }

    /// Crude Russian stems for finding a problem by a ticket's subject until full-text search lands:
    /// words of three letters or more (up to eight), long ones cut to their first four or five letters
    /// («кассе» → «касс», «печатается» → «печат»). Lower-case, ё read as е, letters and digits only.
    static func searchStems(_ text: String) -> [String] {
        var seen: Set<String> = []
        return RuleText.words(text).compactMap { word -> String? in
            guard word.count >= 3 else { return nil }
            let stem = word.count < 5 ? word : String(word.prefix(word.count <= 6 ? 4 : 5))
            return seen.insert(stem).inserted ? stem : nil
        }.prefix(8).map { $0 }
    }

    /// The problems linked to the viewer's tickets that are still being worked on ("known problems that affect me").
    static func mine(context: ServiceContext) async throws -> ListOf<ProblemDTO> {
        let viewer = try context.viewer
        var condition: SQLQueryString = "t.requester_id = \(bind: viewer.userID)"
        if viewer.seesOrganizationTickets, let org = viewer.organizationID { condition = "(" + condition + " OR t.organization_id = \(bind: org))" }
        let rows = try await context.sql.raw(select(now: context.now) + """
             WHERE p.id IN (SELECT t.problem_id FROM tickets t WHERE t.problem_id IS NOT NULL AND
            """ + " " + condition + ") ORDER BY p.updated_at DESC, p.number DESC LIMIT 100").all(decoding: Row.self)
        return ListOf(items: rows.map { $0.dto(staff: viewer.role.can(.readAllTickets), context.language) }, nextCursor: nil)
    }

    /// The problem a ticket is linked to, as the viewer may see it; nil when none.
    static func ofTicket(number: Int, context: ServiceContext) async throws -> ProblemDTO? {
        let viewer = try context.viewer
        _ = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        guard let row = try await context.sql.raw(select(now: context.now) + """
             WHERE p.id = (SELECT problem_id FROM tickets WHERE number = \(bind: number))
            """).first(decoding: Row.self) else { return nil }
        return row.dto(staff: viewer.role.can(.readAllTickets), context.language)
    }

    private struct TicketRow: Decodable {
        let number: Int
        let subject: String
        let status: String
        let requester_id: Int
        let requester_name: String
        let organization_id: Int?
        let organization_name: String?
        let created_at: Date
    }

    /// The linked tickets (staff), newest first.
    static func tickets(number: Int, context: ServiceContext) async throws -> ListOf<ProblemTicketDTO> {
        try context.require(.readAllTickets)
        let problem = try await load(number: number, context: context)
        let rows = try await context.sql.raw("""
            SELECT t.number, t.subject, t.status, t.requester_id, r.name AS requester_name, t.organization_id, o.name AS organization_name, t.created_at
            FROM tickets t JOIN users r ON r.id = t.requester_id LEFT JOIN organizations o ON o.id = t.organization_id
            WHERE t.problem_id = \(bind: problem.id) ORDER BY t.number DESC LIMIT 1000
            """).all(decoding: TicketRow.self)
        return ListOf(items: rows.map { row in
            ProblemTicketDTO(number: row.number, subject: row.subject, status: row.status,
                             requester: PersonRef(id: row.requester_id, name: row.requester_name),
                             organization: row.organization_id.map { PersonRef(id: $0, name: row.organization_name ?? "") }, createdAt: row.created_at)
        }, nextCursor: nil)
    }

    private struct EventRow: Decodable {
        let id: Int
        let kind: String
        let field: String?
        let before: String?
        let after: String?
        let actor_id: Int?
        let actor_name: String?
        let is_public: Bool
        let created_at: Date
    }

    /// The problem's history (staff).
    static func events(number: Int, context: ServiceContext) async throws -> ListOf<ProblemEventDTO> {
        try context.require(.readAllTickets)
        let problem = try await load(number: number, context: context)
        let rows = try await context.sql.raw("""
            SELECT e.id, e.kind, e.field, e.before, e.after, e.actor_id, u.name AS actor_name, e.is_public, e.created_at
            FROM problem_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.problem_id = \(bind: problem.id) ORDER BY e.id
            """).all(decoding: EventRow.self)
        return ListOf(items: rows.map { row in
            ProblemEventDTO(id: row.id, kind: row.kind, field: row.field, before: row.before, after: row.after,
                            actor: row.actor_id.map { PersonRef(id: $0, name: row.actor_name ?? "") }, isPublic: row.is_public, createdAt: row.created_at)
        }, nextCursor: nil)
    }

    // MARK: Writing

    /// Checks the text fields a create or a change sets; returns the problems.
    private static func check(title: String?, description: String?, summary: String?, trackerURL: String?) -> [FieldError] {
        var errors: [FieldError] = []
        if let title {
            if title.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("title", .required)) }
            if let error = TextInput.check(title, field: "title", maxCharacters: FieldLimits.shortText, multiline: false) { errors.append(error) }
        }
        if let description, let error = TextInput.check(description, field: "description", maxCharacters: FieldLimits.longText) { errors.append(error) }
        if let summary, let error = TextInput.check(summary, field: "public_summary", maxCharacters: FieldLimits.note) { errors.append(error) }
        if let trackerURL, !trackerURL.isEmpty {
            let lower = trackerURL.lowercased()
            if !(lower.hasPrefix("https://") || lower.hasPrefix("http://")) || trackerURL.count > 500 || trackerURL.contains(where: \.isWhitespace) {
                errors.append(FieldError("tracker_url", .invalid, "http(s)://…"))
            }
        }
        return errors
    }

    /// The group and the owner a problem may have: an existing group, an active staff member.
    private static func checkOwner(groupID: Int?, ownerID: Int?, on sql: any SQLDatabase) async throws -> [FieldError] {
        var errors: [FieldError] = []
        if let groupID, try await sql.raw("SELECT id FROM support_groups WHERE id = \(bind: groupID)").first() == nil {
            errors.append(FieldError("group_id", .unknownValue))
        }
        if let ownerID {
            let role = try await sql.raw("SELECT role FROM users WHERE id = \(bind: ownerID) AND is_active = \(bind: true)").first()?
                .decode(column: "role", as: String.self)
            if !(role.flatMap(Role.init(rawValue:))?.isStaff ?? false) { errors.append(FieldError("owner_id", .unknownValue)) }
        }
        return errors
    }

    static func reserveNumber(on sql: any SQLDatabase) async throws -> Int {
        if sql.dialect.name == "postgresql" {
            return try await sql.raw("SELECT nextval('problem_number_seq') AS value").first()!.decode(column: "value", as: Int.self)
        }
        return try await sql.raw("UPDATE counters SET value = value + 1 WHERE name = 'problem_number' RETURNING value").first()!
            .decode(column: "value", as: Int.self)
    }

    /// Registers a problem (staff). With `ticket_number` the ticket is linked in the same step.
    static func create(_ input: ProblemInput, context: ServiceContext) async throws -> ProblemDTO {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        var errors = check(title: input.title ?? "", description: input.description, summary: input.publicSummary, trackerURL: input.trackerUrl)
        errors += try await checkOwner(groupID: input.groupId, ownerID: input.ownerId, on: context.sql)
        var plan: LinkPlan?
        if let number = input.ticketNumber {
            do { plan = try await linkPlan(ticketNumber: number, context: context) } catch ZayavkaError.notFound {
                errors.append(FieldError("ticket_number", .unknownValue))
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let title = (input.title ?? "").trimmingCharacters(in: .whitespaces)
        let kind = input.kind ?? .bug
        let now = context.now
        let planned = plan
        let number = try await context.write { db in
            let sql = db as! any SQLDatabase
            let number = try await reserveNumber(on: sql)
            let id = try await sql.raw("""
                INSERT INTO problems (number, kind, title, title_folded, description, public_summary, status, group_id, owner_id, tracker_url,
                                      incident_active, created_by_id, created_at, updated_at)
                VALUES (\(bind: number), \(bind: kind.rawValue), \(bind: title), \(bind: TextFolding.fold(title)), \(bind: input.description ?? ""),
                        \(bind: input.publicSummary ?? ""), \(bind: ProblemStatus.new.rawValue), \(bind: input.groupId), \(bind: input.ownerId),
                        \(bind: input.trackerUrl?.nilIfEmpty), \(bind: false), \(bind: viewer.userID), \(bind: now), \(bind: now))
                RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
            try await record([ProblemEvent(problemID: id, actorID: viewer.userID, kind: "created", after: kind.rawValue, isPublic: true)], at: now, on: sql)
            if let planned {
                let problem = ProblemRef(id: id, number: number, title: title, summary: input.publicSummary ?? "", status: .new)
                try await link(planned, to: problem, context: context, on: db)
            }
            return number
        }
        return try await get(number: number, context: context)
    }

    struct ProblemEvent: Sendable {
        let problemID: Int
        let actorID: Int?
        let kind: String
        var field: String? = nil
        var before: String? = nil
        var after: String? = nil
        let isPublic: Bool
    }

    static func record(_ events: [ProblemEvent], at now: Date, on sql: any SQLDatabase) async throws {
        guard !events.isEmpty else { return }
        let rows: [SQLQueryString] = events.map { e in
            "(\(bind: e.problemID), \(bind: e.actorID), \(bind: e.kind), \(bind: e.field), \(bind: e.before), \(bind: e.after), \(bind: e.isPublic), \(bind: now))"
        }
        try await sql.raw("INSERT INTO problem_events (problem_id, actor_id, kind, field, \"before\", \"after\", is_public, created_at) VALUES "
                          + rows.joined(separator: ", ")).run()
    }

    /// What linking needs of a problem.
    struct ProblemRef: Sendable {
        let id: Int
        let number: Int
        let title: String
        let summary: String
        let status: ProblemStatus
        var code: String { ProblemNumber.format(number) }
    }

    /// A ticket about to be linked: checked, with the reply its requester gets.
    struct LinkPlan: Sendable {
        let ticketID: Int
        let ticketNumber: Int
        let requesterID: Int
        let requesterName: String
        let language: Language
    }

    private struct LinkTicketRow: Decodable {
        let id: Int
        let number: Int
        let status: String
        let problem_id: Int?
        let requester_id: Int
        let name: String
        let locale: String
    }

    /// Checks a ticket can be linked: it exists for the viewer, takes comments, and is linked to no problem yet.
    static func linkPlan(ticketNumber: Int, context: ServiceContext) async throws -> LinkPlan {
        let viewer = try context.viewer
        _ = try await TicketQueries.load(number: ticketNumber, viewer: viewer, on: context.sql)
        guard let row = try await context.sql.raw("""
            SELECT t.id, t.number, t.status, t.problem_id, t.requester_id, u.name, u.locale FROM tickets t JOIN users u ON u.id = t.requester_id
            WHERE t.number = \(bind: ticketNumber)
            """).first(decoding: LinkTicketRow.self) else { throw ZayavkaError.notFound(entity: "ticket", id: String(ticketNumber)) }
        let catalog = try await context.services.catalog.snapshot(context.db)
        guard catalog.workflow.acceptsComments(row.status) else { throw ZayavkaError.ticketClosed(number: ticketNumber) }
        if let linked = row.problem_id {
            let code = try await context.sql.raw("SELECT number FROM problems WHERE id = \(bind: linked)").first()?.decode(column: "number", as: Int.self)
            throw ZayavkaError.conflict(field: "problem", value: code.map(ProblemNumber.format) ?? String(linked))
        }
        return LinkPlan(ticketID: row.id, ticketNumber: row.number, requesterID: row.requester_id, requesterName: row.name,
                        language: Language(rawValue: row.locale) ?? context.services.configuration.defaultLanguage)
    }

    /// Links a ticket to a problem (staff): the requester becomes an interested party and gets a
    /// public reply with the problem's number and public summary.
    static func link(ticketNumber: Int, problem reference: String, context: ServiceContext) async throws -> ProblemDTO {
        try context.require(.editTicketFields)
        guard let number = ProblemNumber.parse(reference) else { throw ZayavkaError.validation([FieldError("problem", .invalid, "P-101")]) }
        let plan = try await linkPlan(ticketNumber: ticketNumber, context: context)
        let row = try await load(number: number, context: context)
        guard !row.statusValue.isFinal else { throw ZayavkaError.validation([FieldError("problem", .notAllowed, row.statusValue.rawValue)]) }
        let problem = ProblemRef(id: row.id, number: row.number, title: row.title, summary: row.public_summary, status: row.statusValue)
        try await context.write { db in try await link(plan, to: problem, context: context, on: db) }
        return try await get(number: number, context: context)
    }

    /// The writes of a link, inside the caller's transaction. The ticket is claimed with a
    /// conditional update, so two agents linking it at once cannot both succeed.
    static func link(_ plan: LinkPlan, to problem: ProblemRef, context: ServiceContext, on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let viewer = try context.viewer
        let now = context.now
        guard try await sql.raw("""
            UPDATE tickets SET problem_id = \(bind: problem.id), updated_at = \(bind: now) WHERE id = \(bind: plan.ticketID) AND problem_id IS NULL RETURNING id
            """).first() != nil else { throw ZayavkaError.conflict(field: "problem", value: String(plan.ticketNumber)) }
        try await sql.raw("""
            INSERT INTO problem_parties (problem_id, user_id, ticket_id, added_at)
            VALUES (\(bind: problem.id), \(bind: plan.requesterID), \(bind: plan.ticketID), \(bind: now)) ON CONFLICT DO NOTHING
            """).run()
        try await record([ProblemEvent(problemID: problem.id, actorID: viewer.userID, kind: "ticket_linked", after: String(plan.ticketNumber), isPublic: false)],
                         at: now, on: sql)
        try await History.record([NewEvent(ticketID: plan.ticketID, actorID: viewer.userID, kind: .problemLinked, field: "problem",
                                           after: problem.code, isPublic: true, at: now)], on: sql)
        let template = try await context.services.mailTemplates.template(.problemLinked, plan.language, on: sql)
        let body = template.render(["name": plan.requesterName, "problem": problem.code, "problem_title": problem.title, "summary": problem.summary,
                                    "number": String(plan.ticketNumber)]).body
        try await ConversationService.writeReply(number: plan.ticketNumber, body: body, context: context, on: db)
    }

    private struct LinkedRow: Decodable {
        let id: Int
        let number: Int
    }

    /// Unlinks a ticket (staff). The requester stays an interested party only while another of their tickets is linked.
    static func unlink(ticketNumber: Int, context: ServiceContext) async throws {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        let ticket = try await TicketQueries.load(number: ticketNumber, viewer: viewer, on: context.sql)
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            guard let linked = try await sql.raw("""
                SELECT p.id, p.number FROM tickets t JOIN problems p ON p.id = t.problem_id WHERE t.id = \(bind: ticket.id)
                """).first(decoding: LinkedRow.self) else { throw ZayavkaError.validation([FieldError("problem", .required)]) }
            let (problemID, number) = (linked.id, linked.number)
            try await sql.raw("UPDATE tickets SET problem_id = NULL, updated_at = \(bind: now) WHERE id = \(bind: ticket.id)").run()
            try await sql.raw("""
                DELETE FROM problem_parties WHERE problem_id = \(bind: problemID) AND user_id = \(bind: ticket.requesterID)
                  AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.problem_id = \(bind: problemID) AND t.requester_id = \(bind: ticket.requesterID))
                """).run()
            try await record([ProblemEvent(problemID: problemID, actorID: viewer.userID, kind: "ticket_unlinked", after: String(ticketNumber), isPublic: false)],
                             at: now, on: sql)
            try await History.record([NewEvent(ticketID: ticket.id, actorID: viewer.userID, kind: .problemUnlinked, field: "problem",
                                               before: ProblemNumber.format(number), isPublic: false, at: now)], on: sql)
        }
    }

    /// Changes a problem (staff). A new status, a new estimate or a note is a public update that
    /// goes to every interested party and every linked open ticket (`ProblemBroadcast`).
    static func update(number: Int, _ input: ProblemPatchInput, context: ServiceContext) async throws -> ProblemDTO {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        let row = try await load(number: number, context: context)
        var errors = check(title: input.title, description: input.description, summary: input.publicSummary, trackerURL: input.trackerUrl ?? nil)
        errors += try await checkOwner(groupID: input.groupId ?? nil, ownerID: input.ownerId ?? nil, on: context.sql)
        let before = row.statusValue
        let status = input.status ?? before
        let statusChanged = input.status != nil && (status != before || status == .planned)
        let targetVersion = input.targetVersion ?? row.target_version
        let givenDate = input.targetDate?.trimmingCharacters(in: .whitespaces)
        let targetDate = givenDate ?? row.target_date
        let fixedVersion = input.fixedVersion ?? row.fixed_version
        let reason = input.reason ?? row.reason
        if statusChanged {
            errors += ProblemTransition(from: before, to: status, targetVersion: targetVersion, targetDate: targetDate,
                                        fixedVersion: fixedVersion, reason: reason, kind: ProblemKind(rawValue: row.kind) ?? .bug).problems()
        } else if let date = givenDate, !date.isEmpty, LocalDate(date) == nil {
            // A date given without a new status is checked the same way (the transition checks it otherwise).
            errors.append(FieldError("target_date", .invalid, "YYYY-MM-DD"))
        }
        for (field, value) in [("target_version", input.targetVersion), ("fixed_version", input.fixedVersion), ("estimate", input.estimate)] {
            if let value, let error = TextInput.check(value, field: field, maxCharacters: FieldLimits.shortText, multiline: false) { errors.append(error) }
        }
        if let value = input.reason, let error = TextInput.check(value, field: "reason", maxCharacters: FieldLimits.note) { errors.append(error) }
        if let value = input.note, let error = TextInput.check(value, field: "note", maxCharacters: FieldLimits.note) { errors.append(error) }
        if input.solveTickets == true, status != .fixed { errors.append(FieldError("solve_tickets", .notAllowed, "status fixed")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }

        var assignments: [SQLQueryString] = ["updated_at = \(bind: context.now)"]
        var events: [ProblemEvent] = []
        func change(_ field: String, _ old: String?, _ new: String?, isPublic: Bool = false, column: SQLQueryString) {
            guard (old ?? "") != (new ?? "") else { return }
            assignments.append(column + " = \(bind: new)")
            events.append(ProblemEvent(problemID: row.id, actorID: viewer.userID, kind: "field_changed", field: field, before: old, after: new, isPublic: isPublic))
        }
        if let title = input.title?.trimmingCharacters(in: .whitespaces), title != row.title {
            change("title", row.title, title, isPublic: true, column: "title")
            assignments.append("title_folded = \(bind: TextFolding.fold(title))")
        }
        if let kind = input.kind { change("kind", row.kind, kind.rawValue, isPublic: true, column: "kind") }
        if let value = input.description { change("description", row.description, value, column: "description") }
        if let value = input.publicSummary { change("public_summary", row.public_summary, value, isPublic: true, column: "public_summary") }
        // Integer columns are bound as integers: PostgreSQL refuses text (even a NULL typed as text) for them.
        func changeID(_ field: String, _ old: Int?, _ new: Int?, column: SQLQueryString) {
            guard old != new else { return }
            assignments.append(column + " = \(bind: new)")
            events.append(ProblemEvent(problemID: row.id, actorID: viewer.userID, kind: "field_changed", field: field,
                                       before: old.map(String.init), after: new.map(String.init), isPublic: false))
        }
        if let value = input.groupId { changeID("group_id", row.group_id, value, column: "group_id") }
        if let value = input.ownerId { changeID("owner_id", row.owner_id, value, column: "owner_id") }
        if let value = input.trackerUrl { change("tracker_url", row.tracker_url, value?.nilIfEmpty, column: "tracker_url") }
        if input.targetVersion != nil { change("target_version", row.target_version, input.targetVersion?.nilIfEmpty, isPublic: true, column: "target_version") }
        if input.targetDate != nil { change("target_date", row.target_date, givenDate?.nilIfEmpty, isPublic: true, column: "target_date") }
        if input.fixedVersion != nil { change("fixed_version", row.fixed_version, input.fixedVersion?.nilIfEmpty, isPublic: true, column: "fixed_version") }
        if input.reason != nil { change("reason", row.reason, input.reason?.nilIfEmpty, isPublic: true, column: "reason") }
        let estimate = input.estimate?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let estimateChanged = input.estimate != nil && estimate != row.estimate
        if input.estimate != nil { change("estimate", row.estimate, estimate, isPublic: true, column: "estimate") }
        if statusChanged, status != before {
            assignments.append("status = \(bind: status.rawValue)")
            events.append(ProblemEvent(problemID: row.id, actorID: viewer.userID, kind: "status_changed", field: "status",
                                       before: before.rawValue, after: status.rawValue, isPublic: true))
            if status.isFinal { assignments.append("incident_active = \(bind: false)") }
        }

        // What the customers are told: the agent's note, else the standard words for the change.
        let note = input.note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        func text(_ language: Language) -> String? {
            if let note { return note }
            var parts: [String] = []
            // A mass incident speaks seed 002's language: the time of the fix, then the fix (which makes an estimate moot).
            let outageFixed = row.kind == ProblemKind.outage.rawValue && status == .fixed
            if statusChanged {
                parts.append(outageFixed ? MassIncidentText.fixed(language)
                             : ProblemUpdateText.standard(status: status, targetVersion: targetVersion, targetDate: targetDate,
                                                          fixedVersion: fixedVersion, reason: reason, language))
            }
            if estimateChanged, let estimate, !outageFixed {
                parts.append(row.kind == ProblemKind.outage.rawValue ? MassIncidentText.estimate(estimate, language)
                             : ProblemUpdateText.estimate(estimate, language))
            }
            return parts.isEmpty ? nil : parts.joined(separator: " ")
        }
        let now = context.now
        let solve = input.solveTickets == true
        let (ru, en) = (text(.ru), text(.en))
        let statement: SQLQueryString = "UPDATE problems SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: row.id)"
        let changes = events
        let problemID = row.id
        let broadcast = try await context.write { db -> Int? in
            let sql = db as! any SQLDatabase
            try await sql.raw(statement).run()
            try await record(changes, at: now, on: sql)
            guard let ru, let en else { return nil }
            try await record([ProblemEvent(problemID: problemID, actorID: viewer.userID, kind: "public_update", after: ru, isPublic: true)], at: now, on: sql)
            return try await ProblemBroadcast.start(problemID: problemID, actorID: viewer.userID, bodyRu: ru, bodyEn: en, solveTickets: solve, at: now, on: sql)
        }
        // An incident's estimate or end shows on every page's banner at once.
        if row.kind == ProblemKind.outage.rawValue { context.services.incidentBanner.invalidate() }
        if let broadcast { try await ProblemBroadcast.run(id: broadcast, context: context) }
        return try await get(number: number, context: context)
    }

    /// The backlog with its popularity as CSV, most linked first (staff; the product team's list, SPEC P2).
    static func export(context: ServiceContext) async throws -> Download {
        try context.require(.readAllTickets)
        let rows = try await context.sql.raw(select(now: context.now) + " ORDER BY tickets DESC, organizations DESC, p.number DESC").all(decoding: Row.self)
        let language = context.language
        let header = ["number", "kind", "title", "status", "tickets", "organizations", "paid_organizations", "last_30_days",
                      "target_version", "target_date", "fixed_version", "tracker_url", "created_at"]
        let cells = rows.map { row -> [String] in
            [row.code, row.kind, row.title, row.statusValue.name(language), String(row.tickets), String(row.organizations),
             String(row.paid_organizations), String(row.last_30_days), row.target_version ?? "", row.target_date ?? "",
             row.fixed_version ?? "", row.tracker_url ?? "", row.created_at.formatted(.iso8601)]
        }
        return .csv(CSV.write(header: header, rows: cells), filename: "problems.csv")
    }
}
