import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Calendars, the due-time calculator and SLA policies through the API.
enum WorkingTimeService {
    private struct IDRow: Decodable { let id: Int }

    /// The last position taken (`COALESCE(MAX(position), 0) AS p`).
    private struct PositionRow: Decodable { let p: Int }

    private struct PolicyRow: Decodable {
        let key: String
        let name: String
        let position: Int
        let conditions: String
        let targets: String
        let warn_at_percent: Int
        let active: Bool
        let escalation: String?
        let calendar_key: String
    }

    static func dto(_ stored: CalendarStore.Stored) -> CalendarDTO {
        CalendarDTO(key: stored.key, name: stored.name, timeZone: stored.calendar.timeZone.identifier,
                    weekly: stored.calendar.weekly.map { $0.map(\.rangeText) },
                    transferredDayHours: stored.calendar.transferredDayHours.map(\.rangeText),
                    shorteningMinutes: stored.calendar.shortening, isDefault: stored.isDefault, specialDays: stored.dayCount)
    }

    static func listCalendars(context: ServiceContext) async throws -> ListOf<CalendarDTO> {
        try context.require(.readDirectory)
        return ListOf(items: try await CalendarStore.load(where: "1 = 1", on: context.sql).map(dto), nextCursor: nil)
    }

    static func getCalendar(key: String, context: ServiceContext) async throws -> CalendarDTO {
        try context.require(.readDirectory)
        return dto(try await CalendarStore.find(key, on: context.sql))
    }

