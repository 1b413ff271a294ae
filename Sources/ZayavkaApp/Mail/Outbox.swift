import Fluent
import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Admins' replacements of the built-in mail texts, read through a short cache.
final class MailTemplateCache: Sendable {
    private struct TemplateRow: Decodable {
        let kind: String
        let language: String
        let subject: String
        let body: String
    }

    private let cache = RefreshingCache<[String: MailTemplate]>(ttl: 10)

    func template(_ kind: NotificationKind, _ language: Language, on sql: any SQLDatabase) async throws -> MailTemplate {
        let overrides = try await cache.value {
            var result: [String: MailTemplate] = [:]
            for row in try await sql.raw("SELECT kind, language, subject, body FROM mail_templates").all(decoding: TemplateRow.self) {
                result[row.kind + "/" + row.language] = MailTemplate(subject: row.subject, body: row.body)
            }
            return result
        }
        return overrides[kind.rawValue + "/" + language.rawValue] ?? MailTemplate.standard(kind, language)
    }

    func invalidate() { cache.invalidate() }
}

/// The outbox: every outgoing message is a row first (in the transaction of what caused it),
/// delivered later by `MailDelivery` with retries. With no relay configured, mail waits here and
/// admins see it.
enum Outbox {
    static let queued = Counter(label: "zayavka_mail_outbox_queued_total")

    static func enqueue(_ mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?, on sql: any SQLDatabase) async throws {
        try await enqueueAll([(mail, kind, ticketID, userID)], on: sql)
    }

    /// Many at once (the notifier): multi-row statements, 100 messages each.
    static func enqueueAll(_ items: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)], on sql: any SQLDatabase) async throws {
        let now = Date()
        // The last line behind address validation: a message whose headers could be split is never queued.
        let items = items.filter { $0.mail.hasSafeHeaders }
        for start in stride(from: 0, to: items.count, by: 100) {
            let chunk = items[start..<min(start + 100, items.count)]
            let rows: [SQLQueryString] = chunk.map { item in
                """
                (\(bind: item.kind.rawValue), \(bind: item.mail.to.map(\.address).joined(separator: ",")), \(bind: String(item.mail.subject.prefix(500))),
                 \(bind: Data(item.mail.render())), \(bind: item.mail.messageID), \(bind: item.ticketID), \(bind: item.userID), 'queued', \(bind: 0),
                 \(bind: now), \(bind: now), (SELECT id FROM mailboxes WHERE address = \(bind: item.mail.from.address.lowercased())))
                """
            }
            try await sql.raw("""
                INSERT INTO mail_outbox (kind, to_address, subject, raw, message_id, ticket_id, user_id, status, attempts, next_attempt_at, created_at,
                                         mailbox_id)
                VALUES
                """ + " " + rows.joined(separator: ", ")).run()
            try await MailThreads.remember(chunk.compactMap { item in item.ticketID.map { (item.mail.messageID, $0) } }, direction: "out", at: now, on: sql)
            queued.increment(by: chunk.count)
        }
    }

    /// Account and password mails (no ticket).
    static func enqueueAccountMail(_ kind: NotificationKind, to recipient: MailAddress, userID: Int, language: Language, token: String,
                                   services: AppServices, on sql: any SQLDatabase) async throws {
        let mail = try await accountMail(kind, to: recipient, language: language, token: token, services: services, on: sql)
        try await enqueue(mail, kind: kind, ticketID: nil, userID: userID, on: sql)
    }

    /// Tells a staff member that mail in their name could not be verified and was kept as an internal note.
    static func enqueueUnverifiedMailNotice(to person: SignedIn, email: String, ticketNumber: Int, subject: String,
                                            services: AppServices, on sql: any SQLDatabase) async throws {
        let configuration = services.configuration
        let kind = NotificationKind.unverifiedStaffMail
        let template = try await services.mailTemplates.template(kind, person.language, on: sql)
        let rendered = template.render(["name": person.name, "number": String(ticketNumber), "subject": String(subject.prefix(200)),
                                        "link": configuration.publicURL + SitePath.agentTicket(ticketNumber).path,
                                        "tag": configuration.mail.subjectTag])
        var mail = OutgoingMail(from: configuration.mail.from, to: [MailAddress(name: person.name, address: email)], subject: rendered.subject,
                                text: rendered.body, messageID: OutgoingMail.makeMessageID(tag: "zy.u", domain: configuration.mail.domain))
        mail.autoSubmitted = kind.autoSubmitted
        let ticketID = try await MailIntake.ticketIDFor(number: ticketNumber, on: sql)
        let notice = mail
        try await services.gate.run { try await enqueue(notice, kind: kind, ticketID: ticketID, userID: person.viewer.userID, on: sql) }
    }

    static func accountMail(_ kind: NotificationKind, to recipient: MailAddress, language: Language, token: String,
                            services: AppServices, on sql: any SQLDatabase) async throws -> OutgoingMail {
        let configuration = services.configuration
        let template = try await services.mailTemplates.template(kind, language, on: sql)
        let link = configuration.publicURL + SitePath.passwordSet.path + "?token=" + token
        let rendered = template.render(["name": recipient.name, "link": link, "tag": configuration.mail.subjectTag])
        var mail = OutgoingMail(from: configuration.mail.from, to: [recipient], subject: rendered.subject, text: rendered.body,
                                messageID: OutgoingMail.makeMessageID(tag: "zy.a", domain: configuration.mail.domain))
        mail.autoSubmitted = kind.autoSubmitted
        return mail
    }
}

