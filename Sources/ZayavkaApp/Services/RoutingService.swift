import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Hand-off routes (SPEC T8) and critical-problem rules (SPEC T4).
enum RoutingService {
    private struct RouteRow: Decodable {
        let key: String
        let name: String
        let status: String?
        let group_id: Int?
        let assignee_id: Int?
        let message_ru: String
        let message_en: String
        let paid_only: Bool
        let agent_hint: String?
        let position: Int
        let active: Bool
    }

    /// The position after the last one (`COALESCE(MAX(position), 0) + 10 AS p`).
    private struct NextPositionRow: Decodable { let p: Int }

    /// What a route needs to know about the ticket's customer.
    private struct CustomerRow: Decodable {
        let plan: String?
        let locale: String
    }

    private struct CriticalRuleRow: Decodable {
        let key: String
        let name: String
        let categories: String
        let phrases: String
        let position: Int
        let active: Bool
    }

    // MARK: Routes

    static func routes(on sql: any SQLDatabase, activeOnly: Bool = false) async throws -> [RouteDTO] {
        try await sql.raw("""
            SELECT key, name, status, group_id, assignee_id, message_ru, message_en, paid_only, agent_hint, position, active
            FROM hand_off_routes
            """ + (activeOnly ? " WHERE active = \(bind: true)" : "") + " ORDER BY position, id").all(decoding: RouteRow.self).map { row in
            RouteDTO(key: row.key, name: row.name, status: row.status, groupId: row.group_id, assigneeId: row.assignee_id,
                     messageRu: row.message_ru, messageEn: row.message_en, paidOnly: row.paid_only, agentHint: row.agent_hint,
                     position: row.position, active: row.active)
        }
    }

    static func listRoutes(context: ServiceContext) async throws -> ListOf<RouteDTO> {
        try context.require(.readAllTickets)
        return ListOf(items: try await routes(on: context.sql), nextCursor: nil)
    }