    /// Checks and converts the editable parts; every problem at once.
    private static func parse(_ input: CalendarInput) throws -> (zone: String?, weekly: [[String]]?, transferred: [String]?) {
        var errors: [FieldError] = []
        if let zone = input.timeZone, TimeZone(identifier: zone) == nil { errors.append(FieldError("time_zone", .invalid)) }
        var weekly: [[String]]?
        if let days = input.weekly {
            if days.count != 7 { errors.append(FieldError("weekly", .invalid, "7")) }
            for (index, day) in days.enumerated() {
                let hours = day.compactMap(WorkingHours.init(range:)).sorted { $0.start < $1.start }
                if hours.count != day.count { errors.append(FieldError("weekly[\(index)]", .invalid, "HH:MM-HH:MM")); continue }
                if zip(hours, hours.dropFirst()).contains(where: { $0.end > $1.start }) {
                    errors.append(FieldError("weekly[\(index)]", .invalid, "overlap"))
                }
            }
            weekly = days.map { $0.compactMap(WorkingHours.init(range:)).sorted { $0.start < $1.start }.map(\.rangeText) }
        }
        var transferred: [String]?
        if let hours = input.transferredDayHours {
            if hours.contains(where: { WorkingHours(range: $0) == nil }) { errors.append(FieldError("transferred_day_hours", .invalid)) }
            transferred = hours.compactMap(WorkingHours.init(range:)).map(\.rangeText)
        }
        if let minutes = input.shorteningMinutes, !(0...480).contains(minutes) { errors.append(FieldError("shortening_minutes", .invalid, "0…480")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return (input.timeZone, weekly, transferred)
    }

    static func createCalendar(_ input: CalendarInput, context: ServiceContext) async throws -> CalendarDTO {
        try context.require(.manageConfiguration)
        var errors: [FieldError] = []
        if !(input.key.map(StatusDefinition.isValidKey) ?? false) { errors.append(FieldError("key", .invalid)) }
        if (input.name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name", .required)) }
        if input.weekly == nil { errors.append(FieldError("weekly", .required)) }
        if let source = input.productionCalendar, !["russia", "none"].contains(source) {
            errors.append(FieldError("production_calendar", .unknownValue, "russia, none"))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let parsed = try parse(input)
        let key = input.key!
        if try await context.sql.raw("SELECT id FROM business_calendars WHERE key = \(bind: key)").first() != nil {
            throw ZayavkaError.conflict(field: "key", value: key)
        }
        let weekly = parsed.weekly!
        let transferred = parsed.transferred ?? (weekly.first { !$0.isEmpty } ?? [])
        try await context.write { db in
            let sql = db as! any SQLDatabase
            let id = try await sql.raw("""
                INSERT INTO business_calendars (key, name, time_zone, weekly, transferred_day_hours, shortening, is_default, created_at)
                VALUES (\(bind: key), \(bind: input.name!), \(bind: parsed.zone ?? "Europe/Moscow"), \(bind: try WorkingTimeJSON.encode(weekly)),
                        \(bind: try WorkingTimeJSON.encode(transferred)), \(bind: input.shorteningMinutes ?? 60), \(bind: false), \(bind: context.now))
                RETURNING id
                """).first(decoding: IDRow.self)!.id
            if (input.productionCalendar ?? "russia") == "russia" {
                try await CalendarStore.replaceDays(calendarID: id, with: .russia, on: sql)
            }
        }
        context.services.sla.invalidate()
        return dto(try await CalendarStore.find(key, on: context.sql))
    }

    static func updateCalendar(key: String, _ input: CalendarInput, context: ServiceContext) async throws -> CalendarDTO {
        try context.require(.manageConfiguration)
        let stored = try await CalendarStore.find(key, on: context.sql)
        let parsed = try parse(input)
        var assignments: [SQLQueryString] = []
        if let name = input.name, !name.trimmingCharacters(in: .whitespaces).isEmpty { assignments.append("name = \(bind: name)") }
        if let zone = parsed.zone { assignments.append("time_zone = \(bind: zone)") }
        if let weekly = parsed.weekly { assignments.append("weekly = \(bind: try WorkingTimeJSON.encode(weekly))") }
        if let hours = parsed.transferred { assignments.append("transferred_day_hours = \(bind: try WorkingTimeJSON.encode(hours))") }
        if let minutes = input.shorteningMinutes { assignments.append("shortening = \(bind: minutes)") }
        if !assignments.isEmpty {
            let statement: SQLQueryString = "UPDATE business_calendars SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: stored.id)"
            try await context.write { db in try await (db as! any SQLDatabase).raw(statement).run() }
            context.services.sla.invalidate()
        }
        return dto(try await CalendarStore.find(key, on: context.sql))
    }

    /// The special days as the documented text file (one "YYYY-MM-DD kind" a line).
    static func exportDays(key: String, context: ServiceContext) async throws -> Download {
        try context.require(.readDirectory)
        let stored = try await CalendarStore.find(key, on: context.sql)
        let days = ProductionCalendarDays(holidays: stored.calendar.holidays, workdays: stored.calendar.transferredWorkdays,
                                          shortDays: stored.calendar.shortDays)
        return Download(source: .text(days.export()), contentType: "text/plain; charset=utf-8", filename: "\(key).txt")
    }

    /// Replaces the special days from the text file; a bad line is a 422 naming it, and nothing changes.
    static func replaceDays(key: String, text: String, context: ServiceContext) async throws -> CalendarDTO {
        try context.require(.manageConfiguration)
        let stored = try await CalendarStore.find(key, on: context.sql)
        let days: ProductionCalendarDays
        do { days = try ProductionCalendarDays.parse(text) } catch let error as ProductionCalendarDays.ParseError {
            throw ZayavkaError.validation([FieldError("line \(error.line)", .invalid, error.text)])
        }
        try await context.write { db in try await CalendarStore.replaceDays(calendarID: stored.id, with: days, on: db as! any SQLDatabase) }
        context.services.sla.invalidate()
        return dto(try await CalendarStore.find(key, on: context.sql))
    }

    /// When `minutes` of working time from `from` end on this calendar.
    static func due(key: String, from: Date?, minutes: Int?, context: ServiceContext) async throws -> DueDTO {
        try context.require(.readDirectory)
        let stored = try await CalendarStore.find(key, on: context.sql)
        var errors: [FieldError] = []
        if from == nil { errors.append(FieldError("from", .invalid, "ISO 8601")) }
        if minutes == nil || minutes! < 0 || minutes! > 1_000_000 { errors.append(FieldError("minutes", .invalid)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return DueDTO(calendar: key, from: from!, minutes: minutes!, dueAt: stored.calendar.adding(workingMinutes: minutes!, to: from!))
    }

    // MARK: SLA policies

    static func listPolicies(context: ServiceContext) async throws -> ListOf<SLAPolicyDTO> {
        try context.require(.readDirectory)
        let rows = try await context.sql.raw("""
            SELECT p.key, p.name, p.position, p.conditions, p.targets, p.warn_at_percent, p.active, p.escalation, c.key AS calendar_key
            FROM sla_policies p JOIN business_calendars c ON c.id = p.calendar_id ORDER BY p.position, p.id
            """).all(decoding: PolicyRow.self)
        return ListOf(items: try rows.map { row in
            SLAPolicyDTO(key: row.key, name: row.name, position: row.position,
                         conditions: try WorkingTimeJSON.decode(SLAConditions.self, row.conditions),
                         targets: try WorkingTimeJSON.decode(SLATargetsDTO.self, row.targets), warnAtPercent: row.warn_at_percent,
                         calendar: row.calendar_key, active: row.active, escalation: try WorkingTimeJSON.escalation(row.escalation))
        }, nextCursor: nil)
    }

    static func savePolicy(key: String?, _ input: SLAPolicyInput, context: ServiceContext) async throws -> Saved<SLAPolicyDTO> {
        try context.require(.manageConfiguration)
        var errors: [FieldError] = []
        var existingID: Int?
        if let key {
            guard let row = try await context.sql.raw("SELECT id FROM sla_policies WHERE key = \(bind: key)").first(decoding: IDRow.self) else {
                throw ZayavkaError.notFound(entity: "sla_policy", id: key)
            }
            existingID = row.id
        }
        if key == nil {
            if !(input.key.map(StatusDefinition.isValidKey) ?? false) { errors.append(FieldError("key", .invalid)) }
            if (input.name ?? "").isEmpty { errors.append(FieldError("name", .required)) }
            if input.targets == nil { errors.append(FieldError("targets", .required)) }
        }
        if let targets = input.targets {
            let values = [targets.firstResponse, targets.nextResponse, targets.resolution].compactMap { $0 }
            if values.isEmpty || values.contains(where: { $0 <= 0 || $0 > 525_600 }) { errors.append(FieldError("targets", .invalid, "1…525600")) }
        }
        if let percent = input.warnAtPercent, !(1...99).contains(percent) { errors.append(FieldError("warn_at_percent", .invalid, "1…99")) }
        if let position = input.position, !(0...1_000_000).contains(position) { errors.append(FieldError("position", .invalid, "0…1000000")) }
        if let name = input.name, let error = TextInput.check(name, field: "name", maxCharacters: FieldLimits.shortText, multiline: false) { errors.append(error) }
        var calendarID: Int?
        if let calendarKey = input.calendar {
            calendarID = try await CalendarStore.id(key: calendarKey, on: context.sql)
            if calendarID == nil { errors.append(FieldError("calendar", .unknownValue)) }
        }
        if let escalation = input.escalation {
            do {
                try await TicketService.checkAssignment(assigneeID: escalation.reassignUserID, groupID: escalation.reassignGroupID, on: context.sql)
            } catch ZayavkaError.validation(let problems) {
                errors += problems.map { FieldError("escalation." + ($0.field == "assignee_id" ? "reassign_user_id" : "reassign_group_id"), $0.code) }
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if key == nil, try await context.sql.raw("SELECT id FROM sla_policies WHERE key = \(bind: input.key!)").first() != nil {
            throw ZayavkaError.conflict(field: "key", value: input.key!)
        }
        let defaultCalendar = try await CalendarStore.id(on: context.sql)!
        let finalKey = key ?? input.key!
        let policyID = existingID
        let calendar = calendarID
        try await context.write { db in
            let sql = db as! any SQLDatabase
            if let id = policyID {
                var assignments: [SQLQueryString] = []
                if let name = input.name { assignments.append("name = \(bind: name)") }
                if let position = input.position { assignments.append("position = \(bind: position)") }
                if let conditions = input.conditions { assignments.append("conditions = \(bind: try WorkingTimeJSON.encode(conditions))") }
                if let targets = input.targets { assignments.append("targets = \(bind: try WorkingTimeJSON.encode(targets))") }
                if let percent = input.warnAtPercent { assignments.append("warn_at_percent = \(bind: percent)") }
                if let calendar { assignments.append("calendar_id = \(bind: calendar)") }
                if let active = input.active { assignments.append("active = \(bind: active)") }
                if let escalation = input.escalation { assignments.append("escalation = \(bind: try WorkingTimeJSON.encode(escalation))") }
                if !assignments.isEmpty {
                    try await sql.raw("UPDATE sla_policies SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: id)").run()
                }
            } else {
                let position = min(try await sql.raw("SELECT COALESCE(MAX(position), 0) AS p FROM sla_policies").first(decoding: PositionRow.self)?.p ?? 0, 1_000_000) + 10
                try await insertPolicy(SLAPolicy(key: finalKey, name: input.name!, conditions: input.conditions ?? SLAConditions(),
                                                 targets: input.targets!.metrics, warnAtPercent: input.warnAtPercent ?? 80,
                                                 escalation: input.escalation ?? .standard),
                                       position: input.position ?? position, calendarID: calendar ?? defaultCalendar,
                                       active: input.active ?? true, on: sql)
            }
        }
        context.services.sla.invalidate()
        guard let saved = try await listPolicies(context: context).items.first(where: { $0.key == finalKey }) else {
            throw ZayavkaError.notFound(entity: "sla_policy", id: finalKey)
        }
        return Saved(item: saved, created: key == nil)
    }

    /// Installs one of the seeds' policy sets (skipping keys already there), in the seed's order.
    static func installTemplate(_ name: String, context: ServiceContext) async throws -> ListOf<SLAPolicyDTO> {
        try context.require(.manageConfiguration)
        let templates: [String: [SLAPolicy]] = ["seed000": SLATemplates.seed000, "seed002": SLATemplates.seed002, "seed003": SLATemplates.seed003]
        guard let policies = templates[name] else { throw ZayavkaError.notFound(entity: "sla_template", id: name) }
        let defaultCalendar = try await CalendarStore.id(on: context.sql)!
        try await context.write { db in
            let sql = db as! any SQLDatabase
            var position = min(try await sql.raw("SELECT COALESCE(MAX(position), 0) AS p FROM sla_policies").first(decoding: PositionRow.self)?.p ?? 0, 1_000_000)
            for policy in policies where try await sql.raw("SELECT id FROM sla_policies WHERE key = \(bind: policy.key)").first() == nil {
                position += 10
                try await insertPolicy(policy, position: position, calendarID: defaultCalendar, active: true, on: sql)
            }
        }
        context.services.sla.invalidate()
        return try await listPolicies(context: context)
    }

    private static func insertPolicy(_ policy: SLAPolicy, position: Int, calendarID: Int, active: Bool, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO sla_policies (key, name, position, conditions, targets, warn_at_percent, calendar_id, active, escalation)
            VALUES (\(bind: policy.key), \(bind: policy.name), \(bind: position), \(bind: try WorkingTimeJSON.encode(policy.conditions)),
                    \(bind: try WorkingTimeJSON.encode(SLATargetsDTO(policy.targets))), \(bind: policy.warnAtPercent),
                    \(bind: calendarID), \(bind: active), \(bind: try WorkingTimeJSON.encode(policy.escalation)))
            """).run()
    }
}