/// Turns new history events into notifications (SPEC C2, V3, V4), exactly once: the outbox rows
/// and the notifier's position are written in one transaction.
enum MailNotifier {
    /// One history event with its ticket, as the notifier's query returns it (read column by
    /// column: on SQLite straight from SQLiteNIO, no `Decodable` machinery per row).
    private struct EventRow {
        let id: Int
        let ticketID: Int
        let actorID: Int?
        let actorRoleName: String?
        let actorName: String?
        let kind: String
        let field: String?
        let after: String?
        let commentID: Int?
        let isPublic: Bool
        let createdAt: Date
        let number: Int
        let subject: String
        let requesterID: Int
        let assigneeID: Int?
        let groupID: Int?
        let status: String
        let commentBody: String?
        let firstCommentID: Int?
        let reason: String?
        /// The comment's channel: chat messages are seen live, never mailed.
        let commentSource: String?

        var actorRole: Role? { actorRoleName.flatMap(Role.init(rawValue:)) }

        init(_ c: some Columns) throws {
            id = try c.int("id")
            ticketID = try c.int("ticket_id")
            actorID = try c.optInt("actor_id")
            actorRoleName = try c.optString("actor_role")
            actorName = try c.optString("actor_name")
            kind = try c.string("kind")
            field = try c.optString("field")
            after = try c.optString("after")
            commentID = try c.optInt("comment_id")
            isPublic = try c.bool("is_public")
            createdAt = try c.date("created_at")
            number = try c.int("number")
            subject = try c.string("subject")
            requesterID = try c.int("requester_id")
            assigneeID = try c.optInt("assignee_id")
            groupID = try c.optInt("group_id")
            status = try c.string("status")
            commentBody = try c.optString("comment_body")
            firstCommentID = try c.optInt("first_comment_id")
            reason = try c.optString("reason")
            commentSource = try c.optString("comment_source")
        }
    }

    private struct CommentIDRow: Decodable { let comment_id: Int? }
    private struct EscalationRow: Decodable {
        let ticket_id: Int
        let metric: String
        let escalation: String?
    }
    private struct MemberRow: Decodable {
        let group_id: Int
        let user_id: Int
    }
    private struct IDRow: Decodable { let id: Int }
    private struct PersonRow: Decodable {
        let id: Int
        let email: String
        let name: String
        let locale: String
        let role: String
        let no_password: Int
    }
    private struct ClockRow: Decodable {
        let ticket_id: Int
        let target_minutes: Int
        let due_at: Date?
    }
    private struct IncidentRow: Decodable {
        let ticket_id: Int
        let number: Int
        let incident_text_ru: String?
        let incident_text_en: String?
    }
    private struct CopyRow: Decodable {
        let ticket_id: Int
        let email: String
    }
    private struct ThreadRow: Decodable {
        let ticket_id: Int
        let message_id: String
        let direction: String
    }
    private struct NameRow: Decodable {
        let id: Int
        let name: String
    }

    private struct Person {
        let id: Int
        let email: String
        let name: String
        let language: Language
        let isStaff: Bool
        /// A customer who has never set a password: the acknowledgement carries the link to set one.
        let needsPassword: Bool
    }