    static func saveRoute(key: String?, _ input: RouteInput, context: ServiceContext) async throws -> Saved<RouteDTO> {
        try context.require(.manageConfiguration)
        let sql = context.sql
        var errors: [FieldError] = []
        var existing: RouteDTO?
        if let key {
            guard let found = try await routes(on: sql).first(where: { $0.key == key }) else { throw ZayavkaError.notFound(entity: "route", id: key) }
            existing = found
        } else {
            if !(input.key.map(StatusDefinition.isValidKey) ?? false) { errors.append(FieldError("key", .invalid)) }
            for (field, value) in [("name", input.name), ("message_ru", input.messageRu), ("message_en", input.messageEn)]
            where (value ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                errors.append(FieldError(field, .required))
            }
        }
        for (field, value) in [("name", input.name), ("message_ru", input.messageRu), ("message_en", input.messageEn)] {
            if let value, value.isOver(2000) { errors.append(FieldError(field, .tooLong, "2000")) }
            if key != nil, let value, value.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError(field, .required)) }
        }
        if let status = input.status ?? nil {
            let catalog = try await context.services.catalog.snapshot(context.database)
            if catalog.workflow.definition(status) == nil { errors.append(FieldError("status", .unknownValue)) }
        }
        do {
            try await TicketService.checkAssignment(assigneeID: input.assigneeId ?? nil, groupID: input.groupId ?? nil, on: sql)
        } catch ZayavkaError.validation(let more) { errors += more }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let finalKey = key ?? input.key!
        if key == nil, try await routes(on: sql).contains(where: { $0.key == finalKey }) {
            throw ZayavkaError.conflict(field: "key", value: finalKey)
        }
        let statusValue = input.status ?? existing?.status
        let groupValue = input.groupId ?? existing?.groupId
        let assigneeValue = input.assigneeId ?? existing?.assigneeId
        let hintValue = input.agentHint ?? existing?.agentHint
        let stored = existing
        try await context.write { db in
            let sql = db as! any SQLDatabase
            if let existing = stored {
                try await sql.raw("""
                    UPDATE hand_off_routes SET name = \(bind: input.name ?? existing.name), status = \(bind: statusValue),
                           group_id = \(bind: groupValue), assignee_id = \(bind: assigneeValue),
                           message_ru = \(bind: input.messageRu ?? existing.messageRu), message_en = \(bind: input.messageEn ?? existing.messageEn),
                           paid_only = \(bind: input.paidOnly ?? existing.paidOnly), agent_hint = \(bind: hintValue),
                           position = \(bind: input.position ?? existing.position), active = \(bind: input.active ?? existing.active)
                    WHERE key = \(bind: finalKey)
                    """).run()
            } else {
                let position = try await sql.raw("SELECT COALESCE(MAX(position), 0) + 10 AS p FROM hand_off_routes").first(decoding: NextPositionRow.self)!.p
                try await sql.raw("""
                    INSERT INTO hand_off_routes (key, name, status, group_id, assignee_id, message_ru, message_en, paid_only, agent_hint, position, active)
                    VALUES (\(bind: finalKey), \(bind: input.name!), \(bind: statusValue), \(bind: groupValue), \(bind: assigneeValue),
                            \(bind: input.messageRu!), \(bind: input.messageEn!), \(bind: input.paidOnly ?? false), \(bind: hintValue),
                            \(bind: input.position ?? position), \(bind: input.active ?? true))
                    """).run()
            }
        }
        let saved = try await routes(on: sql).first { $0.key == finalKey }!
        return Saved(item: saved, created: key == nil)
    }

    /// Hands a ticket off along a route: status, group and responsible as the route says, the
    /// route's message to the customer in their language, the agent's note kept internal, and a
    /// `routed` event. A route for paying customers refuses a customer on the free plan (or none)
    /// before anything changes.
    static func route(number: Int, _ input: RouteRequest, context: ServiceContext) async throws -> TicketDTO {
        let viewer = try context.viewer
        guard viewer.role.can(.editTicketFields) else { throw ZayavkaError.forbidden(reason: "staff only") }
        let sql = context.sql
        let ticket = try await TicketQueries.load(number: number, viewer: viewer, on: sql)
        guard let stored = try await routes(on: sql, activeOnly: true).first(where: { $0.key == input.route }) else {
            throw ZayavkaError.validation([FieldError("route", .unknownValue)])
        }
        if let note = input.note, note.isOver(TicketLimits.bodyMaxLength) {
            throw ZayavkaError.validation([FieldError("note", .tooLong, String(TicketLimits.bodyMaxLength))])
        }
        let facts = try await sql.raw("""
            SELECT o.plan, u.locale FROM tickets t JOIN users u ON u.id = t.requester_id LEFT JOIN organizations o ON o.id = t.organization_id
            WHERE t.id = \(bind: ticket.id)
            """).first(decoding: CustomerRow.self)
        let plan = facts?.plan.flatMap(CustomerPlan.init(rawValue:))
        let route = HandOffRoute(key: stored.key, name: stored.name, status: stored.status, groupID: stored.groupId, assigneeID: stored.assigneeId,
                                 messageRu: stored.messageRu, messageEn: stored.messageEn, paidOnly: stored.paidOnly, agentHint: stored.agentHint)
        guard route.allows(plan: plan) else { throw ZayavkaError.validation([FieldError("route", .paidPlanOnly, route.name)]) }

        var patch = TicketPatchInput()
        if let status = route.status, status != ticket.facts.status { patch.status = status }
        if let group = route.groupID, group != ticket.facts.group?.id { patch.groupId = .some(group) }
        if let assignee = route.assigneeID, assignee != ticket.facts.assignee?.id { patch.assigneeId = .some(assignee) }
        if patch.status != nil || patch.groupId != nil || patch.assigneeId != nil {
            _ = try await TicketService.update(number: number, input: patch, context: context)
        }
        let english = facts?.locale == Language.en.rawValue
        _ = try await ConversationService.insertComment(
            number: number, input: CommentInput(body: english ? route.messageEn : route.messageRu, public: true, attachments: nil, status: nil),
            source: .web, context: context)
        if let note = input.note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
            _ = try await ConversationService.insertComment(number: number, input: CommentInput(body: note, public: false, attachments: nil, status: nil),
                                                         source: .web, context: context)
        }
        let ticketID = ticket.id
        try await context.write { db in
            try await History.record([NewEvent(ticketID: ticketID, actorID: viewer.userID, kind: .routed, field: "route", after: route.key,
                                               isPublic: false, at: context.now)], on: db as! any SQLDatabase)
        }
        return try await TicketQueries.dto(number: number, context: context)
    }

    // MARK: Critical rules

    static func criticalRules(on sql: any SQLDatabase, activeOnly: Bool = false, table: RuleTable = .critical) async throws -> [CriticalRuleDTO] {
        try await sql.raw("SELECT key, name, categories, phrases, position, active FROM " + table.sqlName
                          + (activeOnly ? " WHERE active = \(bind: true)" : "") + " ORDER BY position, id").all(decoding: CriticalRuleRow.self).map { row in
            CriticalRuleDTO(key: row.key, name: row.name, categories: try WorkingTimeJSON.decode([String].self, row.categories),
                            phrases: try WorkingTimeJSON.decode([[String]].self, row.phrases), position: row.position, active: row.active)
        }
    }

    static func listCriticalRules(table: RuleTable = .critical, context: ServiceContext) async throws -> ListOf<CriticalRuleDTO> {
        try context.require(.readAllTickets)
        return ListOf(items: try await criticalRules(on: context.sql, table: table), nextCursor: nil)
    }

    /// Adds or changes a critical-problem rule or a failure kind (admins; the same shape and checks).
    static func saveCriticalRule(key: String?, _ input: CriticalRuleInput, table: RuleTable = .critical,
                                 context: ServiceContext) async throws -> Saved<CriticalRuleDTO> {
        try context.require(.manageConfiguration)
        let sql = context.sql
        let all = try await criticalRules(on: sql, table: table)
        var errors: [FieldError] = []
        let existing = key.flatMap { k in all.first { $0.key == k } }
        if let key, existing == nil { throw ZayavkaError.notFound(entity: table.entity, id: key) }
        if key == nil {
            if !(input.key.map(StatusDefinition.isValidKey) ?? false) { errors.append(FieldError("key", .invalid)) }
            if (input.name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name", .required)) }
        }
        let phrases = (input.phrases ?? existing?.phrases ?? []).map { $0.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            .filter { !$0.isEmpty }
        let categories = (input.categories ?? existing?.categories ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if phrases.isEmpty && categories.isEmpty { errors.append(FieldError("phrases", .required)) }
        if phrases.count > 100 || phrases.contains(where: { $0.count > 10 }) { errors.append(FieldError("phrases", .tooLong, "100×10")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let finalKey = key ?? input.key!
        if key == nil, all.contains(where: { $0.key == finalKey }) { throw ZayavkaError.conflict(field: "key", value: finalKey) }
        try await context.write { db in
            let sql = db as! any SQLDatabase
            if let existing {
                try await sql.raw("""
                    UPDATE \(unsafeRaw: table.rawValue) SET name = \(bind: input.name ?? existing.name), categories = \(bind: try WorkingTimeJSON.encode(categories)),
                           phrases = \(bind: try WorkingTimeJSON.encode(phrases)), position = \(bind: input.position ?? existing.position),
                           active = \(bind: input.active ?? existing.active)
                    WHERE key = \(bind: finalKey)
                    """).run()
            } else {
                let position = try await sql.raw("SELECT COALESCE(MAX(position), 0) + 10 AS p FROM " + table.sqlName).first(decoding: NextPositionRow.self)!.p
                try await sql.raw("""
                    INSERT INTO \(unsafeRaw: table.rawValue) (key, name, categories, phrases, position, active)
                    VALUES (\(bind: finalKey), \(bind: input.name!), \(bind: try WorkingTimeJSON.encode(categories)),
                            \(bind: try WorkingTimeJSON.encode(phrases)), \(bind: input.position ?? position), \(bind: input.active ?? true))
                    """).run()
            }
        }
        (table == .critical ? context.services.critical : context.services.failureKinds).invalidate()
        let saved = try await criticalRules(on: sql, table: table).first { $0.key == finalKey }!
        return Saved(item: saved, created: key == nil)
    }
}
