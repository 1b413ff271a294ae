import Crypto
import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Turns history events into webhook deliveries and sends them (issue 19, SPEC C6).
///
/// A trigger queues every history event while some subscription is active, in the transaction that
/// writes it. `fanOut` takes queued events, builds one JSON body per event and subscription and
/// stores them as deliveries in the transaction that removes the events from the queue (another
/// instance that took the same events rolls back). `deliver` claims due deliveries (skipping rows
/// another instance holds on PostgreSQL), POSTs them signed, and records the answer: a 2xx is
/// delivered; anything else is tried again with doubling delays, and after the last attempt the
/// delivery has failed. A process killed meanwhile loses nothing: a claim runs out after a minute
/// and the delivery is sent again (at least once; the receiver sees the same event id).
enum WebhookDispatcher {
    static let signal = MailSignal()
    static let sent = Counter(label: "zayavka_webhook_deliveries_total")
    static let failedAttempts = Counter(label: "zayavka_webhook_failed_attempts_total")

    private struct EventRow: Decodable {
        let id: Int
        let ticket_id: Int
        let actor_id: Int?
        let kind: String
        let field: String?
        let before: String?
        let after: String?
        let comment_id: Int?
        let is_public: Bool
        let created_at: Date
    }

    private struct TicketRow: Decodable {
        let id: Int
        let number: Int
        let subject: String
        let status: String
        let priority: Int
        let type: String
        let channel: String
        let requester_id: Int
        let assignee_id: Int?
        let group_id: Int?
        let organization_id: Int?
        let created_at: Date
        let updated_at: Date
        let requester_email: String?
        let requester_name: String?
    }

    private struct CommentRow: Decodable {
        let id: Int
        let body: String
        let is_public: Bool
        let author_id: Int?
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// One notification for the receiver: its type, the history events it stands for, what it says.
    private struct Notice {
        let eventID: String
        let type: WebhookEvent
        let ticketID: Int
        let at: Date
        var body: [String: Any]
    }

    /// Moves up to `limit` queued history events into deliveries; returns how many events were taken.
    @discardableResult
    static func fanOut(app: Application, limit: Int = 500) async throws -> Int {
        let sql = app.db as! any SQLDatabase
        // The ids first, then their events: exactly the events of the ids this run takes off the queue.
        let queued = try await sql.raw("SELECT event_id FROM webhook_event_queue ORDER BY event_id LIMIT \(bind: limit)").all()
            .map { try $0.decode(column: "event_id", as: Int.self) }
        guard !queued.isEmpty else { return 0 }
        let events = try await sql.raw("""
            SELECT id, ticket_id, actor_id, kind, field, before, after, comment_id, is_public, created_at
            FROM ticket_events WHERE id IN (\(binds: queued)) ORDER BY id
            """).all(decoding: EventRow.self)
        let hooks = try await sql.raw("SELECT \(unsafeRaw: WebhookService.columns) FROM webhooks WHERE active = \(bind: true)")
            .all(decoding: WebhookService.Row.self)
        var notices: [Notice] = []
        if !hooks.isEmpty && !events.isEmpty {
            notices = try await self.notices(for: events, app: app)
        }
        var rows: [SQLQueryString] = []
        let now = Date()
        for notice in notices {
            let payload = encode(notice.body)
            for hook in hooks where hook.eventList.contains(notice.type.rawValue) {
                rows.append("(\(bind: hook.id), \(bind: notice.eventID), \(bind: notice.type.rawValue), \(bind: notice.ticketID), \(bind: payload), 'queued', 0, \(bind: now), \(bind: now))")
            }
        }
        let ids = queued
        let toInsert = rows
        struct Taken: Error {}
        do {
            try await app.services.gate.run {
                try await app.db.transaction { db in
                    let sql = db as! any SQLDatabase
                    let taken = try await sql.raw("DELETE FROM webhook_event_queue WHERE event_id IN (\(binds: ids)) RETURNING event_id").all()
                    guard taken.count == ids.count else { throw Taken() }
                    for start in stride(from: 0, to: toInsert.count, by: 200) {
                        try await sql.raw("""
                            INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, ticket_id, payload, status, attempts, next_attempt_at, created_at)
                            VALUES
                            """ + " " + toInsert[start..<min(start + 200, toInsert.count)].joined(separator: ", ") + " ON CONFLICT (webhook_id, event_id) DO NOTHING").run()
                    }
                }
            }
        } catch is Taken {
            return 0
        }
        if !toInsert.isEmpty { signal.poke() }
        return ids.count
    }