    /// Handles up to `limit` events; returns how many.
    @discardableResult
    static func run(app: Application, limit: Int = 500) async throws -> Int {
        let services = app.services
        let sql = app.db as! any SQLDatabase
        // PostgreSQL: the events its trigger queued (M024), whatever order they committed in.
        // SQLite: the events past the position (one writer at a time: ids commit in order).
        let queued = sql.dialect.name == "postgresql"
        let cursor = queued ? 0 : try await sql.raw("SELECT value FROM job_cursors WHERE name = 'mail_events'").first()?.decode(column: "value", as: Int.self) ?? 0
        let source: SQLQueryString = queued
            ? "FROM mail_event_queue q JOIN ticket_events e ON e.id = q.event_id"
            : "FROM ticket_events e"
        let filter: SQLQueryString = queued ? "ORDER BY q.event_id" : "WHERE e.id > \(bind: cursor) ORDER BY e.id"
        let query: SQLQueryString = """
            SELECT e.id, e.ticket_id, e.actor_id, a.role AS actor_role, a.name AS actor_name, e.kind, e.field, e."after", e.comment_id, e.is_public,
                   e.created_at, t.number, t.subject, t.requester_id, t.assignee_id, t.group_id, t.status, c.body AS comment_body, c.source AS comment_source, e.reason,
                   (SELECT MIN(f.id) FROM comments f WHERE f.ticket_id = e.ticket_id) AS first_comment_id
            """ + " " + source + " " + """
            JOIN tickets t ON t.id = e.ticket_id
            LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN comments c ON c.id = e.comment_id
            """ + " " + filter + " LIMIT \(bind: limit)"
        let events: [EventRow]
        if let lite = SQLiteFastPath.database(sql), let rows = try await SQLiteFastPath.rows(query, on: sql, lite: lite) {
            events = try rows.map(EventRow.init)
        } else {
            events = try await sql.raw(query).all().map { try EventRow(SQLKitColumns(row: $0)) }
        }
        guard !events.isEmpty else { return 0 }
        let lastID = events.last!.id
        let commentIDs = events.compactMap(\.commentID) + events.compactMap(\.firstCommentID)
        // Comments that came from automatic mail: nobody answers them automatically.
        var automaticComments = Set<Int>()
        if !commentIDs.isEmpty {
            for row in try await sql.raw("""
                SELECT comment_id FROM mail_inbound WHERE comment_id IN (\(binds: Array(Set(commentIDs)))) AND is_automatic = \(bind: true)
                """).all(decoding: CommentIDRow.self) {
                if let id = row.comment_id { automaticComments.insert(id) }
            }
        }
        // Public replies per (ticket, actor, moment): a status change made with a reply is told in the reply.
        // A problem's update posted as a reply counts too: its mail tells the status change made with it.
        let replies = Set(events.filter { $0.kind == EventKind.commentAdded.rawValue || $0.kind == EventKind.problemUpdate.rawValue }.map { "\($0.ticketID)/\($0.actorID ?? 0)/\($0.createdAt.timeIntervalSince1970)" })
        let catalog = try await services.catalog.snapshot(app.db)
        // Who a breach is told to is the policy's escalation (per ticket and metric).
        var escalations: [String: SLAEscalation] = [:]
        let breached = events.filter { $0.kind == EventKind.slaBreached.rawValue }
        if !breached.isEmpty {
            for row in try await sql.raw("""
                SELECT c.ticket_id, c.metric, p.escalation FROM sla_clocks c JOIN sla_policies p ON p.id = c.policy_id
                WHERE c.ticket_id IN (\(binds: Array(Set(breached.map(\.ticketID)))))
                """).all(decoding: EscalationRow.self) {
                escalations["\(row.ticket_id)/\(row.metric)"] = try WorkingTimeJSON.escalation(row.escalation)
            }
        }

        var intents: [(EventRow, NotificationIntent)] = []
        for event in events {
            let kind: NotificationFacts.Event
            switch event.kind {
            case EventKind.created.rawValue: kind = .created
            case EventKind.commentAdded.rawValue:
                // The ticket's first comment is its description: the acknowledgement covers it.
                // A chat message is seen live (and kept in the ticket): one mail per line would be noise.
                kind = event.commentID == event.firstCommentID || event.commentSource == TicketChannel.chat.rawValue ? .other : .commentAdded
            case EventKind.statusChanged.rawValue: kind = .statusChanged
            case EventKind.assigned.rawValue: kind = .assigned
            case EventKind.slaWarning.rawValue: kind = .slaWarning
            case EventKind.slaBreached.rawValue: kind = .slaBreached
            case EventKind.markedCritical.rawValue: kind = .critical
            case EventKind.satisfactionRated.rawValue: kind = .rated
            default: kind = .other
            }
            let automatic = event.kind == EventKind.created.rawValue
                ? event.firstCommentID.map(automaticComments.contains) ?? false
                : event.commentID.map(automaticComments.contains) ?? false
            var facts = NotificationFacts(
                event: kind, actorID: event.actorID, actorIsStaff: event.actorRole?.isStaff ?? false, requesterID: event.requesterID,
                assigneeID: event.assigneeID, groupID: event.groupID,
                escalation: escalations["\(event.ticketID)/\(event.field ?? "")"] ?? .standard, newAssigneeID: event.kind == EventKind.assigned.rawValue ? event.after.flatMap { Int($0) } : nil,
                statusCategory: event.after.flatMap { catalog.workflow.definition($0)?.category },
                fromAutomaticMail: automatic,
                accompaniedByReply: replies.contains("\(event.ticketID)/\(event.actorID ?? 0)/\(event.createdAt.timeIntervalSince1970)"))
            facts.badRatingWithComment = kind == .rated && event.after == SatisfactionRating.bad.rawValue && !(event.reason ?? "").isEmpty
            for intent in NotificationRules.decide(facts) { intents.append((event, intent)) }
        }

        // Who they go to, the people copied, and each ticket's thread.
        var userIDs = Set<Int>()
        var supervisors: [Int] = []
        var groupMembers: [Int: [Int]] = [:]
        let groups = Set(intents.compactMap { if case .group(let id) = $0.1.recipient { id } else { nil } })
        if !groups.isEmpty {
            for row in try await sql.raw("""
                SELECT m.group_id, m.user_id FROM group_members m JOIN users u ON u.id = m.user_id
                WHERE m.group_id IN (\(binds: Array(groups))) AND u.is_active = \(bind: true) ORDER BY m.user_id
                """).all(decoding: MemberRow.self) {
                groupMembers[row.group_id, default: []].append(row.user_id)
                userIDs.insert(row.user_id)
            }
        }
        // A group's own dispatchers and managers (a bad rating); everyone's when the group has none.
        var groupSupervisors: [Int: [Int]] = [:]
        let supervisedGroups = Set(intents.compactMap { if case .groupSupervisors(let id?) = $0.1.recipient { id } else { nil } })
        if !supervisedGroups.isEmpty {
            for row in try await sql.raw("""
                SELECT m.group_id, m.user_id FROM group_members m JOIN users u ON u.id = m.user_id
                WHERE m.group_id IN (\(binds: Array(supervisedGroups))) AND u.is_active = \(bind: true) AND u.role IN ('dispatcher', 'manager')
                ORDER BY m.user_id
                """).all(decoding: MemberRow.self) {
                groupSupervisors[row.group_id, default: []].append(row.user_id)
                userIDs.insert(row.user_id)
            }
        }
        let needsAllSupervisors = intents.contains { intent in
            if intent.1.recipient == .supervisors { return true }
            if case .groupSupervisors(let group) = intent.1.recipient { return group.flatMap { groupSupervisors[$0] }?.isEmpty ?? true }
            return false
        }
        if needsAllSupervisors {
            supervisors = try await sql.raw("""
                SELECT id FROM users WHERE role IN ('dispatcher', 'manager') AND is_active = \(bind: true) ORDER BY id LIMIT 50
                """).all(decoding: IDRow.self).map(\.id)
            userIDs.formUnion(supervisors)
        }
        for (event, intent) in intents {
            switch intent.recipient {
            case .requester: userIDs.insert(event.requesterID)
            case .assignee: if let id = event.assigneeID { userIDs.insert(id) }
            case .user(let id): userIDs.insert(id)
            case .supervisors, .group, .groupSupervisors: break
            }
        }
        // SLA mails to the supervisors name the assignee.
        userIDs.formUnion(intents.compactMap { [.slaWarning, .slaBreached, .criticalTicket, .badRating].contains($0.1.kind) ? $0.0.assigneeID : nil })
        userIDs.formUnion(intents.compactMap { $0.1.kind == .badRating ? $0.0.requesterID : nil })
        var people: [Int: Person] = [:]
        if !userIDs.isEmpty {
            for row in try await sql.raw("""
                SELECT id, email, name, locale, role, CASE WHEN password_hash IS NULL THEN 1 ELSE 0 END AS no_password
                FROM users WHERE id IN (\(binds: Array(userIDs))) AND is_active = \(bind: true)
                """).all(decoding: PersonRow.self) {
                let role = Role(rawValue: row.role) ?? .customer
                people[row.id] = Person(id: row.id, email: row.email, name: row.name,
                                        language: Language(rawValue: row.locale) ?? services.configuration.defaultLanguage,
                                        isStaff: role.isStaff, needsPassword: role == .customer && row.no_password == 1)
            }
        }
        // When the acknowledgement promises an answer: the first-response clock of each new ticket.
        var firstResponse: [Int: (target: Int, due: Date)] = [:]
        let acknowledged = Set(intents.filter { $0.1.kind == .ticketCreated }.map(\.0.ticketID))
        if !acknowledged.isEmpty {
            for row in try await sql.raw("""
                SELECT ticket_id, target_minutes, due_at FROM sla_clocks
                WHERE ticket_id IN (\(binds: Array(acknowledged))) AND metric = \(bind: SLAMetric.firstResponse.rawValue) AND stopped_at IS NULL
                """).all(decoding: ClockRow.self) {
                guard let due = row.due_at else { continue }
                firstResponse[row.ticket_id] = (row.target_minutes, due)
            }
        }
        // A request linked on arrival to a mass incident: its acknowledgement carries the incident's words (SPEC P3).
        var incidents: [Int: IncidentRow] = [:]
        if !acknowledged.isEmpty {
            for row in try await sql.raw("""
                SELECT t.id AS ticket_id, p.number, p.incident_text_ru, p.incident_text_en FROM tickets t JOIN problems p ON p.id = t.problem_id
                WHERE t.id IN (\(binds: Array(acknowledged))) AND p.kind = \(bind: ProblemKind.outage.rawValue)
                """).all(decoding: IncidentRow.self) {
                incidents[row.ticket_id] = row
            }
        }
        // Articles that may already answer a new request (issue 17), for customers: public and customers' ones.
        var suggested: [Int: [(title: String, slug: String)]] = [:]
        if !acknowledged.isEmpty, try await sql.raw("SELECT id FROM kb_articles WHERE status = 'published' LIMIT 1").first() != nil {
            for (event, intent) in intents where intent.kind == .ticketCreated && acknowledged.contains(event.ticketID) && suggested[event.ticketID] == nil {
                suggested[event.ticketID] = try await SearchService.suggestions(forSubject: event.subject, audiences: [.public, .customers], language: nil,
                                                                                limit: 3, on: sql).map { ($0.title, $0.slug) }
            }
        }
        // Set-password links in acknowledgements, stored with the mails that carry them.
        var accountTokens: [(userID: Int, token: String)] = []
        var copies: [Int: [String]] = [:]
        var threads: [Int: [(id: String, direction: String)]] = [:]
        var senders: [Int: MailboxDirectory.Entry] = [:]
        if !intents.isEmpty {
            let tickets = Array(Set(intents.map(\.0.ticketID)))
            for row in try await sql.raw("SELECT ticket_id, email FROM ticket_ccs WHERE ticket_id IN (\(binds: tickets))").all(decoding: CopyRow.self) {
                copies[row.ticket_id, default: []].append(row.email)
            }
            for row in try await sql.raw("""
                SELECT ticket_id, message_id, direction FROM mail_threads WHERE ticket_id IN (\(binds: tickets)) ORDER BY id
                """).all(decoding: ThreadRow.self) {
                threads[row.ticket_id, default: []].append((row.message_id, row.direction))
            }
            // A ticket that came in on a support address is answered from it, with its name and signature (issue 21).
            let entries = try await services.mailboxes.entries(sql)
            if !entries.isEmpty {
                for row in try await sql.raw("SELECT ticket_id, mailbox_id FROM ticket_mailboxes WHERE ticket_id IN (\(binds: tickets))").all() {
                    let mailboxID = try row.decode(column: "mailbox_id", as: Int.self)
                    if let entry = entries.first(where: { $0.id == mailboxID }) { senders[try row.decode(column: "ticket_id", as: Int.self)] = entry }
                }
            }
        }
        var assigneeNames: [Int: String] = [:]
        let assigneeIDs = Set(events.compactMap { $0.kind == EventKind.assigned.rawValue ? $0.after.flatMap { Int($0) } : nil })
        if !assigneeIDs.isEmpty {
            for row in try await sql.raw("SELECT id, name FROM users WHERE id IN (\(binds: Array(assigneeIDs)))").all(decoding: NameRow.self) {
                assigneeNames[row.id] = row.name
            }
        }

        // The resolution report written with a solution (SPEC V6) goes in its mail, with the customer's two links.
        let solvedStatuses = Set(catalog.statuses.filter { $0.category == .solved }.map(\.key))
        let reportMoments = intents.filter { [.ticketSolved, .publicReply].contains($0.1.kind) && solvedStatuses.contains($0.0.status) }
            .map { (ticketID: $0.0.ticketID, at: $0.0.createdAt, number: $0.0.number) }
        let reports = try await ResolutionService.forMail(reportMoments, services: services, on: sql)
        var outgoing: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] = []
        let configuration = services.configuration
        // One intent to the supervisors is one mail to each of them (not to the person who is also the assignee twice).
        var expanded: [(EventRow, NotificationIntent, Int)] = []
        for (event, intent) in intents {
            switch intent.recipient {
            case .requester: expanded.append((event, intent, event.requesterID))
            case .assignee: if let id = event.assigneeID { expanded.append((event, intent, id)) }
            case .user(let id): expanded.append((event, intent, id))
            case .supervisors:
                for id in supervisors where !(intent.kind == .slaBreached && id == event.assigneeID) { expanded.append((event, intent, id)) }
            case .group(let group):
                for id in groupMembers[group] ?? [] where !(intent.kind == .slaBreached && id == event.assigneeID) { expanded.append((event, intent, id)) }
            case .groupSupervisors(let group):
                let own = group.flatMap { groupSupervisors[$0] } ?? []
                for id in own.isEmpty ? supervisors : own { expanded.append((event, intent, id)) }
            }
        }
        // Nobody gets the same mail about the same event twice (a dispatcher who is also in the group).
        var seen = Set<String>()
        expanded = expanded.filter { seen.insert("\($0.0.id)/\($0.1.kind.rawValue)/\($0.2)").inserted }
        for (event, intent, recipientID) in expanded {
            guard let person = people[recipientID], !person.email.hasSuffix(".invalid") else { continue }
            let template = try await services.mailTemplates.template(intent.kind, person.language, on: sql)
            // A customer's mail names the status as customers read it ("Ждём вашего ответа").
            let statusName = catalog.statuses.first { $0.key == event.status }
                .map { $0.name(person.language, forStaff: person.isStaff && !intent.kind.isForCustomer) } ?? event.status
            let link = person.isStaff && !intent.kind.isForCustomer
                ? configuration.publicURL + SitePath.agentTicket(event.number).path
                : configuration.publicURL + SitePath.portalRequest(event.number).path
            let values: [String: String] = [
                "name": person.name, "number": String(event.number), "subject": event.subject, "link": link,
                "body": event.commentBody ?? "", "status": statusName, "tag": configuration.mail.subjectTag,
                "assignee": event.after.flatMap { Int($0) }.flatMap { assigneeNames[$0] } ?? "",
                "actor": event.actorName ?? "", "requester": people[event.requesterID]?.name ?? "",
            ]
            var filled = values
            if [.ticketSolved, .publicReply].contains(intent.kind), let found = reports[event.ticketID],
               abs(found.at.timeIntervalSince(event.createdAt)) < 1 {
                let text = ResolutionText.mail(found.report, works: found.works, notWorking: found.notWorking, person.language)
                if intent.kind == .publicReply { filled["body"] = (filled["body"] ?? "") + "\n" + text } else { filled["resolution"] = text }
            }
            if intent.kind == .badRating {
                filled["comment"] = event.reason ?? ""
                filled["rating"] = event.after ?? ""
                filled["assignee"] = event.assigneeID.flatMap { people[$0]?.name } ?? (person.language == .ru ? "не назначен" : "nobody")
            }
            if intent.kind == .criticalTicket {
                filled["metric"] = event.after ?? ""
                filled["assignee"] = event.assigneeID.flatMap { people[$0]?.name } ?? (person.language == .ru ? "не назначен" : "nobody")
            }
            if intent.kind == .ticketCreated {
                let clock = firstResponse[event.ticketID]
                filled["reply_by"] = AcknowledgementText.replyBy(targetMinutes: clock?.target, due: clock.map { SLAMetricNames.moscowTime($0.due) },
                                                                 person.language)
                var accountLink: String?
                if person.needsPassword, !accountTokens.contains(where: { $0.userID == person.id }) {
                    let token = PasswordTokens.makeToken()
                    accountTokens.append((person.id, token))
                    accountLink = configuration.publicURL + SitePath.passwordSet.path + "?token=" + token
                }
                filled["account"] = AcknowledgementText.account(link: accountLink, person.language)
                filled["articles"] = person.isStaff ? "" : AcknowledgementText.articles(
                    (suggested[event.ticketID] ?? []).map { ($0.title, configuration.publicURL + SitePath.kbArticle($0.slug).path) }, person.language)
                let incident = incidents[event.ticketID]
                filled["incident"] = AcknowledgementText.incident(code: incident.map { ProblemNumber.format($0.number) },
                                                                  text: person.language == .en ? incident?.incident_text_en : incident?.incident_text_ru,
                                                                  person.language)
            }
            if intent.kind == .slaWarning || intent.kind == .slaBreached {
                filled["metric"] = SLAMetricNames.name(event.field ?? "", person.language)
                filled["due"] = event.after.flatMap { try? Date($0, strategy: .iso8601) }.map(SLAMetricNames.moscowTime) ?? ""
                filled["assignee"] = event.assigneeID.flatMap { people[$0]?.name } ?? (person.language == .ru ? "не назначен" : "nobody")
            }
            var rendered = template.render(filled)
            // An acknowledgement template edited before `{{account}}` existed still carries the set-password link.
            if let account = filled["account"], !account.isEmpty, !template.body.contains("{{account}}") {
                rendered.body += "\n" + account
            }
            if let resolution = filled["resolution"], !resolution.isEmpty, !template.body.contains("{{resolution}}") {
                rendered.body += "\n" + resolution
            }
            // So does an incident's line, for a template edited before `{{incident}}` existed.
            if let incident = filled["incident"], !incident.isEmpty, !template.body.contains("{{incident}}") {
                rendered.body += "\n" + incident
            }
            var recipients = [MailAddress(name: person.name, address: person.email)]
            if [.publicReply, .ticketSolved].contains(intent.kind) {
                recipients += (copies[event.ticketID] ?? []).filter { $0 != person.email }.map { MailAddress(address: $0) }
            }
            let thread = threads[event.ticketID] ?? []
            let sender = senders[event.ticketID]
            var text = rendered.body
            if let signature = sender?.signature, !signature.isEmpty, !person.isStaff { text += "\n-- \n" + signature }
            for recipient in recipients {
                var mail = OutgoingMail(from: sender.map { MailAddress(name: $0.senderName, address: $0.address) } ?? configuration.mail.from,
                                        to: [recipient], subject: rendered.subject, text: text,
                                        messageID: OutgoingMail.makeMessageID(tag: "zy.\(event.number)", domain: configuration.mail.domain))
                mail.autoSubmitted = intent.kind.autoSubmitted
                mail.inReplyTo = thread.last(where: { $0.direction == "in" })?.id ?? thread.last?.id
                var references = [thread.first?.id].compactMap { $0 } + thread.suffix(4).map(\.id)
                references = references.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
                mail.references = references
                outgoing.append((mail: mail, kind: intent.kind, ticketID: event.ticketID, userID: recipientID))
            }
        }

