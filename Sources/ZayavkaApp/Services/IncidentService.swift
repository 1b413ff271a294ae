import Fluent
import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Mass incidents (SPEC P3, seed 002). Every new request is matched against the failure kinds; when
/// enough distinct customers report one kind within the window, an outbreak alert opens — once, even
/// with several instances (a partial unique index) — and the dispatchers and managers are mailed at
/// once, the managers again when nobody acknowledges it in time. Declaring creates an outage problem,
/// links the matching requests and tells every affected customer the team's words; while it lasts,
/// new matching requests are linked as they arrive and their acknowledgement carries the words.
enum IncidentService {
    static let alertsOpened = Counter(label: "zayavka_outbreak_alerts_total")
    /// Tickets linked per transaction when an incident is declared: each batch holds the write lock briefly.
    static let linkBatchSize = 100

    // MARK: Settings

    private struct SettingsRow: Decodable {
        let customers: Int
        let window_minutes: Int
        let reminder_minutes: Int
        let text_ru: String
        let text_en: String
    }

    static func settings(on sql: any SQLDatabase) async throws -> OutbreakSettingsDTO {
        guard let row = try await sql.raw("""
            SELECT customers, window_minutes, reminder_minutes, text_ru, text_en FROM outbreak_settings WHERE id = 1
            """).first(decoding: SettingsRow.self) else {
            let rule = OutbreakRule()
            return OutbreakSettingsDTO(customers: rule.customers, windowMinutes: rule.windowMinutes, reminderMinutes: rule.reminderMinutes,
                                       textRu: MassIncidentText.ongoingRu, textEn: MassIncidentText.ongoingEn)
        }
        return OutbreakSettingsDTO(customers: row.customers, windowMinutes: row.window_minutes, reminderMinutes: row.reminder_minutes,
                                   textRu: row.text_ru, textEn: row.text_en)
    }

    static func getSettings(context: ServiceContext) async throws -> OutbreakSettingsDTO {
        try context.require(.readAllTickets)
        return try await settings(on: context.sql)
    }