    /// What the receivers are told about a run of history events: one notice per event, except that
    /// field changes of one ticket made together (same moment, same person) are one `ticket.updated`.
    private static func notices(for events: [EventRow], app: Application) async throws -> [Notice] {
        let sql = app.db as! any SQLDatabase
        let ticketIDs = Array(Set(events.map(\.ticket_id)))
        var tickets: [Int: TicketRow] = [:]
        for row in try await sql.raw("""
            SELECT t.id, t.number, t.subject, t.status, t.priority, t.type, t.channel, t.requester_id, t.assignee_id, t.group_id, t.organization_id,
                   t.created_at, t.updated_at, u.email AS requester_email, u.name AS requester_name
            FROM tickets t LEFT JOIN users u ON u.id = t.requester_id WHERE t.id IN (\(binds: ticketIDs))
            """).all(decoding: TicketRow.self) { tickets[row.id] = row }
        let commentIDs = events.compactMap { [EventKind.commentAdded.rawValue, EventKind.noteAdded.rawValue].contains($0.kind) ? $0.comment_id : nil }
        var comments: [Int: CommentRow] = [:]
        if !commentIDs.isEmpty {
            for row in try await sql.raw("SELECT id, body, is_public, author_id FROM comments WHERE id IN (\(binds: commentIDs))").all(decoding: CommentRow.self) {
                comments[row.id] = row
            }
        }
        let statuses = try await app.services.catalog.snapshot(app.db).statuses
        func category(_ key: String?) -> StatusCategory? { key.flatMap { k in statuses.first { $0.key == k }?.category } }
        func ticketObject(_ id: Int) -> [String: Any] {
            guard let t = tickets[id] else { return ["id": id] }
            var object: [String: Any] = [
                "number": t.number, "subject": t.subject, "status": t.status, "type": t.type, "channel": t.channel,
                "priority": TicketPriority(rank: t.priority)?.rawValue ?? String(t.priority),
                "requester": ["id": t.requester_id, "email": t.requester_email ?? "", "name": t.requester_name ?? ""],
                "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
            ]
            object["assignee_id"] = t.assignee_id ?? NSNull()
            object["group_id"] = t.group_id ?? NSNull()
            object["organization_id"] = t.organization_id ?? NSNull()
            return object
        }
        func base(_ id: String, _ type: WebhookEvent, _ e: EventRow) -> Notice {
            var body: [String: Any] = ["id": id, "type": type.rawValue, "created_at": iso(e.created_at), "ticket": ticketObject(e.ticket_id)]
            body["actor_id"] = e.actor_id ?? NSNull()
            return Notice(eventID: id, type: type, ticketID: e.ticket_id, at: e.created_at, body: body)
        }
        var out: [Notice] = []
        var index = 0
        while index < events.count {
            let e = events[index]
            switch EventKind(rawValue: e.kind) {
            case .created:
                out.append(base("evt_\(e.id)", .created, e))
            case .fieldChanged, .assigned:
                // Every field change of this ticket in the same write: one notice listing them.
                var changes: [[String: Any]] = []
                var last = index
                while last < events.count, events[last].ticket_id == e.ticket_id, events[last].created_at == e.created_at,
                      events[last].actor_id == e.actor_id,
                      [EventKind.fieldChanged.rawValue, EventKind.assigned.rawValue].contains(events[last].kind) {
                    let change = events[last]
                    changes.append(["field": change.kind == EventKind.assigned.rawValue ? "assignee_id" : (change.field ?? ""),
                                    "before": change.before.map { $0 as Any } ?? NSNull(), "after": change.after.map { $0 as Any } ?? NSNull()])
                    last += 1
                }
                var notice = base("evt_\(e.id)", .updated, e)
                notice.body["changes"] = changes
                out.append(notice)
                index = last
                continue
            case .statusChanged:
                var notice = base("evt_\(e.id)", .statusChanged, e)
                notice.body["changes"] = [["field": "status", "before": e.before.map { $0 as Any } ?? NSNull(), "after": e.after.map { $0 as Any } ?? NSNull()]]
                out.append(notice)
                switch category(e.after) {
                case .solved: out.append(base("evt_\(e.id).solved", .solved, e))
                case .closed: out.append(base("evt_\(e.id).closed", .closed, e))
                default: break
                }
            case .commentAdded, .noteAdded:
                var notice = base("evt_\(e.id)", .commented, e)
                if let id = e.comment_id, let comment = comments[id] {
                    var object: [String: Any] = ["id": comment.id, "public": comment.is_public, "body": comment.body]
                    object["author_id"] = comment.author_id ?? NSNull()
                    notice.body["comment"] = object
                } else {
                    notice.body["comment"] = ["id": e.comment_id.map { $0 as Any } ?? NSNull(), "public": e.kind == EventKind.commentAdded.rawValue]
                }
                out.append(notice)
            case .problemLinked:
                var notice = base("evt_\(e.id)", .problemLinked, e)
                notice.body["problem"] = e.after.map { $0 as Any } ?? NSNull()
                out.append(notice)
            default:
                break
            }
            index += 1
        }
        return out
    }