        let toSend = outgoing
        let tokens = accountTokens
        // Another instance may have done this batch (or part of it): its transaction rolls back and
        // nothing is written twice.
        struct BatchTaken: Error {}
        do {
            try await services.gate.run {
                try await app.db.transaction { db in
                    let sql = db as! any SQLDatabase
                    if queued {
                        let ids = events.map(\.id)
                        let taken = try await sql.raw("DELETE FROM mail_event_queue WHERE event_id IN (\(binds: ids)) RETURNING event_id").all()
                        guard taken.count == ids.count else { throw BatchTaken() }
                    } else {
                        let moved = try await sql.raw("""
                            UPDATE job_cursors SET value = \(bind: lastID) WHERE name = 'mail_events' AND value = \(bind: cursor) RETURNING value
                            """).first()
                        guard moved != nil else { throw BatchTaken() }
                    }
                    try await PasswordTokens.store(tokens, purpose: .account, on: sql)
                    try await Outbox.enqueueAll(toSend, on: sql)
                }
            }
        } catch is BatchTaken {
            return 0
        }
        return events.count
    }
}

/// Words for SLA mails.
enum SLAMetricNames {
    static func name(_ metric: String, _ language: Language) -> String {
        let ru = language == .ru
        switch SLAMetric(rawValue: metric) {
        case .firstResponse: return ru ? "первый ответ" : "first response"
        case .nextResponse: return ru ? "следующий ответ" : "next response"
        case .resolution: return ru ? "решение" : "resolution"
        case .promise: return ru ? "обещанный срок решения" : "promised solution time"
        case nil: return metric
        }
    }

