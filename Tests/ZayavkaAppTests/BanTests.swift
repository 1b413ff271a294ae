import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// A message from `from` to the support address.
private func message(from: String, subject: String) -> Data {
    let lines = ["From: \(from)", "To: support@zayavka.test", "Subject: \(subject)", "Message-ID: <\(UUID().uuidString)@client.ru>",
                 "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return Data((lines.joined(separator: "\r\n") + "\r\n\r\nТекст письма.\r\n").utf8)
}

@Suite("Bans (SPEC X1): requested by a warning, decided by a manager, refused in every channel, lifted", .serialized)
struct BanTests {
    static let environment = ["ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test", "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>"]

    func mail(_ server: TestServer, from: String, subject: String = "Опять не работает") async throws -> TestServer.Reply {
        try await server.request(.POST, "/api/v1/mail/inbound", token: server.adminToken, body: message(from: from, subject: subject),
                                 headers: [("Content-Type", "message/rfc822")])
    }

    func count(_ server: TestServer, _ query: String) async throws -> Int {
        try await server.sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test("a repeat offence's ban request, approved by a manager, refuses the customer in mail, API, sign-in and the portal; lifting it restores every channel",
          arguments: TestDatabase.all)
    func requestApproveLift(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let admin = server.adminToken
            let customer = try await server.makeUser("ivan@client.ru", name: "Иван Грубов", role: .customer)
            let manager = try await server.makeUser("boss@zayavka.test", name: "Ольга", role: .manager)
            let agent = try await server.makeUser("agent@zayavka.test", name: "Пётр", role: .agent)
            let portal = WebClient(server)
            #expect(try await portal.signIn("ivan@client.ru", "password-ivan@client.ru").status == .seeOther)

            let ticket = try await server.makeTicket(token: customer.token, subject: "Ничего не работает!!!")
            let number = try #require(ticket["number"] as? Int)
            // Seed 001: a remark first; a repeat offence offers the ban; the agent asks for it.
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: ["request_ban": true]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: [:])["ban_offered"] as? Bool == false)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: [:])["ban_offered"] as? Bool == true)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: ["request_ban": true])["ban_requested"] as? Bool == true)
            // A second request while one waits adds nothing.
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: ["request_ban": true])

            #expect(try await server.request(.GET, "/api/v1/ban-requests", token: agent.token).status == .forbidden)
            let requests = try await server.request(.GET, "/api/v1/ban-requests", token: manager.token)
            #expect(requests.items.count == 1, "\(requests.text)")
            let request = try #require(requests.items.first)
            server.expectConforms(request, to: "BanRequest")
            #expect(request["customer_email"] as? String == "ivan@client.ru" && request["warnings"] as? Int == 2 && request["ticket_number"] as? Int == number)
            let requestID = try #require(request["id"] as? Int)

            // Before the decision the customer is served everywhere.
            #expect(try await server.request(.GET, "/api/v1/tickets", token: customer.token).status == .ok)

            let approved = try await server.request(.POST, "/api/v1/ban-requests/\(requestID)/approve", token: manager.token, json: [:])
            #expect(approved.status == .created, "\(approved.text)")
            server.expectConforms(approved.json as Any, to: "Ban")
            #expect(approved["scope"] as? String == "customer" && approved["state"] as? String == "active" && approved["ends_at"] == nil)
            #expect((approved["reason"] as? String ?? "").contains("№\(number)"), "the default reason names the ticket")
            let banID = try #require(approved["id"] as? Int)
            #expect(try await server.request(.POST, "/api/v1/ban-requests/\(requestID)/approve", token: manager.token, json: [:]).status == .conflict)
            #expect(try await server.request(.POST, "/api/v1/ban-requests/\(requestID)/decline", token: manager.token, json: ["reason": "нет"]).status == .conflict)

            // API: the token answers 403 `banned` with words a person can act on, in their language.
            let refused = try await server.request(.GET, "/api/v1/tickets", token: customer.token)
            #expect(refused.status == .forbidden)
            let error = try #require(refused["error"] as? [String: Any])
            #expect(error["code"] as? String == "banned" && (error["message"] as? String ?? "").contains("Доступ к службе поддержки"), "\(refused.text)")
            #expect(try await server.makeTicket(token: customer.token).status == .forbidden)
            // Sign-in: only the right password learns of the ban.
            #expect(try await server.request(.POST, "/api/v1/auth/token", json: ["email": "ivan@client.ru", "password": "wrong-password-1"]).status == .unauthorized)
            let signIn = try await server.request(.POST, "/api/v1/auth/token", json: ["email": "ivan@client.ru", "password": "password-ivan@client.ru"])
            #expect(signIn.status == .forbidden && signIn.text.contains("banned"))
            // The portal: the open session shows why on every page; a new sign-in is refused with the same words.
            let page = try await portal.get("/portal")
            #expect(page.status == .forbidden && page.html.contains("Доступ к службе поддержки для вас закрыт"))
            let fresh = WebClient(server)
            let form = try await fresh.signIn("ivan@client.ru", "password-ivan@client.ru")
            #expect(form.status == .forbidden && form.html.contains("Доступ к службе поддержки для вас закрыт") && fresh.cookies[WebCookies.session] == nil)
            fresh.acceptLanguage = "en"
            #expect(try await fresh.signIn("ivan@client.ru", "password-ivan@client.ru").html.contains("Access to the support service is closed to you"))
            // Mail: kept in quarantine with the reason, no ticket, no answer.
            let tickets = try await count(server, "SELECT COUNT(*) AS n FROM tickets")
            let outbox = try await count(server, "SELECT COUNT(*) AS n FROM mail_outbox")
            let mailed = try await mail(server, from: "Иван <ivan@client.ru>")
            #expect(mailed["status"] as? String == "quarantined", "\(mailed.text)")
            let stored = try await server.request(.GET, "/api/v1/mail/inbound?status=quarantined", token: admin).items
            #expect(stored.contains { ($0["reason"] as? String ?? "").contains("banned sender (customer ban #\(banID)") }, "\(stored)")
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM tickets") == tickets)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM mail_outbox") == outbox)
            // Staff filing for them by API is refused by name; a phone call is the agent's decision.
            let forThem = try await server.makeTicket(token: agent.token, extra: ["requester_email": "ivan@client.ru"])
            #expect(forThem.status == .unprocessableEntity && forThem.text.contains("\"banned\""), "\(forThem.text)")
            #expect(try await server.makeTicket(token: agent.token, extra: ["requester_email": "ivan@client.ru", "channel": "phone"]).status == .created)
            // The call screen shows the ban in red.
            let desk = WebClient(server)
            try await desk.signIn("agent@zayavka.test", "password-agent@zayavka.test")
            let call = try await desk.get("/agent/call?q=ivan%40client.ru")
            #expect(call.html.contains("ban-banner-\(customer.id)") && call.html.contains("Клиент заблокирован (бан)"), "\(call.status)")
            // So does the ticket page, on the requester's card.
            let ticketPage = try await desk.get("/agent/tickets/\(number)")
            #expect(ticketPage.status == .ok && ticketPage.html.contains("requester-banned"))

            // Lifting needs the grounds; then every channel serves the customer again at once.
            #expect(try await server.request(.POST, "/api/v1/bans/\(banID)/lift", token: manager.token, json: [:]).status == .unprocessableEntity)
            let lifted = try await server.request(.POST, "/api/v1/bans/\(banID)/lift", token: manager.token, json: ["reason": "Извинился письменно"])
            #expect(lifted["state"] as? String == "lifted" && lifted["lift_reason"] as? String == "Извинился письменно", "\(lifted.text)")
            #expect(try await server.request(.GET, "/api/v1/tickets", token: customer.token).status == .ok)
            #expect(try await portal.get("/portal").status == .ok)
            #expect(!(try await desk.get("/agent/tickets/\(number)").html.contains("requester-banned")))
            #expect(try await mail(server, from: "Иван <ivan@client.ru>")["status"] as? String == "processed")
            #expect(try await server.request(.PATCH, "/api/v1/bans/\(banID)", token: manager.token, json: ["reason": "x"]).status == .conflict)
            #expect(try await server.request(.GET, "/api/v1/bans?state=lifted", token: manager.token).items.count == 1)
            #expect(try await server.request(.GET, "/api/v1/bans", token: manager.token).items.isEmpty)

            let audit = try await server.request(.GET, "/api/v1/audit-events", token: admin).items.compactMap { $0["action"] as? String }
            #expect(audit.contains("ban_created") && audit.contains("ban_lifted"), "\(audit)")
        }
    }

    @Test("addresses and domains are banned before any account exists; a ban ends by itself; changes; bad input is refused whole",
          arguments: TestDatabase.all)
    func scopesExpiryAndInput(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let admin = server.adminToken
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            #expect(try await server.request(.POST, "/api/v1/bans", token: agent.token, json: ["scope": "domain", "value": "spam.example", "reason": "спам"]).status == .forbidden)

            // A whole domain, its subdomains too, with nobody registered from it: no account is made.
            let domain = try await server.request(.POST, "/api/v1/bans", token: admin, json: ["scope": "domain", "value": "@Spam.Example", "reason": "Рассылка спама"])
            #expect(domain.status == .created && domain["value"] as? String == "spam.example", "\(domain.text)")
            #expect(try await mail(server, from: "bot@mail.spam.example")["status"] as? String == "quarantined")
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM users WHERE email LIKE '%spam.example'") == 0)
            #expect(try await mail(server, from: "ok@notspam.example")["status"] as? String == "processed", "a look-alike domain is not covered")

            // One address, for a moment: it ends by itself.
            let user = try await server.makeUser("short@client.ru", role: .customer)
            let end = Date().addingTimeInterval(1.5)
            let short = try await server.request(.POST, "/api/v1/bans", token: admin, json: [
                "scope": "email", "value": "Short@Client.ru", "reason": "Остыть", "ends_at": ISO8601DateFormatter().string(from: end.addingTimeInterval(1)),
            ])
            #expect(short.status == .created, "\(short.text)")
            #expect(try await server.request(.GET, "/api/v1/me", token: user.token).status == .forbidden)
            try await Task.sleep(for: .milliseconds(2_800))
            #expect(try await server.request(.GET, "/api/v1/me", token: user.token).status == .ok, "the ban ended by itself")
            let expired = try await server.request(.GET, "/api/v1/bans?state=expired", token: admin).items
            #expect(expired.count == 1 && expired.first?["state"] as? String == "expired")

            // Changes: an end, then none.
            let domainID = try #require(domain["id"] as? Int)
            let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
            let ended = try await server.request(.PATCH, "/api/v1/bans/\(domainID)", token: admin, json: ["ends_at": later])
            #expect(ended["ends_at"] as? String != nil, "\(ended.text)")
            let forever = try await server.request(.PATCH, "/api/v1/bans/\(domainID)", token: admin, json: ["permanent": true])
            #expect(forever.status == .ok && forever["ends_at"] == nil)

            // Bad input: each refused with its field named, nothing written.
            let staff = try await server.makeUser("colleague@zayavka.test", role: .agent)
            let bans = try await count(server, "SELECT COUNT(*) AS n FROM bans")
            let events = try await count(server, "SELECT COUNT(*) AS n FROM audit_events")
            let past = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
            let cases: [([String: Any], String, HTTPResponseStatus)] = [
                (["scope": "planet", "value": "x", "reason": "r"], "scope", .unprocessableEntity),
                (["value": "x@y.ru", "reason": "r"], "scope", .unprocessableEntity),
                (["scope": "domain", "value": "com", "reason": "r"], "value", .unprocessableEntity),
                (["scope": "domain", "value": "a..b", "reason": "r"], "value", .unprocessableEntity),
                (["scope": "email", "value": "not an address", "reason": "r"], "value", .unprocessableEntity),
                (["scope": "email", "value": "x@y.ru"], "reason", .unprocessableEntity),
                (["scope": "email", "value": "x@y.ru", "reason": "r\u{0}"], "reason", .unprocessableEntity),
                (["scope": "email", "value": "x@y.ru", "reason": "r", "ends_at": past], "ends_at", .unprocessableEntity),
                (["scope": "customer", "customer_id": staff.id, "reason": "r"], "customer_id", .unprocessableEntity),
                (["scope": "customer", "customer_id": 987_654, "reason": "r"], "customer_id", .unprocessableEntity),
                (["scope": "domain", "value": "zayavka.test", "reason": "r"], "value", .unprocessableEntity),
                (["scope": "email", "value": "support@zayavka.test", "reason": "r"], "value", .unprocessableEntity),
                (["scope": "domain", "value": "mail.spam.example", "reason": "r"], "", .created),
                (["scope": "domain", "value": "spam.example", "reason": "again"], "value", .conflict),
            ]
            var created = 0
            for (body, field, status) in cases {
                let reply = try await server.request(.POST, "/api/v1/bans", token: admin, json: body)
                #expect(reply.status == status, "\(body) → \(reply.status) \(reply.text)")
                if status == .unprocessableEntity {
                    let fields = ((reply["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                    #expect(fields.contains(field), "\(body) → \(reply.text)")
                }
                if status == .created { created += 1 }
            }
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM bans") == bans + created)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM audit_events") == events + created)
            #expect(try await server.request(.GET, "/api/v1/bans/424242", token: admin).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/bans/424242/lift", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/ban-requests/424242/approve", token: admin, json: [:]).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/bans?state=soon", token: admin).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/ban-requests?status=maybe", token: admin).status == .unprocessableEntity)
            for ban in try await server.request(.GET, "/api/v1/bans?state=all", token: admin).items { server.expectConforms(ban, to: "Ban") }
        }
    }

    @Test("a manager decides on the bans page in both languages; a refused form keeps what was typed")
    func pages() async throws {
        try await TestServer.with(.sqlite, environment: Self.environment) { server in
            let customer = try await server.makeUser("rude@client.ru", name: "Грубиян", role: .customer)
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            _ = try await server.makeUser("boss@zayavka.test", name: "Ольга", role: .manager)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            for body: [String: Any] in [[:], [:], ["request_ban": true]] {
                _ = try await server.request(.POST, "/api/v1/tickets/\(number)/warning", token: agent.token, json: body)
            }
            let web = WebClient(server)
            try await web.signIn("boss@zayavka.test", "password-boss@zayavka.test")
            let page = try await web.get("/admin/bans")
            #expect(page.status == .ok && page.html.contains("Запросы на бан (1)") && page.html.contains("rude@client.ru"), "\(page.status)")
            let requestID = try #require(try await server.request(.GET, "/api/v1/ban-requests", token: server.adminToken).items.first?["id"] as? Int)
            // An unreadable end: refused, the typed reason kept.
            let bad = try await web.post("/admin/ban-requests/\(requestID)/approve", [("_csrf", page.csrf ?? ""), ("reason", "Хамство в чате"), ("until", "когда-нибудь")])
            #expect(bad.status == .unprocessableEntity && bad.html.contains("Хамство в чате") && bad.html.contains("неверный формат"))
            let approved = try await web.post("/admin/ban-requests/\(requestID)/approve", [("_csrf", page.csrf ?? ""), ("reason", "Хамство в чате"), ("until", "2099-01-01T10:00")])
            #expect(approved.status == .seeOther && approved.location == "/admin/bans?notice=banned")
            let after = try await web.get("/admin/bans")
            #expect(after.html.contains("Действующие баны (1)") && after.html.contains("Хамство в чате") && after.html.contains("01.01.2099 10:00"))
            let ban = try #require(try await server.request(.GET, "/api/v1/bans", token: server.adminToken).items.first)
            let banID = try #require(ban["id"] as? Int)
            // 10:00 Moscow time is 07:00 UTC.
            #expect((ban["ends_at"] as? String)?.hasPrefix("2099-01-01T07:00") == true, "\(ban)")
            // The page in English; lifting without grounds is refused in the form.
            web.acceptLanguage = "en"
            _ = try await web.post("/language", [("_csrf", after.csrf ?? ""), ("lang", "en"), ("back", "/admin/bans")])
            let english = try await web.get("/admin/bans")
            #expect(english.html.contains("Bans in force (1)") && english.html.contains("Lift the ban"))
            let noReason = try await web.post("/admin/bans/\(banID)/lift", [("_csrf", english.csrf ?? ""), ("reason", "")])
            #expect(noReason.status == .unprocessableEntity && noReason.html.contains("is required"))
            let direct = try await web.post("/admin/bans/save", [("_csrf", english.csrf ?? ""), ("scope", "domain"), ("value", "flood.example"), ("reason", "Flood")])
            #expect(direct.location == "/admin/bans?notice=banned")
            let liftedPage = try await web.post("/admin/bans/\(banID)/lift", [("_csrf", english.csrf ?? ""), ("reason", "Apologised")])
            #expect(liftedPage.location == "/admin/bans?notice=ban-lifted")
            let final = try await web.get("/admin/bans?notice=ban-lifted")
            #expect(final.html.contains("access is back in every channel") && final.html.contains("Apologised") && final.html.contains("flood.example"))
            // Agents have no bans page.
            let desk = WebClient(server)
            try await desk.signIn("agent@zayavka.test", "password-agent@zayavka.test")
            #expect(try await desk.get("/admin/bans").status == .forbidden)
        }
    }

    @Test("upgrading to M031: ban requests recorded before become pending requests, one per customer; an account banned before becomes a customer ban",
          arguments: TestDatabase.all)
    func upgrade(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let first = try await server.makeUser("one@client.ru", role: .customer)
            let second = try await server.makeUser("two@client.ru", role: .customer)
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            var numbers: [Int] = []
            for token in [first.token, first.token, second.token] {
                numbers.append(try #require(try await server.makeTicket(token: token)["number"] as? Int))
            }
            // As M030's desk had them: ban requests only as events (two for the first customer), and a banned_at.
            try await server.sql.raw("DROP TABLE ban_requests").run()
            try await server.sql.raw("DROP TABLE bans").run()
            try await server.sql.raw("DELETE FROM _fluent_migrations WHERE name = 'M031CreateBans'").run()
            for number in numbers.prefix(2) {
                try await server.sql.raw("""
                    INSERT INTO ticket_events (ticket_id, actor_id, kind, field, after, is_public, created_at)
                    SELECT id, \(bind: agent.id), 'ban_requested', 'requester_id', CAST(requester_id AS TEXT), \(bind: false), \(bind: Date()) FROM tickets WHERE number = \(bind: number)
                    """).run()
            }
            try await server.sql.raw("UPDATE users SET banned_at = \(bind: Date()) WHERE id = \(bind: second.id)").run()

            try await server.app.autoMigrate()
            // A desk migrates before it serves: the running test server forgets what it had loaded.
            server.app.services.bans.invalidate()

            let requests = try await server.request(.GET, "/api/v1/ban-requests", token: server.adminToken).items
            #expect(requests.count == 1 && requests.first?["ticket_number"] as? Int == numbers[1], "the latest request of the first customer: \(requests)")
            let bans = try await server.request(.GET, "/api/v1/bans", token: server.adminToken).items
            #expect(bans.count == 1 && (bans.first?["customer"] as? [String: Any])?["id"] as? Int == second.id, "\(bans)")
            #expect(try await server.request(.GET, "/api/v1/me", token: second.token).status == .forbidden)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM users WHERE banned_at IS NOT NULL").first()?.decode(column: "n", as: Int.self) == 0)
        }
    }

    @Test("two instances on PostgreSQL: a ban made on one refuses the customer on the other within the 2-second refresh, and so does a lift")
    func twoInstances() async throws {
        guard let url = ProcessInfo.processInfo.environment["ZAYAVKA_TEST_DATABASE_URL"], !url.isEmpty else { return }
        try await TestServer.with(.postgres(url), environment: Self.environment) { first in
            let customer = try await first.makeUser("ivan@client.ru", role: .customer)
            try await TestServer.with(.postgres(url), environment: Self.environment, sharing: first) { second in
                #expect(try await second.request(.GET, "/api/v1/me", token: customer.token).status == .ok)
                let ban = try await first.request(.POST, "/api/v1/bans", token: first.adminToken, json: ["scope": "customer", "customer_id": customer.id, "reason": "Хамство"])
                let banID = try #require(ban["id"] as? Int, "\(ban.text)")
                try await Task.sleep(for: .milliseconds(2_200))
                #expect(try await second.request(.GET, "/api/v1/me", token: customer.token).status == .forbidden)
                #expect(try await second.request(.POST, "/api/v1/bans/\(banID)/lift", token: second.adminToken, json: ["reason": "Ошибка"]).status == .ok)
                try await Task.sleep(for: .milliseconds(2_200))
                #expect(try await first.request(.GET, "/api/v1/me", token: customer.token).status == .ok)
            }
        }
    }
}