    private struct ClaimedRow: Decodable {
        let id: Int
        let webhook_id: Int
        let event_id: String
        let event_type: String
        let payload: String
        let attempts: Int
    }

    /// The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    static func signature(secret: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Sends up to `limit` due deliveries; returns how many were tried.
    @discardableResult
    static func deliver(app: Application, limit: Int = 100) async throws -> Int {
        let services = app.services
        let configuration = services.configuration
        let sql = app.db as! any SQLDatabase
        let now = Date()
        try await releaseOrphans(app: app)
        // A read first: the claim below takes SQLite's write lock, which an idle loop should not do four times a second.
        guard try await sql.raw("""
            SELECT id FROM webhook_deliveries WHERE status IN ('queued', 'sending') AND next_attempt_at <= \(bind: now) LIMIT 1
            """).first() != nil else { return 0 }
        // Claimed for a minute: a crash mid-delivery hands them back then (at once to a restart on this machine).
        let claimed = try await services.gate.run {
            try await sql.raw("""
                UPDATE webhook_deliveries SET status = 'sending', next_attempt_at = \(bind: now.addingTimeInterval(60)),
                       claimed_by = \(bind: ProcessIdentity.process)
                WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                             WHERE d.status IN ('queued', 'sending') AND d.next_attempt_at <= \(bind: now) AND w.active = \(bind: true)
                             ORDER BY d.id LIMIT \(bind: limit)
                """ + " " + SQLClaim.skipLocked(sql) + """
                ) AND status IN ('queued', 'sending') AND next_attempt_at <= \(bind: now)
                RETURNING id, webhook_id, event_id, event_type, payload, attempts
                """).all(decoding: ClaimedRow.self)
        }
        guard !claimed.isEmpty else { return 0 }
        let hookIDs = Array(Set(claimed.map(\.webhook_id)))
        var hooks: [Int: WebhookService.Row] = [:]
        for row in try await sql.raw("SELECT \(unsafeRaw: WebhookService.columns) FROM webhooks WHERE id IN (\(binds: hookIDs))").all(decoding: WebhookService.Row.self) {
            hooks[row.id] = row
        }
        // The target is checked again now: a name may resolve elsewhere than when it was saved.
        var refusals: [Int: String] = [:]
        var secrets: [Int: String] = [:]
        for hook in hooks.values {
            if let refusal = await WebhookTargets.check(hook.url, configuration: configuration) { refusals[hook.id] = "refused: " + refusal.reason }
            secrets[hook.id] = (try? MailboxSecrets.open(hook.secret, configuration: configuration))
            if secrets[hook.id] == nil { refusals[hook.id] = "the signing secret cannot be decrypted (ZAYAVKA_SECRET_KEY)" }
        }
        struct Outcome: Sendable { let id: Int; let hook: Int; let attempts: Int; let status: Int?; let response: String?; let error: String?; let ms: Int }
        let hookURLs = hooks.mapValues(\.url)
        let known = secrets
        let refused = refusals
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            var started = 0
            var out: [Outcome] = []
            for item in claimed {
                if started >= 8, let done = await group.next() { out.append(done) }
                started += 1
                group.addTask {
                    let attempts = item.attempts + 1
                    guard let url = hookURLs[item.webhook_id], let secret = known[item.webhook_id], refused[item.webhook_id] == nil else {
                        return Outcome(id: item.id, hook: item.webhook_id, attempts: attempts, status: nil, response: nil,
                                       error: refused[item.webhook_id] ?? "the subscription is gone", ms: 0)
                    }
                    let started = Date()
                    let timestamp = Int(started.timeIntervalSince1970)
                    var headers = HTTPHeaders()
                    headers.add(name: .contentType, value: "application/json; charset=utf-8")
                    headers.add(name: .userAgent, value: "Zayavka-Webhooks/1")
                    headers.add(name: "X-Zayavka-Event", value: item.event_type)
                    headers.add(name: "X-Zayavka-Event-Id", value: item.event_id)
                    headers.add(name: "X-Zayavka-Delivery", value: String(item.id))
                    headers.add(name: "X-Zayavka-Signature", value: signature(secret: secret, timestamp: timestamp, body: item.payload))
                    do {
                        var request = ClientRequest(method: .POST, url: URI(string: url), headers: headers, body: ByteBuffer(string: item.payload))
                        request.timeout = .seconds(10)
                        let response = try await app.client.send(request)
                        let text = response.body.map { String(buffer: $0) }.map { String($0.prefix(1000)) }
                        let ms = Int(Date().timeIntervalSince(started) * 1000)
                        return Outcome(id: item.id, hook: item.webhook_id, attempts: attempts, status: Int(response.status.code), response: text,
                                       error: (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)", ms: ms)
                    } catch {
                        return Outcome(id: item.id, hook: item.webhook_id, attempts: attempts, status: nil, response: nil,
                                       error: String("\(error)".prefix(500)), ms: Int(Date().timeIntervalSince(started) * 1000))
                    }
                }
            }
            for await done in group { out.append(done) }
            return out
        }
        let finished = Date()
        let retry = configuration.webhookRetrySeconds
        let maxAttempts = configuration.webhookAttempts
        let disableAfter = configuration.webhookDisableAfter
        let disabled: [(Int, String)] = try await services.gate.run {
            try await app.db.transaction { db in
                let sql = db as! any SQLDatabase
                var disabled: [(Int, String)] = []
                for outcome in outcomes {
                    if outcome.error == nil {
                        sent.increment()
                        try await sql.raw("""
                            UPDATE webhook_deliveries SET status = 'delivered', attempts = \(bind: outcome.attempts), last_status = \(bind: outcome.status),
                                   last_response = \(bind: outcome.response), last_error = NULL, duration_ms = \(bind: outcome.ms), delivered_at = \(bind: finished)
                            WHERE id = \(bind: outcome.id)
                            """).run()
                        try await sql.raw("UPDATE webhooks SET failures = 0 WHERE id = \(bind: outcome.hook) AND failures > 0").run()
                        continue
                    }
                    failedAttempts.increment()
                    let final = outcome.attempts >= maxAttempts
                    let delay = min(retry * pow(2, Double(outcome.attempts - 1)), 6 * 3600)
                    try await sql.raw("""
                        UPDATE webhook_deliveries SET status = \(bind: final ? "failed" : "queued"), attempts = \(bind: outcome.attempts),
                               last_status = \(bind: outcome.status), last_response = \(bind: outcome.response), last_error = \(bind: outcome.error),
                               duration_ms = \(bind: outcome.ms), next_attempt_at = \(bind: finished.addingTimeInterval(delay))
                        WHERE id = \(bind: outcome.id)
                        """).run()
                    guard final else { continue }
                    // Deliveries that failed for good in a row: at the limit the subscription turns itself off.
                    let reason = "\(disableAfter) deliveries in a row failed; the last: \(outcome.error ?? "")"
                    let off = try await sql.raw("""
                        UPDATE webhooks SET failures = failures + 1,
                               active = CASE WHEN failures + 1 >= \(bind: disableAfter) THEN \(bind: false) ELSE active END,
                               disabled_at = CASE WHEN failures + 1 >= \(bind: disableAfter) THEN \(bind: finished) ELSE disabled_at END,
                               disabled_reason = CASE WHEN failures + 1 >= \(bind: disableAfter) THEN \(bind: String(reason.prefix(1000))) ELSE disabled_reason END
                        WHERE id = \(bind: outcome.hook) AND active = \(bind: true)
                        RETURNING active, url
                        """).first()
                    if let off, try off.decode(column: "active", as: Bool.self) == false {
                        let url = try off.decode(column: "url", as: String.self)
                        disabled.append((outcome.hook, url))
                        try await tellAdmins(hookID: outcome.hook, url: url, reason: reason, services: services, on: sql)
                    }
                }
                return disabled
            }
        }
        for (id, url) in disabled { app.logger.warning("webhook disabled after repeated failures", metadata: ["webhook": "\(id)", "url": "\(url)"]) }
        return claimed.count
    }