    static func moscowTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(c.day)).\(two(c.month)).\(c.year ?? 0) \(two(c.hour)):\(two(c.minute))"
    }
}

/// Delivers due outbox messages through the relay; retries with backoff; marks failures with the
/// server's reason (SPEC N4).
enum MailDelivery {
    static let sent = Counter(label: "zayavka_mail_sent_total")
    static let failed = Counter(label: "zayavka_mail_failed_total")

    /// A message claimed for delivery.
    private struct ClaimedRow: Decodable {
        let id: Int
        let to_address: String
        let raw: Data
        let attempts: Int
        let mailbox_id: Int?
    }

    /// Delivers up to `limit` due messages; returns how many were tried. Mail from a support address
    /// with its own submission settings goes through them, as that address (issue 21); the rest
    /// through the desk's relay.
    @discardableResult
    static func run(app: Application, limit: Int = 200) async throws -> Int {
        let services = app.services
        let deskRelay = services.configuration.mail.relay
        let sql = app.db as! any SQLDatabase
        let now = Date()
        // The full rows (with their sealed passwords) only when some address sends or keeps copies of its own.
        let own = try await services.mailboxes.entries(sql).contains { $0.sends || $0.keepsCopies }
        let mailboxes = own ? try await sql.raw("SELECT \(unsafeRaw: MailboxRow.columns) FROM mailboxes WHERE smtp_host IS NOT NULL OR save_sent = \(bind: true)")
            .all(decoding: MailboxRow.self) : []
        let sending = mailboxes.filter { $0.smtp_host != nil }.map(\.id)
        guard deskRelay != nil || !sending.isEmpty else { return 0 }
        // Without a desk relay only mail that has a mailbox of its own to go through is taken.
        let onlyMailboxes: SQLQueryString = deskRelay == nil ? " AND mailbox_id IN (\(binds: sending))" : ""
        // Claimed for ten minutes: a crash mid-delivery hands them back then. Several instances claim
        // at once on PostgreSQL: rows another one is claiming are skipped, and the outer condition is
        // checked again on the row as it is when the lock is had (the subquery's answer is not), so
        // a message is never claimed twice.
        let claimed = try await services.gate.run {
            try await sql.raw("""
                UPDATE mail_outbox SET status = 'sending', next_attempt_at = \(bind: now.addingTimeInterval(600))
                WHERE id IN (SELECT id FROM mail_outbox WHERE status IN ('queued', 'sending') AND next_attempt_at <= \(bind: now)
                """ + onlyMailboxes + """
                             ORDER BY id LIMIT \(bind: limit)
                """ + " " + SQLClaim.skipLocked(sql) + """
                ) AND status IN ('queued', 'sending') AND next_attempt_at <= \(bind: now)
                RETURNING id, to_address, raw, attempts, mailbox_id
                """).all(decoding: ClaimedRow.self)
        }
        guard !claimed.isEmpty else { return 0 }
        struct Item { let id: Int; let attempts: Int; let envelope: Envelope; let mailboxID: Int? }
        let byID = Dictionary(uniqueKeysWithValues: mailboxes.map { ($0.id, $0) })
        let deskSender = services.configuration.mail.from.address
        // Each route: the relay and the mailbox it belongs to (nil: the desk's).
        var routes: [Int?: (relay: SMTPRelay?, failure: String?)] = [nil: (deskRelay, nil)]
        var items: [Item] = []
        for row in claimed.sorted(by: { $0.id < $1.id }) {
            let box = row.mailbox_id.flatMap { byID[$0] }
            let route = box?.smtp_host != nil ? box?.id : nil
            if let box, route != nil, routes[route] == nil {
                do { routes[route] = (try box.relay(services.configuration), nil) } catch {
                    routes[route] = (nil, "the mailbox's SMTP password cannot be decrypted (ZAYAVKA_SECRET_KEY)")
                }
            }
            items.append(Item(id: row.id, attempts: row.attempts,
                              envelope: Envelope(sender: route != nil ? (box?.address ?? deskSender) : deskSender,
                                                 recipients: row.to_address.split(separator: ",").map(String.init), data: Array(row.raw)),
                              mailboxID: route))
        }
        // A few connections at once, many messages per connection, one relay each.
        var chunks: [(relay: SMTPRelay?, failure: String?, items: [Item])] = []
        for (route, target) in routes {
            let mine = items.filter { $0.mailboxID == route }
            for start in stride(from: 0, to: mine.count, by: 50) { chunks.append((target.relay, target.failure, Array(mine[start..<min(start + 50, mine.count)]))) }
        }
        let group = app.eventLoopGroup
        let results = await withTaskGroup(of: [(Item, Result<SMTPReply, SMTPDeliveryError>)].self) { tasks in
            var started = 0
            var collected: [(Item, Result<SMTPReply, SMTPDeliveryError>)] = []
            for chunk in chunks {
                if started >= 4, let done = await tasks.next() { collected += done }
                tasks.addTask {
                    guard let relay = chunk.relay else {
                        let error = SMTPDeliveryError(message: chunk.failure ?? "no relay", reply: nil)
                        return chunk.items.map { ($0, .failure(error)) }
                    }
                    return Array(zip(chunk.items, await SMTPClient.deliver(chunk.items.map(\.envelope), via: relay, group: group)))
                }
                started += 1
            }
            for await done in tasks { collected += done }
            return collected
        }
        // Copies in the Sent folders of mailboxes that keep them (after the delivery, never holding it up).
        var copies: [Int: [[UInt8]]] = [:]
        for (item, result) in results {
            if case .success = result, let id = claimed.first(where: { $0.id == item.id })?.mailbox_id, byID[id]?.save_sent == true {
                copies[id, default: []].append(item.envelope.data)
            }
        }
        for (id, messages) in copies { if let box = byID[id] { MailboxFetcher.saveSentCopies(messages, mailbox: box, app: app) } }
        let mail = services.configuration.mail
        let finished = Date()
        try await services.gate.run {
            try await app.db.transaction { db in
                let sql = db as! any SQLDatabase
                // Delivered: one statement for all of them.
                let delivered = results.compactMap { item, result -> Int? in if case .success = result { return item.id } else { return nil } }
                if !delivered.isEmpty {
                    sent.increment(by: delivered.count)
                    try await sql.raw("""
                        UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = \(bind: finished), last_error = NULL
                        WHERE id IN (\(binds: delivered))
                        """).run()
                }
                for (item, result) in results {
                    let attempts = item.attempts + 1
                    switch result {
                    case .success:
                        break
                    case .failure(let error):
                        let permanent = error.isPermanent || attempts >= mail.attempts
                        if permanent { failed.increment() }
                        let delay = min(mail.retrySeconds * pow(2, Double(attempts - 1)), 6 * 3600)
                        try await sql.raw("""
                            UPDATE mail_outbox SET status = \(bind: permanent ? "failed" : "queued"), attempts = \(bind: attempts),
                                   last_error = \(bind: String(error.description.prefix(1000))),
                                   next_attempt_at = \(bind: finished.addingTimeInterval(delay))
                            WHERE id = \(bind: item.id)
                            """).run()
                    }
                }
            }
        }
        return items.count
    }
}

