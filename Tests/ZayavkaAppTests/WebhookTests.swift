import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp

/// A real HTTP receiver on a free port: records what arrives and answers 500 while told to.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let headers: HTTPHeaders
        let body: String
    }

    let received = NIOLockedValueBox<[Received]>([])
    /// Answers 500 to this many requests first (negative: to every request).
    let failures = NIOLockedValueBox(0)
    let app: Application
    let port: Int

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start() async throws -> WebhookReceiver {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .critical
        let box = NIOLockedValueBox<WebhookReceiver?>(nil)
        app.post("hook") { req async throws -> Response in
            let body = req.body.string ?? ""
            guard let receiver = box.withLockedValue({ $0 }) else { return Response(status: .serviceUnavailable) }
            receiver.received.withLockedValue { $0.append(Received(headers: req.headers, body: body)) }
            let fail = receiver.failures.withLockedValue { count -> Bool in
                if count < 0 { return true }
                if count > 0 { count -= 1; return true }
                return false
            }
            return Response(status: fail ? .internalServerError : .ok, body: .init(string: fail ? "down" : "ok"))
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        let receiver = WebhookReceiver(app: app, port: port)
        box.withLockedValue { $0 = receiver }
        return receiver
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    func bodies() -> [[String: Any]] {
        received.withLockedValue { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
    }
}

@Suite("Webhooks: signed ticket events to other systems, retried, turned off after failures", .serialized)
struct WebhookTests {
    static let environment = ["ZAYAVKA_SECRET_KEY": "test-key-test-key-test-key-test-key-0123", "ZAYAVKA_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                              "ZAYAVKA_WEBHOOK_RETRY_SECONDS": "0.1", "ZAYAVKA_WEBHOOK_ATTEMPTS": "3", "ZAYAVKA_WEBHOOK_DISABLE_AFTER": "2"]

    /// Runs the dispatcher until `condition` holds (at most 20 s).
    static func pump(_ server: TestServer, seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            try await WebhookDispatcher.fanOut(app: server.app)
            try await WebhookDispatcher.deliver(app: server.app)
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func verify(_ item: WebhookReceiver.Received, secret: String) -> Bool {
        guard let header = item.headers.first(name: "X-Zayavka-Signature") else { return false }
        let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        })
        guard let t = parts["t"], let v1 = parts["v1"] else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(t).\(item.body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined() == v1
    }

    @Test("ticket events arrive signed, with the changed fields and the comment; a failing receiver gets retries with the same event id",
          arguments: TestDatabase.all)
    func deliveries(database: TestDatabase) async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await TestServer.with(database, environment: Self.environment) { server in
                let admin = server.adminToken
                // No subscription: history events are not even queued.
                _ = try await server.makeTicket(token: admin, extra: ["requester_email": "first@client.ru"])
                #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM webhook_event_queue").first()?.decode(column: "n", as: Int.self) == 0)

                let created = try await server.request(.POST, "/api/v1/webhooks", token: admin, json: [
                    "url": receiver.url, "description": "CRM", "events": ["ticket.created", "ticket.updated", "ticket.commented", "ticket.status_changed", "ticket.solved"],
                ])
                #expect(created.status == .created, "\(created.text)")
                let id = try #require(created["id"] as? Int)
                let secret = try #require(created["secret"] as? String)
                #expect(secret.hasPrefix("whsec_"))
                let listed = try await server.request(.GET, "/api/v1/webhooks/\(id)", token: admin)
                #expect(listed["secret"] == nil && !listed.text.contains(secret))

                let ticket = try await server.makeTicket(token: admin, extra: ["requester_email": "ivan@client.ru"])
                let number = try #require(ticket["number"] as? Int)
                #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["priority": "high", "type": "problem"]).status == .ok)
                #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Проверяем.", "public": true]).status == .created)
                #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Заметка.", "public": false]).status == .created)
                #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved"]).status == .ok)
                #expect(try await Self.pump(server) {
                    Set(receiver.bodies().compactMap { $0["type"] as? String }).isSuperset(of: ["ticket.created", "ticket.updated", "ticket.commented", "ticket.status_changed", "ticket.solved"])
                })
                let all = receiver.received.withLockedValue { $0 }
                #expect(!all.isEmpty && all.allSatisfy { Self.verify($0, secret: secret) })
                #expect(!all.contains { Self.verify($0, secret: secret + "x") })
                let bodies = receiver.bodies()
                let updated = try #require(bodies.first { $0["type"] as? String == "ticket.updated" })
                let fields = Set((updated["changes"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields.isSuperset(of: ["priority", "type"]), "one notice for the fields changed together: \(updated)")
                #expect((updated["ticket"] as? [String: Any])?["number"] as? Int == number)
                let comments = bodies.filter { $0["type"] as? String == "ticket.commented" }.compactMap { $0["comment"] as? [String: Any] }
                #expect(Set(comments.compactMap { $0["public"] as? Bool }) == [true, false])
                #expect(comments.contains { $0["body"] as? String == "Заметка." })
                // Each event once: the ticket opened before the subscription is not there.
                let ids = bodies.compactMap { $0["id"] as? String }
                #expect(ids.count == Set(ids).count)
                #expect(!bodies.contains { (($0["ticket"] as? [String: Any])?["requester"] as? [String: Any])?["email"] as? String == "first@client.ru" })

                // The receiver is down twice: the third attempt gets through, with the same event id every time.
                receiver.failures.withLockedValue { $0 = 2 }
                let before = all.count
                #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Ещё.", "public": true]).status == .created)
                #expect(try await Self.pump(server) { receiver.received.withLockedValue { $0.count } >= before + 3 })
                let tries = receiver.received.withLockedValue { Array($0.suffix(3)) }
                #expect(Set(tries.compactMap { $0.headers.first(name: "X-Zayavka-Event-Id") }).count == 1)
                let log = try await server.request(.GET, "/api/v1/webhooks/\(id)/deliveries?limit=1", token: admin)
                let last = try #require(log.items.first)
                #expect(last["status"] as? String == "delivered" && last["attempts"] as? Int == 3 && last["last_status"] as? Int == 200, "\(last)")
                #expect(log["next_cursor"] is String)

                // A delivery a killed process left claimed is sent again once its claim runs out (at least once).
                let deliveryID = try #require(last["id"] as? Int)
                try await server.sql.raw("""
                    UPDATE webhook_deliveries SET status = 'sending', next_attempt_at = \(bind: Date().addingTimeInterval(-1)) WHERE id = \(bind: deliveryID)
                    """).run()
                let count = receiver.received.withLockedValue { $0.count }
                #expect(try await Self.pump(server) { receiver.received.withLockedValue { $0.count } == count + 1 })

                // Ping and redelivery from the API.
                #expect(try await server.request(.POST, "/api/v1/webhooks/\(id)/ping", token: admin).status == .created)
                #expect(try await Self.pump(server) { receiver.bodies().contains { $0["type"] as? String == "ping" } })
                #expect(try await server.request(.POST, "/api/v1/webhook-deliveries/\(deliveryID)/redeliver", token: admin).status == .ok)
                #expect(try await server.request(.POST, "/api/v1/webhook-deliveries/999999/redeliver", token: admin).status == .notFound)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("a receiver that keeps failing turns the subscription off and the admins are mailed; private targets are refused; bad input is refused whole",
          arguments: TestDatabase.all)
    func failuresAndTargets(database: TestDatabase) async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await TestServer.with(database, environment: Self.environment) { server in
                let admin = server.adminToken
                let created = try await server.request(.POST, "/api/v1/webhooks", token: admin, json: ["url": receiver.url, "events": ["ticket.created"]])
                let id = try #require(created["id"] as? Int, "\(created.text)")
                receiver.failures.withLockedValue { $0 = -1 }
                for k in 0..<2 { _ = try await server.makeTicket(token: admin, subject: "Сбой \(k)", extra: ["requester_email": "c\(k)@client.ru"]) }
                #expect(try await Self.pump(server) {
                    try await server.request(.GET, "/api/v1/webhooks/\(id)", token: admin)["active"] as? Bool == false
                })
                let hook = try await server.request(.GET, "/api/v1/webhooks/\(id)", token: admin)
                #expect(hook["active"] as? Bool == false, "\(hook.text)")
                #expect((hook["disabled_reason"] as? String ?? "").contains("HTTP 500"))
                let mails = try await server.sql.raw("SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'webhook_disabled'").first()?.decode(column: "n", as: Int.self)
                #expect(mails == 1, "one mail to the one admin")
                // Off: nothing more is queued or sent.
                let sent = receiver.received.withLockedValue { $0.count }
                _ = try await server.makeTicket(token: admin, subject: "После", extra: ["requester_email": "after@client.ru"])
                _ = try await Self.pump(server, seconds: 2) { false }
                #expect(receiver.received.withLockedValue { $0.count } == sent)
                // Turned on again by hand: failures start over.
                receiver.failures.withLockedValue { $0 = 0 }
                let on = try await server.request(.PATCH, "/api/v1/webhooks/\(id)", token: admin, json: ["active": true])
                #expect(on["active"] as? Bool == true && on["failures"] as? Int == 0 && on["secret"] == nil, "\(on.text)")
                let rotated = try await server.request(.PATCH, "/api/v1/webhooks/\(id)", token: admin, json: ["rotate_secret": true])
                #expect((rotated["secret"] as? String)?.hasPrefix("whsec_") == true)

                for url in ["http://10.1.2.3/hook", "http://localhost:9/hook", "http://[::1]:9/hook", "http://169.254.169.254/latest", "ftp://example.com/x",
                            "http://192.168.0.10/x"] {
                    let refused = try await server.request(.POST, "/api/v1/webhooks", token: admin, json: ["url": url])
                    #expect(refused.status == .unprocessableEntity, "\(url): \(refused.text)")
                }
                let bad = try await server.request(.POST, "/api/v1/webhooks", token: admin, json: ["url": "", "events": ["ticket.exploded"], "description": String(repeating: "x", count: 600)])
                let fields = Set(((bad.object["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields == ["url", "events", "description"], "\(bad.text)")
                #expect(try await server.request(.GET, "/api/v1/webhooks", token: admin).items.count == 1)
                let agent = try await server.makeUser("agent@zayavka.test", name: "Агент", role: .agent)
                #expect(try await server.request(.GET, "/api/v1/webhooks", token: agent.token).status == .forbidden)
                #expect(try await server.request(.DELETE, "/api/v1/webhooks/\(id)", token: admin).status == .noContent)
                #expect(try await server.request(.GET, "/api/v1/webhooks/\(id)", token: admin).status == .notFound)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("two instances on PostgreSQL share the queue: every event is delivered once")
    func twoInstances() async throws {
        guard let database = TestDatabase.all.first(where: { if case .postgres = $0 { true } else { false } }) else { return }
        let receiver = try await WebhookReceiver.start()
        do {
            try await TestServer.with(database, environment: Self.environment) { server in
                let created = try await server.request(.POST, "/api/v1/webhooks", token: server.adminToken, json: ["url": receiver.url, "events": ["ticket.created"]])
                #expect(created.status == .created, "\(created.text)")
                try await TestServer.with(database, environment: Self.environment, sharing: server) { other in
                    for k in 0..<60 { _ = try await server.makeTicket(token: server.adminToken, subject: "Обращение \(k)", extra: ["requester_email": "m\(k)@client.ru"]) }
                    // Both instances run the dispatcher at the same time until everything is out.
                    let until = Date().addingTimeInterval(30)
                    while Date() < until && receiver.received.withLockedValue({ $0.count }) < 60 {
                        async let a: Int = WebhookDispatcher.fanOut(app: server.app) + WebhookDispatcher.deliver(app: server.app)
                        async let b: Int = WebhookDispatcher.fanOut(app: other.app) + WebhookDispatcher.deliver(app: other.app)
                        _ = try await (a, b)
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    _ = try await WebhookDispatcher.deliver(app: server.app) + WebhookDispatcher.deliver(app: other.app)
                    let ids = receiver.received.withLockedValue { $0 }.compactMap { $0.headers.first(name: "X-Zayavka-Event-Id") }
                    #expect(ids.count == 60 && Set(ids).count == 60, "\(ids.count) deliveries, \(Set(ids).count) distinct")
                }
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("the target check: private, loopback, link-local and mapped addresses are private; public ones are not")
    func addresses() {
        for address in ["127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                        "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not an address"] {
            #expect(WebhookTargets.isPrivate(address), "\(address)")
        }
        for address in ["93.184.216.34", "172.32.0.1", "8.8.8.8", "2a00:1450:4010:c0e::8a", "::ffff:8.8.8.8"] {
            #expect(!WebhookTargets.isPrivate(address), "\(address)")
        }
    }
}
