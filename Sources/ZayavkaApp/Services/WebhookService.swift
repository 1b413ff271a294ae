import Crypto
import Foundation
import NIOPosix
import SQLKit
import Vapor
import ZayavkaCore

/// The events a webhook can subscribe to (issue 19, SPEC C6).
enum WebhookEvent: String, CaseIterable, Sendable {
    case created = "ticket.created"
    case updated = "ticket.updated"
    case commented = "ticket.commented"
    case statusChanged = "ticket.status_changed"
    case solved = "ticket.solved"
    case closed = "ticket.closed"
    case problemLinked = "ticket.problem_linked"
}

/// Where a webhook may send: http(s) to a public address. Loopback, private, link-local, CGNAT,
/// multicast and unspecified addresses (and the desk's own host) are refused unless configuration
/// allows them (`ZAYAVKA_WEBHOOK_ALLOWED_HOSTS`, `ZAYAVKA_WEBHOOK_ALLOW_PRIVATE`). Checked when a
/// subscription is saved and again before every delivery (the name may resolve elsewhere by then).
enum WebhookTargets {
    enum Refusal: Error, Equatable {
        case notHTTP, noHost, unresolvable, privateAddress(String), ownHost
        var reason: String {
            switch self {
            case .notHTTP: "http:// or https:// only"
            case .noHost: "no host"
            case .unresolvable: "the host name does not resolve"
            case .privateAddress(let a): "points at a private or local address (\(a))"
            case .ownHost: "points at this help desk itself"
            }
        }
    }

    static func check(_ raw: String, configuration: AppConfiguration) async -> Refusal? {
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme) else { return .notHTTP }
        guard var host = url.host?.lowercased(), !host.isEmpty else { return .noHost }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if configuration.webhookAllowedHosts.contains(host) { return nil }
        if let own = URLComponents(string: configuration.publicURL)?.host?.lowercased(), own == host, !configuration.webhookAllowPrivate { return .ownHost }
        if configuration.webhookAllowPrivate { return nil }
        let addresses = await resolve(host)
        guard !addresses.isEmpty else { return .unresolvable }
        if let bad = addresses.first(where: isPrivate) { return .privateAddress(bad) }
        return nil
    }

    /// The host's addresses as text (IPv4 dotted, IPv6 colon form).
    static func resolve(_ host: String) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [String]() }
            defer { freeaddrinfo(first) }
            var out: [String] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let current = node {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    out.append(String(cString: buffer))
                }
                node = current.pointee.ai_next
            }
            return out
        }) ?? []
    }

    /// Whether a textual address is one a webhook must not reach.
    static func isPrivate(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let b = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return isPrivateV4(b)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 else { return true }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b.allSatisfy({ $0 == 0 }) { return true }                                   // ::
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return true }             // ::1
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isPrivateV4(Array(b[12..<16])) }   // ::ffff:a.b.c.d
        if b[0] & 0xFE == 0xFC { return true }                                          // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return true }                          // fe80::/10 link-local
        if b[0] == 0xFF { return true }                                                 // multicast
        return false
    }

    static func isPrivateV4(_ b: [UInt8]) -> Bool {
        guard b.count == 4 else { return true }
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true
        case (169, 254), (192, 168): return true
        case (172, 16...31): return true
        case (100, 64...127): return true
        case (224...255, _): return true
        default: return false
        }
    }
}

/// Admins' subscriptions (issue 19, SPEC C6): a URL, the events, a secret that signs every delivery.
enum WebhookService {
    struct Row: Decodable, Sendable {
        let id: Int
        let url: String
        let description: String
        let events: String
        let secret: String
        let active: Bool
        let failures: Int
        let disabled_at: Date?
        let disabled_reason: String?
        let created_at: Date
        let updated_at: Date

        var eventList: [String] { events.split(separator: ",").map(String.init) }
    }

    static let columns = "id, url, description, events, secret, active, failures, disabled_at, disabled_reason, created_at, updated_at"

    static func requireAdmin(_ context: ServiceContext) throws {
        guard try context.viewer.role.can(.manageConfiguration) else { throw ZayavkaError.forbidden(reason: "admins manage webhooks") }
    }