/// Runs mail in the background of `zayavka serve`: the SMTP/LMTP listeners, intake of stored
/// messages, the notifier and delivery. Each loop logs a failure and carries on.
struct MailWorker: LifecycleHandler {
    private struct ListenersKey: StorageKey { typealias Value = [SMTPServer] }
    private struct TasksKey: StorageKey { typealias Value = [Task<Void, Never>] }
    private struct SupervisorKey: StorageKey { typealias Value = MailboxSupervisor }

    /// Wakes the loops early (a message was just stored).
    static func poke(_ services: AppServices) { services.mailSignal.poke() }

    func didBootAsync(_ application: Application) async throws {
        let services = application.services
        let mail = services.configuration.mail
        try await MailIntake.requeueInterrupted(app: application)
        var listeners: [SMTPServer] = []
        let databases = application.databases
        let eventLoops = application.eventLoopGroup
        let logger = application.logger
        let receiver = InboundReceiver(services: services, database: { databases.database(logger: logger, on: eventLoops.any()) })
        for (port, mode) in [(mail.smtpPort, SMTPServer.Mode.smtp), (mail.lmtpPort, .lmtp)] {
            guard let port else { continue }
            let configuration = SMTPServer.Configuration(host: mail.listenHost, port: port, mode: mode, hostname: mail.domain,
                                                         maxMessageBytes: mail.maxMessageBytes)
            let server = try await SMTPServer.start(configuration, receiver: receiver, group: application.eventLoopGroup, logger: logger)
            logger.notice("\(mode == .smtp ? "SMTP" : "LMTP") listener started", metadata: ["address": "\(mail.listenHost):\(server.port)"])
            listeners.append(server)
        }
        application.storage[ListenersKey.self] = listeners
        let loops: [(String, @Sendable () async throws -> Int)] = [
            ("mail intake", { try await MailIntake.runBatch(app: application) }),
            // The notifier steps aside while a bulk write runs on this instance; it catches up after.
            ("mail notifier", { services.bulkWrites.active ? 0 : try await MailNotifier.run(app: application) }),
            ("mail delivery", { try await MailDelivery.run(app: application) }),
            // Webhooks (issue 19): history events into deliveries, then the deliveries out.
            ("webhooks", { try await WebhookDispatcher.fanOut(app: application) + WebhookDispatcher.deliver(app: application) }),
        ]
        // Hosted mailboxes over IMAP (issue 21): one task per mailbox this instance holds.
        let supervisor = MailboxSupervisor()
        application.storage[SupervisorKey.self] = supervisor
        let watch = Task {
            while !Task.isCancelled {
                do { try await supervisor.reconcile(app: application) } catch {
                    logger.error("mailbox supervisor failed; will try again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
        application.storage[TasksKey.self] = [watch] + loops.map { name, step in
            Task {
                while !Task.isCancelled {
                    var done = 0
                    do { done = try await step() } catch {
                        logger.error("\(name) failed; will try again", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(2))
                    }
                    if done == 0 { await services.mailSignal.wait(timeout: .milliseconds(250)) }
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        for task in application.storage[TasksKey.self] ?? [] { task.cancel() }
        for task in application.storage[TasksKey.self] ?? [] { await task.value }
        await application.storage[SupervisorKey.self]?.stopAll(app: application)
        for server in application.storage[ListenersKey.self] ?? [] { await server.stop() }
    }
}

/// A wake-up for the mail loops: `wait` returns on a poke or after the timeout.
final class MailSignal: Sendable {
    private let generation = NIOLockedValueBox(0)

    func poke() { generation.withLockedValue { $0 += 1 } }

    func wait(timeout: Duration) async {
        let start = generation.withLockedValue { $0 }
        let step = Duration.milliseconds(25)
        var waited = Duration.zero
        while waited < timeout {
            try? await Task.sleep(for: step)
            waited += step
            if generation.withLockedValue({ $0 }) != start || Task.isCancelled { return }
        }
    }
}
