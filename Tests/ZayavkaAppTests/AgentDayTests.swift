import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// The agent's day (issue 20): one submit for fields and reply, macros that set fields, presence,
/// bulk refusals named on the queue, the settings page and its checklist.
@Suite("The agent's day", .serialized)
struct AgentDayTests {
    func count(_ server: TestServer, _ statement: SQLQueryString) async throws -> Int {
        try await server.sql.raw(statement).first()!.decode(column: "n", as: Int.self)
    }

    @Test("a reply carries field changes: all land together, or nothing does", arguments: TestDatabase.all)
    func replyWithChanges(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@romashka.ru", role: .customer)
            let agent = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)

            // An unknown assignee: 422, and neither the reply nor the priority is written.
            let refused = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token, json: [
                "body": "Исправили, проверьте.", "status": "solved", "changes": ["assignee_id": 999_999, "priority": "high"],
            ])
            #expect(refused.status == .unprocessableEntity)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM comments WHERE body = 'Исправили, проверьте.'") == 0)
            let untouched = try await server.request(.GET, "/api/v1/tickets/\(number)", token: agent.token)
            #expect(untouched["priority"] as? String == "normal" && untouched["status"] as? String == "new")

            // A second status inside the changes is ambiguous; customers send no changes.
            let twice = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token,
                                                 json: ["body": "x", "changes": ["status": "open"]])
            #expect(twice.status == .unprocessableEntity)
            let byCustomer = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token,
                                                      json: ["body": "x", "changes": ["priority": "urgent"]])
            #expect(byCustomer.status == .unprocessableEntity)

            // Assign + reply + solve in one request.
            let sent = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token, json: [
                "body": "Исправили, проверьте.", "status": "solved", "changes": ["assignee_id": agent.id, "priority": "high"],
            ])
            #expect(sent.status == .created)
            server.expectConforms(sent.json, to: "Comment")
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: agent.token)
            #expect(ticket["status"] as? String == "solved")
            #expect(ticket["priority"] as? String == "high")
            #expect((ticket["assignee"] as? [String: Any])?["id"] as? Int == agent.id)
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: agent.token).items.compactMap { $0["kind"] as? String }
            #expect(events.contains("assigned") && events.contains("status_changed") && events.contains("comment_added"))
        }
    }

    @Test("the ticket page's one form: an assignee chosen and 'Send and → Solved' are saved together; a form without fields changes none",
          arguments: TestDatabase.all)
    func oneForm(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@romashka.ru", role: .customer)
            let agent = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let web = WebClient(server)
            _ = try await web.signIn("anna@desk.ru", "password-anna@desk.ru")
            let page = try await web.get("/agent/tickets/\(number)")
            #expect(page.html.contains(#"id="take-it""#) && page.html.contains(#"id="send-solved""#))
            #expect(page.html.contains(#"form="composer""#), "the side panel's fields belong to the composer's form")
            let csrf = try #require(page.csrf)

            // The reported bug: an assignee chosen, then "reply and solve": the assignee must stay.
            let sent = try await web.post("/agent/tickets/\(number)/comment", [
                ("_csrf", csrf), ("visibility", "public"), ("body", "Готово, проверьте."), ("status", "new"),
                ("assignee_id", String(agent.id)), ("group_id", ""), ("priority", "normal"), ("send_status", "solved"),
            ])
            #expect(sent.status == .seeOther)
            var ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: agent.token)
            #expect(ticket["status"] as? String == "solved")
            #expect((ticket["assignee"] as? [String: Any])?["id"] as? Int == agent.id)

            // A form that carries no assignee (an older page, a note) leaves the assignee as it is.
            let other = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(other)", token: server.adminToken, json: ["assignee_id": agent.id])
            let note = try await web.post("/agent/tickets/\(other)/comment", [("_csrf", csrf), ("visibility", "internal"), ("body", "Заметка")])
            #expect(note.status == .seeOther)
            ticket = try await server.request(.GET, "/api/v1/tickets/\(other)", token: agent.token)
            #expect((ticket["assignee"] as? [String: Any])?["id"] as? Int == agent.id)

            // "Save the fields" with text typed: the fields are saved, the text stays unsent in the editor.
            let saved = try await web.post("/agent/tickets/\(other)/comment", [
                ("_csrf", csrf), ("visibility", "public"), ("body", "Черновик ответа"), ("priority", "urgent"), ("action", "save"),
            ])
            #expect(saved.status == .ok)
            #expect(saved.html.contains("Черновик ответа") && saved.html.contains("Текст ответа не отправлен"))
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM comments WHERE body = 'Черновик ответа'") == 0)
            ticket = try await server.request(.GET, "/api/v1/tickets/\(other)", token: agent.token)
            #expect(ticket["priority"] as? String == "urgent")

            // Nothing to send and nothing changed: asked for the text; a refused change keeps what was typed.
            let empty = try await web.post("/agent/tickets/\(other)/comment", [("_csrf", csrf), ("visibility", "public"), ("body", "  ")])
            #expect(empty.status == .unprocessableEntity && empty.html.contains("Напишите текст."))
            let bad = try await web.post("/agent/tickets/\(other)/comment", [
                ("_csrf", csrf), ("visibility", "public"), ("body", "Ответ с ошибкой"), ("assignee_id", "424242"),
            ])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Ответ с ошибкой"))
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM comments WHERE body = 'Ответ с ошибкой'") == 0)
        }
    }

    @Test("a canned response may set fields; unknown values are refused; the page carries them to the form", arguments: TestDatabase.all)
    func macros(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let agent = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            let bad = try await server.request(.POST, "/api/v1/canned-responses", token: server.adminToken,
                                               json: ["title": "Ждём логи", "body": "Пришлите журнал.", "sets": ["status": "no_such"]])
            #expect(bad.status == .unprocessableEntity)
            let made = try await server.request(.POST, "/api/v1/canned-responses", token: server.adminToken, json: [
                "title": "Ждём логи", "body": "Пришлите журнал.", "sets": ["status": "pending", "priority": "high", "assignee_id": agent.id],
            ])
            #expect(made.status == .created)
            server.expectConforms(made.json, to: "CannedResponse")
            let list = try await server.request(.GET, "/api/v1/canned-responses", token: agent.token)
            let sets = try #require(list.items.first { $0["title"] as? String == "Ждём логи" }?["sets"] as? [String: Any])
            #expect(sets["status"] as? String == "pending" && sets["priority"] as? String == "high" && sets["assignee_id"] as? Int == agent.id)
            let customer = try await server.makeUser("c@romashka.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let web = WebClient(server)
            _ = try await web.signIn("anna@desk.ru", "password-anna@desk.ru")
            let page = try await web.get("/agent/tickets/\(number)")
            #expect(page.html.contains(#"data-set-status="pending""#) && page.html.contains(#"data-set-priority="high""#))
        }
    }

    @Test("presence: a page's sign of life is stored per ticket and agent, and goes when the page leaves", arguments: TestDatabase.all)
    func presence(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@romashka.ru", role: .customer)
            _ = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let web = WebClient(server)
            _ = try await web.signIn("anna@desk.ru", "password-anna@desk.ru")
            let csrf = try #require(try await web.get("/agent/tickets/\(number)").csrf)
            #expect(try await web.post("/agent/tickets/\(number)/presence", [("_csrf", csrf), ("typing", "1")]).status == .noContent)
            #expect(try await web.post("/agent/tickets/\(number)/presence", [("_csrf", csrf), ("typing", "0")]).status == .noContent)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM ticket_presence") == 1)
            #expect(try await web.post("/agent/tickets/\(number)/presence", [("_csrf", "forged"), ("typing", "1")]).status == .forbidden)
            #expect(try await web.post("/agent/tickets/999999/presence", [("_csrf", csrf)]).status == .notFound)
            #expect(try await web.post("/agent/tickets/\(number)/presence", [("_csrf", csrf), ("leave", "1")]).status == .noContent)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM ticket_presence") == 0)
            // A page that vanished without a word is forgotten by the periodic sweep an hour later, not before.
            #expect(try await web.post("/agent/tickets/\(number)/presence", [("_csrf", csrf), ("typing", "0")]).status == .noContent)
            #expect(try await PresenceService.sweep(context: .system(server.app)) == 0)
            #expect(try await PresenceService.sweep(context: .system(server.app, at: Date().addingTimeInterval(3700))) == 1)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM ticket_presence") == 0)
            // Customers have no presence and no live stream.
            let portal = WebClient(server)
            _ = try await portal.signIn("c@romashka.ru", "password-c@romashka.ru")
            #expect(try await portal.get("/agent/live").status == .forbidden)
        }
    }

    @Test("a bulk change names each ticket that refused it, and why, on the queue", arguments: TestDatabase.all)
    func bulkRefusals(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@romashka.ru", role: .customer)
            _ = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            let open = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let closed = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(closed)", token: server.adminToken, json: ["status": "solved"])
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(closed)", token: server.adminToken, json: ["status": "closed"])
            #expect(try await server.request(.GET, "/api/v1/tickets/\(closed)", token: server.adminToken)["status"] as? String == "closed")
            let web = WebClient(server)
            _ = try await web.signIn("anna@desk.ru", "password-anna@desk.ru")
            let csrf = try #require(try await web.get("/agent/queues/open").csrf)
            let done = try await web.post("/agent/bulk", [("_csrf", csrf), ("back", "/agent/queues/open"), ("ticket", String(open)),
                                                          ("ticket", String(closed)), ("bulk_status", "open")])
            #expect(done.status == .seeOther)
            let back = try #require(done.location)
            let queue = try await web.get(back)
            #expect(queue.status == .ok)
            #expect(queue.html.contains("Готово: 1 из 2. Не изменены: №\(closed) — такой переход статуса не разрешён."), "\(back)")
        }
    }

    @Test("settings: the setup pages by role; the first-run checklist follows what exists", arguments: TestDatabase.all)
    func settings(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = WebClient(server)
            _ = try await admin.signIn(TestServer.adminEmail, TestServer.adminPassword)
            var page = try await admin.get("/settings")
            #expect(page.html.contains("Настройка поддержки: готово") && page.html.contains(#"id="setup-lines" class="todo""#)
                    || page.html.contains(#"class="todo" id="setup-lines""#))
            let queue = try await admin.get("/agent/queues/open")
            #expect(queue.html.contains(#"id="setup-checklist""#), "the checklist greets a new admin on the queue")
            let group = try await server.request(.POST, "/api/v1/groups", token: server.adminToken, json: ["name": "Первая линия"])
            let agent = try await server.makeUser("anna@desk.ru", name: "Анна", role: .agent)
            _ = try await server.request(.PUT, "/api/v1/groups/\(group["id"] as? Int ?? 0)/members/\(agent.id)", token: server.adminToken)
            page = try await admin.get("/settings")
            #expect(page.html.contains(#"class="done" id="setup-lines""#) && page.html.contains(#"class="done" id="setup-team""#))
            #expect(page.html.contains("/admin/bans") && page.html.contains("/admin/users"))
            let web = WebClient(server)
            _ = try await web.signIn("anna@desk.ru", "password-anna@desk.ru")
            let agentPage = try await web.get("/settings")
            #expect(agentPage.status == .ok && agentPage.html.contains("/account/tokens"))
            #expect(!agentPage.html.contains("/admin/users") && !agentPage.html.contains("setup-checklist"))
        }
    }
}