    private static let lastOrphanCheck = NIOLockedValueBox(Date.distantPast)

    /// Deliveries a killed process of this machine was sending go back to the queue at once
    /// (checked every ten seconds); those of other machines wait out their one-minute claim.
    static func releaseOrphans(app: Application) async throws {
        let now = Date()
        let due = lastOrphanCheck.withLockedValue { last -> Bool in
            guard now.timeIntervalSince(last) >= 10 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let sql = app.db as! any SQLDatabase
        let holders = try await sql.raw("""
            SELECT DISTINCT claimed_by FROM webhook_deliveries WHERE status = 'sending' AND claimed_by LIKE \(bind: ProcessIdentity.host + "/%")
            """).all().compactMap { try? $0.decode(column: "claimed_by", as: String.self) }
        for holder in holders where holder != ProcessIdentity.process && ProcessIdentity.isGone(holder) {
            try await app.services.gate.run {
                try await sql.raw("""
                    UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = \(bind: now), claimed_by = NULL
                    WHERE status = 'sending' AND claimed_by = \(bind: holder)
                    """).run()
            }
            app.logger.notice("webhook deliveries of a process that is gone queued again", metadata: ["holder": "\(holder)"])
        }
    }

    /// Mails every active admin that a subscription turned itself off (in the transaction that did it).
    static func tellAdmins(hookID: Int, url: String, reason: String, services: AppServices, on sql: any SQLDatabase) async throws {
        let admins = try await sql.raw("SELECT id, email, name, locale FROM users WHERE role = 'admin' AND is_active = \(bind: true) ORDER BY id LIMIT 50").all()
        var mails: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] = []
        for admin in admins {
            let language = Language(rawValue: try admin.decode(column: "locale", as: String.self)) ?? services.configuration.defaultLanguage
            let template = try await services.mailTemplates.template(.webhookDisabled, language, on: sql)
            let rendered = template.render(["name": try admin.decode(column: "name", as: String.self), "subject": url, "body": reason,
                                            "link": services.configuration.publicURL + SitePath.adminWebhook(hookID).path,
                                            "tag": services.configuration.mail.subjectTag])
            var mail = OutgoingMail(from: services.configuration.mail.from,
                                    to: [MailAddress(name: try admin.decode(column: "name", as: String.self), address: try admin.decode(column: "email", as: String.self))],
                                    subject: rendered.subject, text: rendered.body,
                                    messageID: OutgoingMail.makeMessageID(tag: "zy.webhook", domain: services.configuration.mail.domain))
            mail.autoSubmitted = "auto-generated"
            mails.append((mail, .webhookDisabled, nil, try admin.decode(column: "id", as: Int.self)))
        }
        try await Outbox.enqueueAll(mails, on: sql)
    }
}