    static func row(_ id: Int, on sql: any SQLDatabase) async throws -> Row {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: columns) FROM webhooks WHERE id = \(bind: id)").first(decoding: Row.self) else {
            throw ZayavkaError.notFound(entity: "webhook", id: String(id))
        }
        return row
    }

    static func dto(_ r: Row, secret: String? = nil) -> WebhookDTO {
        WebhookDTO(id: r.id, url: r.url, description: r.description, events: r.eventList, active: r.active, failures: r.failures,
                   disabledAt: r.disabled_at, disabledReason: r.disabled_reason, secret: secret, createdAt: r.created_at, updatedAt: r.updated_at)
    }

    static func list(context: ServiceContext) async throws -> [WebhookDTO] {
        try requireAdmin(context)
        return try await context.sql.raw("SELECT \(unsafeRaw: columns) FROM webhooks ORDER BY id").all(decoding: Row.self).map { dto($0) }
    }

    static func get(_ id: Int, context: ServiceContext) async throws -> WebhookDTO {
        try requireAdmin(context)
        return dto(try await row(id, on: context.sql))
    }

    static func newSecret() -> String {
        "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Creates (`id` nil) or changes a subscription. A new one, and one whose secret is rotated,
    /// returns the secret: the only time it is shown.
    static func save(id: Int?, _ input: WebhookInput, context: ServiceContext) async throws -> WebhookDTO {
        try requireAdmin(context)
        let sql = context.sql
        var existing: Row?
        if let id { existing = try await row(id, on: sql) }
        var errors: [FieldError] = []
        let url = (input.url ?? existing?.url ?? "").trimmingCharacters(in: .whitespaces)
        let description = (input.description ?? existing?.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let events = input.events ?? existing?.eventList ?? WebhookEvent.allCases.map(\.rawValue)
        let active = input.active ?? existing?.active ?? true
        if url.isEmpty { errors.append(FieldError("url", .required)) } else if url.isOver(2000) { errors.append(FieldError("url", .tooLong, "2000")) }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) { errors.append(FieldError("url", .controlCharacters)) }
        if description.isOver(500) { errors.append(FieldError("description", .tooLong, "500")) }
        if description.unicodeScalars.contains(where: { $0.value == 0 }) { errors.append(FieldError("description", .controlCharacters)) }
        if events.isEmpty { errors.append(FieldError("events", .required)) }
        for event in events where WebhookEvent(rawValue: event) == nil {
            errors.append(FieldError("events", .unknownValue, WebhookEvent.allCases.map(\.rawValue).joined(separator: ", ")))
            break
        }
        if errors.isEmpty, url != existing?.url || active && existing?.active == false,
           let refusal = await WebhookTargets.check(url, configuration: context.services.configuration) {
            switch refusal {
            case .notHTTP, .noHost: errors.append(FieldError("url", .invalid, "http(s)://host/path"))
            case .unresolvable: errors.append(FieldError("url", .unresolvable))
            case .privateAddress(let address): errors.append(FieldError("url", .privateAddress, address))
            case .ownHost: errors.append(FieldError("url", .privateAddress))
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let rotate = existing == nil || input.rotateSecret == true
        let secret = rotate ? newSecret() : nil
        var sealed: String?
        do { sealed = try secret.map { try MailboxSecrets.seal($0, configuration: context.services.configuration) } } catch {
            throw ZayavkaError.validation([FieldError("secret", .notAllowed, "ZAYAVKA_SECRET_KEY")])
        }
        let now = context.now
        let actor = try context.viewer.userID
        let eventText = Array(Set(events)).sorted().joined(separator: ",")
        let previous = existing
        let storedSecret = sealed
        let savedID: Int = try await context.write { db in
            let sql = db as! any SQLDatabase
            let id: Int
            if let previous {
                // Turned on again by hand: its failure count starts over.
                let reenabled = active && !previous.active
                try await sql.raw("""
                    UPDATE webhooks SET url = \(bind: url), description = \(bind: description), events = \(bind: eventText), active = \(bind: active),
                           secret = COALESCE(\(bind: storedSecret), secret), updated_at = \(bind: now)
                    WHERE id = \(bind: previous.id)
                    """).run()
                if reenabled {
                    try await sql.raw("UPDATE webhooks SET failures = 0, disabled_at = NULL, disabled_reason = NULL WHERE id = \(bind: previous.id)").run()
                }
                id = previous.id
            } else {
                id = try await sql.raw("""
                    INSERT INTO webhooks (url, description, events, secret, active, failures, created_at, updated_at)
                    VALUES (\(bind: url), \(bind: description), \(bind: eventText), \(bind: storedSecret ?? ""), \(bind: active), 0, \(bind: now), \(bind: now))
                    RETURNING id
                    """).first()!.decode(column: "id", as: Int.self)
            }
            try await AuditEvents.record(previous == nil ? "webhook_added" : "webhook_changed", actor: actor, subjectUserID: nil,
                                         reason: url, details: ["webhook_id": id], at: now, on: sql)
            return id
        }
        return dto(try await row(savedID, on: sql), secret: secret)
    }

    static func delete(_ id: Int, context: ServiceContext) async throws -> HTTPStatus {
        try requireAdmin(context)
        let existing = try await row(id, on: context.sql)
        let actor = try context.viewer.userID
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("DELETE FROM webhook_deliveries WHERE webhook_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM webhooks WHERE id = \(bind: id)").run()
            try await AuditEvents.record("webhook_removed", actor: actor, subjectUserID: nil, reason: existing.url, details: ["webhook_id": id], at: now, on: sql)
        }
        return .noContent
    }

    struct DeliveryRow: Decodable {
        let id: Int
        let webhook_id: Int
        let event_id: String
        let event_type: String
        let payload: String
        let status: String
        let attempts: Int
        let next_attempt_at: Date
        let last_status: Int?
        let last_response: String?
        let last_error: String?
        let duration_ms: Int?
        let created_at: Date
        let delivered_at: Date?

        var dto: WebhookDeliveryDTO {
            WebhookDeliveryDTO(id: id, webhookId: webhook_id, eventId: event_id, eventType: event_type, status: status, attempts: attempts,
                               nextAttemptAt: status == "queued" ? next_attempt_at : nil, lastStatus: last_status, lastResponse: last_response,
                               lastError: last_error, durationMs: duration_ms, createdAt: created_at, deliveredAt: delivered_at, payload: payload)
        }
    }

    static let deliveryColumns = """
        id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, last_status, last_response, last_error, duration_ms,
        created_at, delivered_at
        """

    /// The delivery log, newest first.
    static func deliveries(_ id: Int, before: Int?, limit: Int, context: ServiceContext) async throws -> ListOf<WebhookDeliveryDTO> {
        try requireAdmin(context)
        _ = try await row(id, on: context.sql)
        let cursor: SQLQueryString = before.map { " AND id < \(bind: $0)" } ?? ""
        let rows = try await context.sql.raw("SELECT \(unsafeRaw: deliveryColumns) FROM webhook_deliveries WHERE webhook_id = \(bind: id)" + cursor
                                             + " ORDER BY id DESC LIMIT \(bind: limit + 1)").all(decoding: DeliveryRow.self)
        let page = Array(rows.prefix(limit))
        return ListOf(items: page.map(\.dto), nextCursor: rows.count > limit ? page.last.map { String($0.id) } : nil)
    }

    /// Sends a delivery again (a failed one, or one the receiver lost).
    static func redeliver(_ deliveryID: Int, context: ServiceContext) async throws -> WebhookDeliveryDTO {
        try requireAdmin(context)
        let now = context.now
        let updated = try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = \(bind: now), attempts = 0
                WHERE id = \(bind: deliveryID) AND status IN ('delivered', 'failed', 'queued')
                RETURNING \(unsafeRaw: deliveryColumns)
                """).first(decoding: DeliveryRow.self)
        }
        guard let updated else { throw ZayavkaError.notFound(entity: "webhook_delivery", id: String(deliveryID)) }
        WebhookDispatcher.signal.poke()
        return updated.dto
    }

    /// Queues a `ping` to the subscription's URL (delivered within a second by the worker).
    static func ping(_ id: Int, context: ServiceContext) async throws -> WebhookDeliveryDTO {
        try requireAdmin(context)
        let hook = try await row(id, on: context.sql)
        let now = context.now
        let eventID = "ping_" + UUID().uuidString.lowercased()
        let payload = WebhookDispatcher.encode(["id": eventID, "type": "ping", "created_at": WebhookDispatcher.iso(now),
                                                "webhook": ["id": hook.id, "url": hook.url, "events": hook.eventList]])
        let row = try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at)
                VALUES (\(bind: hook.id), \(bind: eventID), 'ping', \(bind: payload), 'queued', 0, \(bind: now), \(bind: now))
                RETURNING \(unsafeRaw: deliveryColumns)
                """).first(decoding: DeliveryRow.self)
        }
        WebhookDispatcher.signal.poke()
        return try require(row).dto
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw Abort(.internalServerError) }
    return value
}