    static func saveSettings(_ input: OutbreakSettingsInput, context: ServiceContext) async throws -> OutbreakSettingsDTO {
        try context.require(.manageConfiguration)
        let current = try await settings(on: context.sql)
        var rule = current.rule
        if let value = input.customers { rule.customers = value }
        if let value = input.windowMinutes { rule.windowMinutes = value }
        if let value = input.reminderMinutes { rule.reminderMinutes = value }
        var errors = rule.problems()
        let textRu = input.textRu?.trimmingCharacters(in: .whitespacesAndNewlines) ?? current.textRu
        let textEn = input.textEn?.trimmingCharacters(in: .whitespacesAndNewlines) ?? current.textEn
        errors += checkTexts(ru: textRu, en: textEn)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let now = context.now
        let saved = rule
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE outbreak_settings SET customers = \(bind: saved.customers), window_minutes = \(bind: saved.windowMinutes),
                       reminder_minutes = \(bind: saved.reminderMinutes), text_ru = \(bind: textRu), text_en = \(bind: textEn), updated_at = \(bind: now)
                WHERE id = 1
                """).run()
        }
        return try await settings(on: context.sql)
    }

    private static func checkTexts(ru: String, en: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (field, text) in [("text_ru", ru), ("text_en", en)] {
            if text.isEmpty { errors.append(FieldError(field, .required)) }
            else if let error = TextInput.check(text, field: field, maxCharacters: FieldLimits.note) { errors.append(error) }
        }
        return errors
    }

    // MARK: Arrival

    /// A new ticket that matched a failure kind.
    struct Arrival: Sendable {
        let ticketID: Int
        let number: Int
        let requesterID: Int
        let failureKind: String
        let at: Date
    }

    private struct ActiveRow: Decodable {
        let id: Int
        let number: Int
        let failure_kind: String
    }

    /// Inside the transaction that writes new tickets: each one whose failure kind has an active
    /// incident is linked to it, its requester becomes an interested party. Read in the transaction,
    /// so nothing is linked to an incident that has ended. Returns the tickets' history events.
    static func linkOnArrival(_ arrivals: [Arrival], on sql: any SQLDatabase) async throws -> [NewEvent] {
        guard !arrivals.isEmpty else { return [] }
        let kinds = Array(Set(arrivals.map(\.failureKind)))
        let active = try await sql.raw("""
            SELECT id, number, failure_kind FROM problems WHERE incident_active = \(bind: true) AND failure_kind IN (\(binds: kinds))
            """).all(decoding: ActiveRow.self)
        guard !active.isEmpty else { return [] }
        let byKind = Dictionary(active.map { ($0.failure_kind, $0) }, uniquingKeysWith: { first, _ in first })
        var events: [NewEvent] = []
        var problemEvents: [ProblemService.ProblemEvent] = []
        for arrival in arrivals {
            guard let problem = byKind[arrival.failureKind] else { continue }
            try await sql.raw("UPDATE tickets SET problem_id = \(bind: problem.id) WHERE id = \(bind: arrival.ticketID)").run()
            try await sql.raw("""
                INSERT INTO problem_parties (problem_id, user_id, ticket_id, added_at)
                VALUES (\(bind: problem.id), \(bind: arrival.requesterID), \(bind: arrival.ticketID), \(bind: arrival.at)) ON CONFLICT DO NOTHING
                """).run()
            problemEvents.append(ProblemService.ProblemEvent(problemID: problem.id, actorID: nil, kind: "ticket_linked", after: String(arrival.number),
                                                             isPublic: false))
            events.append(NewEvent(ticketID: arrival.ticketID, actorID: nil, kind: .problemLinked, field: "problem",
                                   after: ProblemNumber.format(problem.number), isPublic: true, at: arrival.at))
        }
        try await ProblemService.record(problemEvents, at: arrivals[0].at, on: sql)
        return events
    }

    /// The failure kind a new request matches, if any (the first, in the admins' order); `words` are
    /// the request's (`RuleText.words`), split once for these and the critical-problem rules.
    static func failureKind(words: [String], category: String?, context: ServiceContext) async throws -> String? {
        try await context.services.failureKinds.rules(context.sql).first { $0.matches(words: words, category: category) }?.rule.key
    }

    // MARK: Detection

    private struct ReportRow: Decodable {
        let id: Int
        let requester_id: Int
        let organization_id: Int?
        let created_at: Date
    }

    /// Opens an alert when the failure kind's recent unlinked requests come from enough distinct
    /// customers, and mails the dispatchers and managers. Returns the alert's id when this call
    /// opened it: of two instances that see the same outbreak, one does.
    @discardableResult
    static func detect(kind: String, context: ServiceContext) async throws -> Int? {
        let sql = context.sql
        let now = context.now
        if try await sql.raw("SELECT id FROM problems WHERE failure_kind = \(bind: kind) AND incident_active = \(bind: true)").first() != nil { return nil }
        if try await sql.raw("SELECT id FROM outbreak_alerts WHERE failure_kind = \(bind: kind) AND closed_at IS NULL").first() != nil { return nil }
        let settings = try await settings(on: sql)
        var start = now.addingTimeInterval(-Double(settings.windowMinutes) * 60)
        // Requests an earlier alert already counted (and someone dismissed) do not open another.
        if let closed = try await sql.raw("""
            SELECT closed_at FROM outbreak_alerts WHERE failure_kind = \(bind: kind) AND closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT 1
            """).first()?.decode(column: "closed_at", as: Date.self), closed > start { start = closed }
        let reports = try await sql.raw("""
            SELECT id, requester_id, organization_id, created_at FROM tickets
            WHERE failure_kind = \(bind: kind) AND created_at >= \(bind: start) AND problem_id IS NULL
            ORDER BY created_at, id LIMIT 1000
            """).all(decoding: ReportRow.self).map {
            OutbreakRule.Report(ticketID: $0.id, requesterID: $0.requester_id, organizationID: $0.organization_id, at: $0.created_at)
        }
        guard let outbreak = settings.rule.outbreak(in: reports, now: now), let first = outbreak.first else { return nil }
        let customers = OutbreakRule.customers(in: outbreak)
        let name = try await kindName(kind, on: sql)
        // A second's margin: a moment read back from SQLite may come out a hair after the one stored.
        let since = first.at.addingTimeInterval(-1)
        let tickets = try await alertTickets(kind: kind, since: since, on: sql)
        let mails = try await alertMails(.outbreakAlert, roles: [.dispatcher, .manager], kindName: name, customers: customers, tickets: tickets,
                                         openedAt: now, context: context)
        let opened = try await context.write { db -> Int? in
            let sql = db as! any SQLDatabase
            guard let id = try await sql.raw("""
                INSERT INTO outbreak_alerts (failure_kind, since, customers, opened_at)
                VALUES (\(bind: kind), \(bind: since), \(bind: customers), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING id
                """).first()?.decode(column: "id", as: Int.self) else { return nil }
            try await Outbox.enqueueAll(mails, on: sql)
            return id
        }
        if opened != nil {
            context.services.incidentBanner.invalidate()
            alertsOpened.increment()
            MailWorker.poke(context.services)
            context.logger.warning("possible mass incident", metadata: ["failure_kind": "\(kind)", "customers": "\(customers)"])
        }
        return opened
    }

    /// Runs detection for one new request; a failure is logged, never the request's: the ticket is written.
    static func detectAfterArrival(kind: String, context: ServiceContext) async {
        do { try await detect(kind: kind, context: context) } catch {
            context.logger.error("outbreak detection failed; the periodic job will look again", metadata: ["error": "\(error)"])
        }
    }

    /// The periodic job: detection for every active failure kind (what a failed or raced check after
    /// a request missed), then the reminders. Returns the alerts opened and the reminders sent.
    static func sweep(context: ServiceContext) async throws -> (opened: Int, reminded: Int) {
        var opened = 0
        for kind in try await context.services.failureKinds.rules(context.sql) {
            if try await detect(kind: kind.rule.key, context: context) != nil { opened += 1 }
        }
        return (opened, try await remind(context: context))
    }

    private struct DueAlertRow: Decodable {
        let id: Int
        let failure_kind: String
        let since: Date
        let customers: Int
        let opened_at: Date
    }

    /// Alerts nobody acknowledged within the reminder time: the managers are mailed again, once.
    static func remind(context: ServiceContext) async throws -> Int {
        let sql = context.sql
        let settings = try await settings(on: sql)
        let due = context.now.addingTimeInterval(-Double(settings.reminderMinutes) * 60)
        let rows = try await sql.raw("""
            SELECT id, failure_kind, since, customers, opened_at FROM outbreak_alerts
            WHERE closed_at IS NULL AND acknowledged_at IS NULL AND reminded_at IS NULL AND opened_at <= \(bind: due) ORDER BY id
            """).all(decoding: DueAlertRow.self)
        var reminded = 0
        for row in rows {
            let tickets = try await alertTickets(kind: row.failure_kind, since: row.since, on: sql)
            let mails = try await alertMails(.outbreakReminder, roles: [.manager], kindName: try await kindName(row.failure_kind, on: sql),
                                             customers: row.customers, tickets: tickets, openedAt: row.opened_at, context: context)
            let now = context.now
            let claimed = try await context.write { db -> Bool in
                let sql = db as! any SQLDatabase
                guard try await sql.raw("""
                    UPDATE outbreak_alerts SET reminded_at = \(bind: now)
                    WHERE id = \(bind: row.id) AND reminded_at IS NULL AND acknowledged_at IS NULL AND closed_at IS NULL RETURNING id
                    """).first() != nil else { return false }
                try await Outbox.enqueueAll(mails, on: sql)
                return true
            }
            if claimed { reminded += 1 }
        }
        if reminded > 0 { MailWorker.poke(context.services) }
        return reminded
    }

    private static func kindName(_ key: String, on sql: any SQLDatabase) async throws -> String {
        try await sql.raw("SELECT name FROM failure_kinds WHERE key = \(bind: key)").first()?.decode(column: "name", as: String.self) ?? key
    }

    private struct PersonRow: Decodable {
        let id: Int
        let email: String
        let name: String
        let locale: String
    }

    /// One alert mail to each active member of the roles, in their language.
    private static func alertMails(_ kind: NotificationKind, roles: [Role], kindName: String, customers: Int, tickets: [OutbreakTicketDTO],
                                   openedAt: Date, context: ServiceContext) async throws -> [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] {
        let configuration = context.services.configuration
        let people = try await context.sql.raw("""
            SELECT id, email, name, locale FROM users WHERE role IN (\(binds: roles.map(\.rawValue))) AND is_active = \(bind: true) ORDER BY id LIMIT 50
            """).all(decoding: PersonRow.self)
        let lines = tickets.map { ticket in
            "#\(ticket.number) · \(ticket.subject) · \(ticket.requester.name)" + (ticket.organization.map { " (\($0.name))" } ?? "")
                + " · " + SLAMetricNames.moscowTime(ticket.createdAt)
        }.joined(separator: "\n")
        var mails: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] = []
        for person in people where !person.email.hasSuffix(".invalid") {
            let language = Language(rawValue: person.locale) ?? configuration.defaultLanguage
            let template = try await context.services.mailTemplates.template(kind, language, on: context.sql)
            let rendered = template.render([
                "name": person.name, "failure_kind": kindName, "customers": String(customers), "tickets": lines,
                "link": configuration.publicURL + SitePath.incidents.path, "tag": configuration.mail.subjectTag,
                "due": SLAMetricNames.moscowTime(openedAt),
            ])
            var mail = OutgoingMail(from: configuration.mail.from, to: [MailAddress(name: person.name, address: person.email)],
                                    subject: rendered.subject, text: rendered.body,
                                    messageID: OutgoingMail.makeMessageID(tag: "zy.outbreak", domain: configuration.mail.domain))
            mail.autoSubmitted = kind.autoSubmitted
            mails.append((mail: mail, kind: kind, ticketID: nil, userID: person.id))
        }
        return mails
    }

    // MARK: Alerts and incidents as shown

    private struct AlertTicketRow: Decodable {
        let number: Int
        let subject: String
        let requester_id: Int
        let requester_name: String
        let organization_id: Int?
        let organization_name: String?
        let channel: String
        let created_at: Date
    }

    /// The matching requests of an alert not linked to a problem yet, oldest first.
    static func alertTickets(kind: String, since: Date, on sql: any SQLDatabase, limit: Int = 50) async throws -> [OutbreakTicketDTO] {
        try await sql.raw("""
            SELECT t.number, t.subject, t.requester_id, u.name AS requester_name, t.organization_id, o.name AS organization_name, t.channel, t.created_at
            FROM tickets t JOIN users u ON u.id = t.requester_id LEFT JOIN organizations o ON o.id = t.organization_id
            WHERE t.failure_kind = \(bind: kind) AND t.created_at >= \(bind: since) AND t.problem_id IS NULL
            ORDER BY t.created_at, t.id LIMIT \(bind: limit)
            """).all(decoding: AlertTicketRow.self).map { row in
            OutbreakTicketDTO(number: row.number, subject: row.subject, requester: PersonRef(id: row.requester_id, name: row.requester_name),
                              organization: row.organization_id.map { PersonRef(id: $0, name: row.organization_name ?? "") },
                              channel: row.channel, createdAt: row.created_at)
        }
    }

    private struct AlertRow: Decodable {
        let id: Int
        let failure_kind: String
        let kind_name: String?
        let since: Date
        let customers: Int
        let opened_at: Date
        let acknowledged_by_id: Int?
        let acknowledger: String?
        let acknowledged_at: Date?
        let reminded_at: Date?
        let closed_at: Date?
    }

    private static func alertRows(_ condition: SQLQueryString, on sql: any SQLDatabase) async throws -> [AlertRow] {
        try await sql.raw("""
            SELECT a.id, a.failure_kind, k.name AS kind_name, a.since, a.customers, a.opened_at, a.acknowledged_by_id, u.name AS acknowledger,
                   a.acknowledged_at, a.reminded_at, a.closed_at
            FROM outbreak_alerts a LEFT JOIN failure_kinds k ON k.key = a.failure_kind LEFT JOIN users u ON u.id = a.acknowledged_by_id
            WHERE
            """ + " " + condition + " ORDER BY a.id").all(decoding: AlertRow.self)
    }

    private static func dto(_ row: AlertRow, on sql: any SQLDatabase) async throws -> OutbreakAlertDTO {
        OutbreakAlertDTO(id: row.id, failureKind: row.failure_kind, failureKindName: row.kind_name ?? row.failure_kind, customers: row.customers,
                         since: row.since, openedAt: row.opened_at,
                         acknowledgedBy: row.acknowledged_by_id.map { PersonRef(id: $0, name: row.acknowledger ?? "") },
                         acknowledgedAt: row.acknowledged_at, remindedAt: row.reminded_at,
                         tickets: try await alertTickets(kind: row.failure_kind, since: row.since, on: sql))
    }

    private struct IncidentRow: Decodable {
        let number: Int
        let title: String
        let public_summary: String
        let incident_text_ru: String?
        let incident_text_en: String?
        let estimate: String?
        let failure_kind: String?
        let kind_name: String?
        let created_at: Date
        let tickets: Int

        func dto(staff: Bool, _ language: Language) -> ActiveIncidentDTO {
            let text = (language == .en ? incident_text_en : incident_text_ru) ?? public_summary
            return ActiveIncidentDTO(number: number, code: ProblemNumber.format(number), title: title, text: text, estimate: estimate,
                                     since: created_at, failureKind: staff ? failure_kind : nil,
                                     failureKindName: staff ? kind_name ?? failure_kind : nil, tickets: staff ? tickets : nil)
        }
    }

    /// The active incidents: everyone signed in sees the number, the words and the estimate; staff also the kind and the count.
    static func activeIncidents(staff: Bool, language: Language, on sql: any SQLDatabase) async throws -> [ActiveIncidentDTO] {
        try await activeRows(on: sql).map { $0.dto(staff: staff, language) }
    }

    /// The active incidents in both languages, from one query (the banner every page shows).
    static func activeIncidentsInBothLanguages(on sql: any SQLDatabase) async throws -> (ru: [ActiveIncidentDTO], en: [ActiveIncidentDTO]) {
        let rows = try await activeRows(on: sql)
        return (rows.map { $0.dto(staff: true, .ru) }, rows.map { $0.dto(staff: true, .en) })
    }

    private static func activeRows(on sql: any SQLDatabase) async throws -> [IncidentRow] {
        try await sql.raw("""
            SELECT p.number, p.title, p.public_summary, p.incident_text_ru, p.incident_text_en, p.estimate, p.failure_kind, k.name AS kind_name,
                   p.created_at, (SELECT COUNT(*) FROM tickets t WHERE t.problem_id = p.id) AS tickets
            FROM problems p LEFT JOIN failure_kinds k ON k.key = p.failure_kind
            WHERE p.incident_active = \(bind: true) ORDER BY p.number
            """).all(decoding: IncidentRow.self)
    }

    /// The open alerts with their requests.
    static func openAlerts(on sql: any SQLDatabase) async throws -> [OutbreakAlertDTO] {
        var alerts: [OutbreakAlertDTO] = []
        for row in try await alertRows("a.closed_at IS NULL", on: sql) { alerts.append(try await dto(row, on: sql)) }
        return alerts
    }

    /// What the agent pages' banner shows (staff): open alerts with their requests, and active incidents.
    static func board(context: ServiceContext) async throws -> IncidentBoardDTO {
        try context.require(.readAllTickets)
        return IncidentBoardDTO(alerts: try await openAlerts(on: context.sql),
                                active: try await activeIncidents(staff: true, language: context.language, on: context.sql))
    }

    /// The active incidents for anyone signed in (the portal's banner; the widget).
    static func current(context: ServiceContext) async throws -> ListOf<ActiveIncidentDTO> {
        let viewer = try context.viewer
        return ListOf(items: try await activeIncidents(staff: viewer.role.isStaff, language: context.language, on: context.sql), nextCursor: nil)
    }

    // MARK: Acting on an alert

    private static func openAlert(_ id: Int, context: ServiceContext) async throws -> AlertRow {
        guard let row = try await alertRows("a.id = \(bind: id)", on: context.sql).first else {
            throw ZayavkaError.notFound(entity: "outbreak_alert", id: String(id))
        }
        guard row.closed_at == nil else { throw ZayavkaError.conflict(field: "alert_id", value: String(id)) }
        return row
    }

    /// "I am on it" (staff): stops the reminder to the managers; the alert stays until declared or dismissed.
    static func acknowledge(id: Int, context: ServiceContext) async throws -> OutbreakAlertDTO {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        let row = try await openAlert(id, context: context)
        let now = context.now
        if row.acknowledged_at == nil {
            try await context.write { db in
                try await (db as! any SQLDatabase).raw("""
                    UPDATE outbreak_alerts SET acknowledged_by_id = \(bind: viewer.userID), acknowledged_at = \(bind: now)
                    WHERE id = \(bind: id) AND acknowledged_at IS NULL AND closed_at IS NULL
                    """).run()
            }
        }
        context.services.incidentBanner.invalidate()
        return try await dto(try await openAlert(id, context: context), on: context.sql)
    }

    /// "Not a mass incident" (staff): the alert closes; the requests it counted open no other.
    static func dismiss(id: Int, context: ServiceContext) async throws {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        _ = try await openAlert(id, context: context)
        let now = context.now
        let closed = try await context.write { db -> Bool in
            try await (db as! any SQLDatabase).raw("""
                UPDATE outbreak_alerts SET closed_at = \(bind: now), closed_by_id = \(bind: viewer.userID), outcome = 'dismissed',
                       acknowledged_by_id = COALESCE(acknowledged_by_id, \(bind: viewer.userID)), acknowledged_at = COALESCE(acknowledged_at, \(bind: now))
                WHERE id = \(bind: id) AND closed_at IS NULL RETURNING id
                """).first() != nil
        }
        context.services.incidentBanner.invalidate()
        if !closed { throw ZayavkaError.conflict(field: "alert_id", value: String(id)) }
    }

    // MARK: Declaring

    private struct CandidateRow: Decodable {
        let id: Int
        let number: Int
        let status: String
        let problem_id: Int?
        let requester_id: Int
    }

    /// Declares a mass incident (staff), from an alert or by hand: an outage problem, every matching
    /// open request linked (in batches), every affected customer told the words once.
    static func declare(_ input: IncidentInput, context: ServiceContext) async throws -> ProblemDTO {
        try context.require(.editTicketFields)
        let viewer = try context.viewer
        let sql = context.sql
        let now = context.now
        let settings = try await settings(on: sql)
        var errors: [FieldError] = []
        var alert: AlertRow?
        if let id = input.alertId { alert = try await openAlert(id, context: context) }
        let key = alert?.failure_kind ?? input.failureKind?.trimmingCharacters(in: .whitespaces)
        if let alert, let asked = input.failureKind, asked != alert.failure_kind { errors.append(FieldError("failure_kind", .notAllowed, alert.failure_kind)) }
        let kinds = try await RoutingService.criticalRules(on: sql, table: .failureKinds)
        let kind = key.flatMap { key in kinds.first { $0.key == key } }
        if key == nil || key == "" { errors.append(FieldError("failure_kind", .required)) }
        else if kind == nil { errors.append(FieldError("failure_kind", .unknownValue)) }
        let textRu = input.textRu?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty ?? settings.textRu
        let textEn = input.textEn?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty ?? settings.textEn
        errors += checkTexts(ru: textRu, en: textEn)
        let defaultLanguage = context.services.configuration.defaultLanguage
        let title = input.title?.trimmingCharacters(in: .whitespaces).nilIfEmpty
            ?? (defaultLanguage == .en ? "Mass incident: " : "Массовый сбой: ") + (kind?.name ?? "")
        if let error = TextInput.check(title, field: "title", maxCharacters: FieldLimits.shortText, multiline: false) { errors.append(error) }
        let since = alert?.since ?? input.since ?? now.addingTimeInterval(-Double(settings.windowMinutes) * 60)
        if since > now { errors.append(FieldError("since", .invalid)) }
        let catalog = try await context.services.catalog.snapshot(context.db)
        let open = catalog.statuses.filter { $0.category.isActive }.map(\.key)
        // Requests named by hand: each must exist, take comments and be linked to nothing yet.
        let named = Array(Set(input.ticketNumbers ?? [])).sorted()
        var namedIDs: [Int] = []
        if named.count > 1000 { errors.append(FieldError("ticket_numbers", .tooLong, "1000")) }
        else if !named.isEmpty {
            let rows = try await sql.raw("""
                SELECT id, number, status, problem_id, requester_id FROM tickets WHERE number IN (\(binds: named))
                """).all(decoding: CandidateRow.self)
            for number in named {
                guard let row = rows.first(where: { $0.number == number }) else { errors.append(FieldError("ticket_numbers", .unknownValue, String(number))); continue }
                if row.problem_id != nil || !catalog.workflow.acceptsComments(row.status) {
                    errors.append(FieldError("ticket_numbers", .notAllowed, String(number)))
                } else { namedIDs.append(row.id) }
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        guard let kind else { throw ZayavkaError.validation([FieldError("failure_kind", .required)]) }
        func refuseIfActive() async throws {
            if let active = try await sql.raw("""
                SELECT number FROM problems WHERE failure_kind = \(bind: kind.key) AND incident_active = \(bind: true)
                """).first()?.decode(column: "number", as: Int.self) {
                throw ZayavkaError.conflict(field: "failure_kind", value: ProblemNumber.format(active))
            }
        }
        try await refuseIfActive()
        let matching = try await sql.raw("""
            SELECT COUNT(*) AS n FROM tickets WHERE failure_kind = \(bind: kind.key) AND created_at >= \(bind: since) AND problem_id IS NULL
              AND status IN (\(binds: open))
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        if matching == 0 && namedIDs.isEmpty {
            // Another agent's incident, declared between the two reads, may have linked them all: that is a 409.
            try await refuseIfActive()
            throw ZayavkaError.validation([FieldError("ticket_numbers", .required)])
        }

        // 1. The incident (an outage problem), the alert closed, the broadcast recorded: a restart
        //    after this point still tells everyone linked so far (`ProblemBroadcast.resume`).
        let summary = defaultLanguage == .en ? textEn : textRu
        let alertID = alert?.id
        let created = try await context.write { db -> (id: Int, number: Int, broadcast: Int) in
            let sql = db as! any SQLDatabase
            let number = try await ProblemService.reserveNumber(on: sql)
            guard let id = try await sql.raw("""
                INSERT INTO problems (number, kind, title, title_folded, description, public_summary, status, failure_kind, incident_active,
                                      incident_text_ru, incident_text_en, created_by_id, created_at, updated_at)
                VALUES (\(bind: number), \(bind: ProblemKind.outage.rawValue), \(bind: title), \(bind: TextFolding.fold(title)), '', \(bind: summary),
                        \(bind: ProblemStatus.confirmed.rawValue), \(bind: kind.key), \(bind: true), \(bind: textRu), \(bind: textEn),
                        \(bind: viewer.userID), \(bind: now), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING id
                """).first()?.decode(column: "id", as: Int.self) else {
                // Another agent declared this failure kind a moment ago.
                throw ZayavkaError.conflict(field: "failure_kind", value: kind.key)
            }
            try await ProblemService.record([
                ProblemService.ProblemEvent(problemID: id, actorID: viewer.userID, kind: "created", after: ProblemKind.outage.rawValue, isPublic: true),
                ProblemService.ProblemEvent(problemID: id, actorID: viewer.userID, kind: "incident_declared", field: "failure_kind",
                                            after: kind.key, isPublic: false),
            ], at: now, on: sql)
            let closed = try await sql.raw("""
                UPDATE outbreak_alerts SET closed_at = \(bind: now), closed_by_id = \(bind: viewer.userID), outcome = 'declared', problem_id = \(bind: id),
                       acknowledged_by_id = COALESCE(acknowledged_by_id, \(bind: viewer.userID)), acknowledged_at = COALESCE(acknowledged_at, \(bind: now))
                WHERE failure_kind = \(bind: kind.key) AND closed_at IS NULL RETURNING id
                """).all()
            if let alertID, closed.isEmpty { throw ZayavkaError.conflict(field: "alert_id", value: String(alertID)) }
            let broadcast = try await ProblemBroadcast.start(problemID: id, actorID: viewer.userID, bodyRu: textRu, bodyEn: textEn,
                                                             solveTickets: false, at: now, on: sql)
            return (id, number, broadcast)
        }
        context.services.incidentBanner.invalidate()
        // 2. The requests, linked in short batches: the ones named by hand, then every match.
        let code = ProblemNumber.format(created.number)
        let namedBatch = namedIDs
        func linkBatch(_ condition: SQLQueryString) async throws -> Int? {
            try await context.write { db -> Int? in
                let sql = db as! any SQLDatabase
                let rows = try await sql.raw("""
                    UPDATE tickets SET problem_id = \(bind: created.id)
                    WHERE id IN (SELECT id FROM tickets WHERE problem_id IS NULL AND status IN (\(binds: open)) AND
                    """ + " " + condition + " ORDER BY id LIMIT \(bind: linkBatchSize) " + SQLClaim.skipLocked(sql)
                    + ") AND problem_id IS NULL RETURNING id, number, status, problem_id, requester_id").all(decoding: CandidateRow.self)
                guard !rows.isEmpty else { return nil }
                let parties: [SQLQueryString] = rows.map { "(\(bind: created.id), \(bind: $0.requester_id), \(bind: $0.id), \(bind: now))" }
                try await sql.raw("INSERT INTO problem_parties (problem_id, user_id, ticket_id, added_at) VALUES "
                                  + parties.joined(separator: ", ") + " ON CONFLICT DO NOTHING").run()
                try await ProblemService.record(rows.map {
                    ProblemService.ProblemEvent(problemID: created.id, actorID: viewer.userID, kind: "ticket_linked", after: String($0.number), isPublic: false)
                }, at: now, on: sql)
                try await History.record(rows.map {
                    NewEvent(ticketID: $0.id, actorID: viewer.userID, kind: .problemLinked, field: "problem", after: code, isPublic: true, at: now)
                }, on: sql)
                return rows.map(\.id).max()
            }
        }
        try await context.services.bulkWrites.run {
            if !namedBatch.isEmpty { _ = try await linkBatch("id IN (\(binds: namedBatch))") }
            var cursor = 0
            while let last = try await linkBatch("""
                failure_kind = \(bind: kind.key) AND created_at >= \(bind: since) AND id > \(bind: cursor)
                """) { cursor = last }
        }
        // 3. The words, on every linked ticket and to every affected customer once.
        try await ProblemBroadcast.run(id: created.broadcast, context: context)
        return try await ProblemService.get(number: created.number, context: context)
    }
}
