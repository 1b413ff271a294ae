import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Issue 6 through the server: hand-off routes and critical-problem rules.
@Suite("Hand-off routes and critical problems", .serialized)
struct RoutingTests {
    @Test("seed 002's routes ship ready; a hand-off sets status and responsible and tells the customer the route's words; the consultation line refuses a free-plan customer",
          arguments: TestDatabase.all)
    func routes(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let list = try await server.request(.GET, "/api/v1/routes", token: admin)
            server.expectConforms(list.json, to: "RouteList")
            #expect(list.items.compactMap { $0["key"] as? String } == ["consultation_line", "development", "manager", "second_line"])
            let dispatcher = try await server.makeUser("dispatcher@s.ru", name: "Диспетчер техподдержки", role: .dispatcher)
            let setResponsible = try await server.request(.PATCH, "/api/v1/routes/development", token: admin, json: ["assignee_id": dispatcher.id])
            #expect(setResponsible.status == .ok && setResponsible["assignee_id"] as? Int == dispatcher.id)
            #expect(try await server.request(.PATCH, "/api/v1/routes/development", token: admin, json: ["status": "nonexistent"]).status
                    == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/routes/development", token: dispatcher.token, json: ["name": "x"]).status == .forbidden)

            let free = try #require(try await server.request(.POST, "/api/v1/organizations", token: admin,
                                                             json: ["name": "ИП Иванов", "plan": "free"])["id"] as? Int)
            let paid = try #require(try await server.request(.POST, "/api/v1/organizations", token: admin,
                                                             json: ["name": "ООО «Ромашка»", "plan": "paid"])["id"] as? Int)
            let freeCustomer = try await server.makeUser("free@x.ru", role: .customer, organizationID: free)
            let paidCustomer = try await server.makeUser("paid@x.ru", role: .customer, organizationID: paid, locale: .en)
            let freeTicket = try #require(try await server.makeTicket(token: freeCustomer.token, subject: "Отчёт")["number"] as? Int)
            let paidTicket = try #require(try await server.makeTicket(token: paidCustomer.token, subject: "Report")["number"] as? Int)

            // Free plan: the consultation line refuses, and nothing changes.
            let refused = try await server.request(.POST, "/api/v1/tickets/\(freeTicket)/route", token: dispatcher.token,
                                                   json: ["route": "consultation_line"])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("paid_plan_only"))
            #expect(try await server.request(.GET, "/api/v1/tickets/\(freeTicket)", token: admin)["status"] as? String == "new")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(freeTicket)/comments", token: admin).items.count == 1)
            // To development: the seed's status, the dispatcher responsible, the seed's words to the customer, the note internal.
            let routed = try await server.request(.POST, "/api/v1/tickets/\(freeTicket)/route", token: dispatcher.token,
                                                  json: ["route": "development", "note": "Ошибка в модуле отчётов, версия 3.1"])
            #expect(routed.status == .ok)
            server.expectConforms(routed.json, to: "Ticket")
            #expect(routed["status"] as? String == "transfer_development")
            #expect((routed["assignee"] as? [String: Any])?["id"] as? Int == dispatcher.id)
            let seen = try await server.request(.GET, "/api/v1/tickets/\(freeTicket)/comments", token: freeCustomer.token)
            #expect(seen.items.last?["body"] as? String == "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день")
            #expect(!seen.text.contains("модуле отчётов"))
            let events = try await server.request(.GET, "/api/v1/tickets/\(freeTicket)/events", token: admin)
            #expect(events.items.contains { $0["kind"] as? String == "routed" && $0["after"] as? String == "development" })
            // Paid plan, English-speaking customer: the consultation line takes it and speaks English.
            let line = try await server.request(.POST, "/api/v1/tickets/\(paidTicket)/route", token: dispatcher.token, json: ["route": "consultation_line"])
            #expect(line.status == .ok && line["status"] as? String == "transfer_consultation")
            let english = try await server.request(.GET, "/api/v1/tickets/\(paidTicket)/comments", token: paidCustomer.token)
            #expect((english.items.last?["body"] as? String ?? "").hasPrefix("We have passed your request to the consultation line"))
            // Bad input.
            #expect(try await server.request(.POST, "/api/v1/tickets/\(paidTicket)/route", token: dispatcher.token, json: ["route": "nowhere"]).status
                    == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/tickets/999999/route", token: dispatcher.token, json: ["route": "manager"]).status
                    == .notFound)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(paidTicket)/route", token: paidCustomer.token, json: ["route": "manager"]).status
                    == .forbidden)

            // The same in the web page: the refusal is explained in words; the hand-off goes through.
            let web = WebClient(server)
            try await web.signIn("dispatcher@s.ru", "password-dispatcher@s.ru")
            let other = try #require(try await server.makeTicket(token: freeCustomer.token, subject: "Ещё отчёт")["number"] as? Int)
            let page = try await web.get("/agent/tickets/\(other)")
            #expect(page.html.contains("Передать заявку") && page.html.contains("только платные"))
            let no = try await web.post("/agent/tickets/\(other)/route", [("_csrf", page.csrf ?? ""), ("route", "consultation_line"), ("note", "")])
            #expect(no.status == .unprocessableEntity && no.html.contains("только для клиентов на платном тарифе"))
            let yes = try await web.post("/agent/tickets/\(other)/route", [("_csrf", page.csrf ?? ""), ("route", "manager"), ("note", "")])
            #expect(yes.status == .seeOther)
            #expect(try await web.get("/agent/tickets/\(other)").html.contains("передана по маршруту «Менеджер свяжется»"))
        }
    }

    @Test("an ended contract and an exceeded quota show on the ticket with the team's next step; INN check digits are checked",
          arguments: TestDatabase.all)
    func accountChecks(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: ["ZAYAVKA_QUOTA_EXCEEDED_STEP": "Предложите тариф побольше."]) { server in
            let admin = server.adminToken
            #expect(try await server.request(.POST, "/api/v1/organizations", token: admin,
                                             json: ["name": "ООО «Ошибка»", "inn": "7707083894"]).status == .unprocessableEntity)
            let ended = try await server.request(.POST, "/api/v1/organizations", token: admin, json: [
                "name": "ООО «Ромашка»", "inn": "7707083893", "contract_number": "Д-1042", "contract_ends_on": "2025-12-31",
                "quota": 10, "usage": 12, "plan": "paid",
            ])
            #expect(ended.status == .created)
            let fine = try await server.request(.POST, "/api/v1/organizations", token: admin,
                                                json: ["name": "ИП Петров", "inn": "500100732259", "contract_ends_on": "2099-01-01", "quota": 10, "usage": 3])
            #expect(fine.status == .created)
            let late = try await server.makeUser("late@x.ru", role: .customer, organizationID: try #require(ended["id"] as? Int))
            let ok = try await server.makeUser("ok@x.ru", role: .customer, organizationID: try #require(fine["id"] as? Int))
            let lateTicket = try #require(try await server.makeTicket(token: late.token)["number"] as? Int)
            let okTicket = try #require(try await server.makeTicket(token: ok.token)["number"] as? Int)
            let checks = try await server.request(.GET, "/api/v1/tickets/\(lateTicket)/checks", token: admin)
            server.expectConforms(checks.json, to: "AccountCheckList")
            #expect(checks.items.compactMap { $0["kind"] as? String } == ["contract_ended", "quota_exceeded"])
            #expect((checks.items.first?["message"] as? String ?? "").contains("Д-1042 закончился 31.12.2025"))
            #expect(checks.items.first?["next_step"] as? String == "Следуйте инструкции «Кредит и продление тарифа».")
            #expect(checks.items.last?["next_step"] as? String == "Предложите тариф побольше.")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(okTicket)/checks", token: admin).items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(lateTicket)/checks", token: late.token).status == .forbidden)
            _ = try await server.makeUser("agent@s.ru", role: .agent)
            let web = WebClient(server)
            try await web.signIn("agent@s.ru", "password-agent@s.ru")
            let page = try await web.get("/agent/tickets/\(lateTicket)")
            #expect(page.html.contains("id=\"check-contract_ended\"") && page.html.contains("Кредит и продление тарифа"))
            #expect(page.html.contains("id=\"check-quota_exceeded\""))
            #expect(!(try await web.get("/agent/tickets/\(okTicket)").html.contains("check-contract_ended")))
        }
    }

    @Test("seed 001's conduct remark: posted in the customer's language and recorded; the repeat offers a ban, recorded as a request",
          arguments: TestDatabase.all)
    func conduct(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let agent = try await server.makeUser("agent@s.ru", role: .agent)
            let rude = try await server.makeUser("rude@x.ru", role: .customer)
            let first = try #require(try await server.makeTicket(token: rude.token)["number"] as? Int)
            let second = try #require(try await server.makeTicket(token: rude.token, subject: "Опять")["number"] as? Int)
            // No ban before a first warning.
            #expect(try await server.request(.POST, "/api/v1/tickets/\(first)/warning", token: agent.token, json: ["request_ban": true]).status
                    == .unprocessableEntity)
            let warned = try await server.request(.POST, "/api/v1/tickets/\(first)/warning", token: agent.token, json: [:])
            #expect(warned.status == .ok)
            server.expectConforms(warned.json, to: "Warning")
            #expect(warned["warnings"] as? Int == 1 && warned["ban_offered"] as? Bool == false)
            let seen = try await server.request(.GET, "/api/v1/tickets/\(first)/comments", token: rude.token)
            #expect((seen.items.last?["body"] as? String ?? "").hasPrefix("Давайте вернемся к разговору в деловом и уважительном стиле"))
            // The repeat, on another ticket of the same customer, offers the ban; asking records it.
            let again = try await server.request(.POST, "/api/v1/tickets/\(second)/warning", token: agent.token, json: [:])
            #expect(again["warnings"] as? Int == 2 && again["ban_offered"] as? Bool == true)
            let ban = try await server.request(.POST, "/api/v1/tickets/\(second)/warning", token: agent.token, json: ["request_ban": true])
            #expect(ban["ban_requested"] as? Bool == true)
            let events = try await server.request(.GET, "/api/v1/tickets/\(second)/events", token: server.adminToken)
            #expect(events.items.contains { $0["kind"] as? String == "ban_requested" && $0["after"] as? String == String(rude.id) })
            #expect(!(try await server.request(.GET, "/api/v1/tickets/\(second)/events", token: rude.token).text.contains("ban_requested")))
            #expect(try await server.request(.POST, "/api/v1/tickets/\(second)/warning", token: rude.token, json: [:]).status == .forbidden)
            // The page: the count and the ban button after a warning.
            let web = WebClient(server)
            try await web.signIn("agent@s.ru", "password-agent@s.ru")
            let page = try await web.get("/agent/tickets/\(first)")
            #expect(page.html.contains("Замечаний клиенту: 2.") && page.html.contains("conduct-ban"))
            let posted = try await web.post("/agent/tickets/\(first)/warning", [("_csrf", page.csrf ?? ""), ("action", "warn")])
            #expect(posted.status == .seeOther && (posted.location ?? "").contains("notice=warned-again"))
        }
    }

    @Test("seed 002's critical problems: urgent at once, recorded, the dispatchers mailed; rules are editable", arguments: TestDatabase.all)
    func critical(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let rules = try await server.request(.GET, "/api/v1/critical-rules", token: admin)
            server.expectConforms(rules.json, to: "CriticalRuleList")
            #expect(rules.items.count == 4)
            _ = try await server.makeUser("dispatcher@s.ru", name: "Диспетчер", role: .dispatcher)
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let shift = try await server.request(.POST, "/api/v1/tickets", token: customer.token,
                                                 json: ["subject": "Касса", "body": "С утра не открывается кассовая смена, ошибка ФН"])
            #expect(shift.status == .created)
            let number = try #require(shift["number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["priority"] as? String == "urgent")
            let ordinary = try #require(try await server.makeTicket(token: customer.token, subject: "Вопрос по тарифу",
                                                                   extra: ["body": "Сколько стоит продление?"])["number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(ordinary)", token: admin)["priority"] as? String == "normal")
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: admin)
            #expect(events.items.contains { $0["kind"] as? String == "marked_critical" && $0["field"] as? String == "cash_shift" })
            #expect(!(try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: customer.token).text.contains("marked_critical")))
            try await MailNotifier.run(app: server.app)
            let alerts = try await server.sql.raw("SELECT to_address FROM mail_outbox WHERE kind = 'critical_ticket'").all()
                .map { try $0.decode(column: "to_address", as: String.self) }
            #expect(alerts == ["dispatcher@s.ru"])

            // A team's own rule; a rule with nothing to match is refused.
            let added = try await server.request(.POST, "/api/v1/critical-rules", token: admin,
                                                 json: ["key": "egais", "name": "Не работает ЕГАИС", "phrases": [["егаис", "не"]]])
            #expect(added.status == .created)
            #expect(try await server.request(.POST, "/api/v1/critical-rules", token: admin, json: ["key": "empty", "name": "Пусто"]).status
                    == .unprocessableEntity)
            let egais = try #require(try await server.makeTicket(token: customer.token, subject: "ЕГАИС",
                                                                extra: ["body": "Не уходят накладные в ЕГАИС"])["number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(egais)", token: admin)["priority"] as? String == "urgent")
            _ = try await server.request(.PATCH, "/api/v1/critical-rules/egais", token: admin, json: ["active": false])
            let after = try #require(try await server.makeTicket(token: customer.token, subject: "ЕГАИС снова",
                                                                extra: ["body": "Не уходят накладные в ЕГАИС"])["number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(after)", token: admin)["priority"] as? String == "normal")
        }
    }
}
