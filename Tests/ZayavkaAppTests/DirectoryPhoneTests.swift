import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Issue 6 through the server: the one-box directory search, CSV import and export, phone intake
/// with callbacks, and assignment by turn or load.
@Suite("Directory search, CSV, phone and assignment", .serialized)
struct DirectoryPhoneTests {
    @Test("one box finds an organization by contract, login, INN, name or phone in any spelling, and a contact by email or phone; edits re-index",
          arguments: TestDatabase.all)
    func search(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let created = try await server.request(.POST, "/api/v1/organizations", token: admin, json: [
                "name": "ООО «Ромашка-Софт»", "inn": "7707083893", "contract_number": "ЕО-12/345", "logins": ["romashka_1c"],
                "phones": ["+7 (913) 919-90-99"], "plan": "paid", "contract_ends_on": "2020-01-31",
            ])
            #expect(created.status == .created)
            #expect(created["logins"] as? [String] == ["romashka_1c"])
            let org = try #require(created["id"] as? Int)
            _ = try await server.request(.POST, "/api/v1/organizations", token: admin, json: ["name": "ООО Лютик", "inn": "7736207543"])
            let customer = try await server.makeUser("petr.elkin@romashka.ru", name: "Пётр Ёлкин", role: .customer, organizationID: org)
            _ = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: admin, json: ["phone": "8 (343) 222-16-02"])
            _ = try await server.makeTicket(token: customer.token)
            let agent = try await server.makeUser("agent@s.ru", role: .agent)

            func first(_ q: String) async throws -> (org: String?, kind: String?, contact: String?, contactKind: String?, reply: TestServer.Reply) {
                let reply = try await server.request(.GET, "/api/v1/directory/search?q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                                     token: agent.token)
                #expect(reply.status == .ok)
                let orgs = reply["organizations"] as? [[String: Any]] ?? []
                let contacts = reply["contacts"] as? [[String: Any]] ?? []
                return ((orgs.first?["organization"] as? [String: Any])?["name"] as? String, (orgs.first?["matched"] as? [String: Any])?["kind"] as? String,
                        contacts.first?["name"] as? String, (contacts.first?["matched"] as? [String: Any])?["kind"] as? String, reply)
            }
            for (query, kind) in [("7707083893", "inn"), ("ЕО-12/345", "contract"), ("ео12345", "contract"), ("ROMASHKA_1C", "login"),
                                  ("ромашка", "name"), ("+7 (913) 919-90-99", "phone"), ("89139199099", "phone"), ("913 919", "phone")] {
                let hit = try await first(query)
                #expect(hit.org == "ООО «Ромашка-Софт»" && hit.kind == kind, "\(query)")
            }
            let byINN = try await first("7707083893")
            server.expectConforms(byINN.reply.json, to: "DirectorySearch")
            let match = try #require((byINN.reply["organizations"] as? [[String: Any]])?.first)
            #expect(match["checks"] as? [String] == ["contract_ended"])
            #expect(match["open_tickets"] as? Int == 1)
            #expect(try await first("елкин").contact == "Пётр Ёлкин")
            let byPhone = try await first("+73432221602")
            #expect(byPhone.contact == "Пётр Ёлкин" && byPhone.contactKind == "phone")
            #expect(try await first("petr.elkin@").contactKind == "email")
            #expect(try await first("Лютик").org == "ООО Лютик")
            #expect(try await first("несуществующая").org == nil)
            #expect(try await first("р").org == nil, "one letter is not a query")
            // An edit moves the keys: the old INN no longer finds it, the new one does.
            _ = try await server.request(.PATCH, "/api/v1/organizations/\(org)", token: admin, json: ["inn": "500100732259"])
            #expect(try await first("7707083893").org == nil)
            #expect(try await first("500100732259").org == "ООО «Ромашка-Софт»")
            // Customers may not search the directory.
            #expect(try await server.request(.GET, "/api/v1/directory/search?q=ромашка", token: customer.token).status == .forbidden)

            // The web page: a search box in the agent's bar, results with the banner's reason.
            let web = WebClient(server)
            try await web.signIn("agent@s.ru", "password-agent@s.ru")
            let page = try await web.get("/agent/directory?q=" + "8 913 919 90 99".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(page.status == .ok)
            #expect(page.html.contains("ООО «Ромашка-Софт»") && page.html.contains("закончился 31.01.2020"))
            #expect(try await web.get("/agent/directory?q=zzzz").html.contains("Ничего не найдено"))

            // The admin's organization list searches the same way (a large desk has more than a page).
            let adminWeb = WebClient(server)
            try await adminWeb.signIn(TestServer.adminEmail, TestServer.adminPassword)
            let listed = try await adminWeb.get("/admin/organizations?q=" + "ео 12 345".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(listed.status == .ok && listed.html.contains("ООО «Ромашка-Софт»") && !listed.html.contains("ООО Лютик"))
            #expect(try await adminWeb.get("/admin/organizations?q=zzzz").html.contains("id=\"organizations-none\""))
            let editing = try await adminWeb.get("/admin/organizations?q=Лютик&edit=\(org)")
            #expect(editing.html.contains("value=\"500100732259\""), "the organization being edited is on the page whatever the search")
        }
    }

    @Test("CSV: organizations and contacts import with a report of rejected rows, update by INN, export what import reads",
          arguments: TestDatabase.all)
    func csv(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let csv = """
                Название;ИНН;Номер договора;Логины;Тариф;Договор до;Квота;Использовано;Телефоны;Адреса
                ООО «Ромашка»;7707083893;ЕО-1;romashka, romashka2;платный;31.12.2030;100;20;+7 (913) 919-90-99;"г. Москва, ул. Ленина, д. 1; г. Тверь, пр. Мира, 5"
                ИП Лютик;500100732259;ЕО-2;;free;;;;
                Плохой ИНН;7707083894;;;;;;;
                ;7736207543;;;;;;;
                Неверная дата;;;;paid;31.02.2030;много;;звоните
                ООО «Ромашка»;7707083893;ЕО-1;romashka, romashka2;paid;31.12.2030;100;25;+7 (913) 919-90-99;"г. Москва, ул. Ленина, д. 1
                г. Тверь, пр. Мира, 5"

                """
            let reply = try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: Data(csv.utf8),
                                                 headers: [("Content-Type", "text/csv")])
            #expect(reply.status == .ok)
            server.expectConforms(reply.json, to: "ImportReport")
            #expect(reply["created"] as? Int == 2)
            let rejected = reply["rejected"] as? [[String: Any]] ?? []
            #expect(rejected.map { $0["line"] as? Int } == [4, 5, 6])
            let fields = rejected.map { ($0["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
            #expect(fields == [["inn"], ["name"], ["contract_ends_on", "quota", "phones"]])
            #expect((rejected.first?["errors"] as? [[String: Any]])?.first?["message"] as? String == "неверный формат")
            let search = try await server.request(.GET, "/api/v1/directory/search?q=romashka2", token: admin)
            let found = try #require(((search["organizations"] as? [[String: Any]])?.first)?["organization"] as? [String: Any])
            #expect(found["usage"] as? Int == 25, "the repeated row updated the one before it")
            #expect(found["plan"] as? String == "paid" && found["contract_ends_on"] as? String == "2030-12-31")
            #expect(found["phones"] as? [String] == ["+79139199099"])
            #expect(found["addresses"] as? [String] == ["г. Москва, ул. Ленина, д. 1", "г. Тверь, пр. Мира, 5"], "a comma inside an address is no separator")

            // A second file in windows-1251 with commas updates by INN.
            let update = "name,inn,quota\nООО Ромашка (новое имя),7707083893,500\n".data(using: .windowsCP1251)!
            let second = try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: update)
            #expect(second["created"] as? Int == 0 && second["updated"] as? Int == 1)
            let renamed = try await server.request(.GET, "/api/v1/directory/search?q=7707083893", token: admin)
            let org = try #require(((renamed["organizations"] as? [[String: Any]])?.first)?["organization"] as? [String: Any])
            #expect(org["name"] as? String == "ООО Ромашка (новое имя)" && org["quota"] as? Int == 500 && org["contract_number"] as? String == "ЕО-1")

            // Contacts: by email; the organization by INN; a staff address and an unknown organization are refused.
            _ = try await server.makeUser("agent@s.ru", role: .agent)
            let contacts = """
                email,name,phone,organization_inn,locale
                anna@romashka.ru,Анна Петрова,8 913 000 11 22,7707083893,ru
                bob@lutik.ru,Bob,,500100732259,en
                agent@s.ru,Агент,,,
                x@y.ru,Кто-то,,1234567890,
                not-an-email,Нет,,,
                """
            let people = try await server.request(.POST, "/api/v1/contacts/import", token: admin, body: Data(contacts.utf8))
            #expect(people.status == .ok && people["created"] as? Int == 2)
            #expect((people["rejected"] as? [[String: Any]] ?? []).map { $0["line"] as? Int } == [4, 5, 6])
            let anna = try await server.request(.GET, "/api/v1/directory/search?q=89130001122", token: admin)
            let contact = try #require((anna["contacts"] as? [[String: Any]])?.first)
            #expect(contact["name"] as? String == "Анна Петрова")
            #expect((contact["organization"] as? [String: Any])?["name"] as? String == "ООО Ромашка (новое имя)")

            // Export reads back through import unchanged.
            let exported = try await server.request(.GET, "/api/v1/organizations/export", token: admin)
            #expect(exported.status == .ok && exported.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            let rows = try CSV.parse(CSV.text(of: exported.body))
            #expect(rows.count == 3 && rows[0].fields.first == "name")
            #expect(rows.contains { $0.fields.contains("romashka, romashka2") })
            #expect(rows[0].fields.contains("addresses"))
            #expect(rows.contains { $0.fields.contains("г. Москва, ул. Ленина, д. 1; г. Тверь, пр. Мира, 5") })
            let again = try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: exported.body)
            #expect(again["created"] as? Int == 0 && again["updated"] as? Int == 2 && (again["rejected"] as? [Any])?.isEmpty == true)
            let people2 = try await server.request(.GET, "/api/v1/contacts/export", token: admin)
            #expect(people2.text.contains("anna@romashka.ru;Анна Петрова;+79130001122;7707083893"))
            #expect(!people2.text.contains("agent@s.ru"))

            // Bad files.
            #expect(try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: Data("ИНН;Тариф\n1;paid\n".utf8)).status
                    == .unprocessableEntity, "no name column")
            #expect(try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: Data()).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/organizations/import", token: admin, body: Data("name\n\"open\n".utf8)).status
                    == .unprocessableEntity)
            let agent = try await server.token(email: "agent@s.ru", password: "password-agent@s.ru")
            #expect(try await server.request(.POST, "/api/v1/organizations/import", token: agent, body: Data(csv.utf8)).status == .forbidden)
        }
    }

    @Test("phone: an incoming call registers a ticket with the caller's number; calls are logged; a busy callback retries in 15 minutes, the second busy tells the customer",
          arguments: TestDatabase.all)
    func phone(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let dispatcher = try await server.makeUser("dispatcher@s.ru", name: "Диспетчер", role: .dispatcher)
            let customer = try await server.makeUser("ivan@x.ru", name: "Иван", role: .customer)
            let call = try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: [
                "number": "8 (913) 919-90-99", "duration_seconds": 180, "note": "Клиент на телефоне, перезвонить после 15:00",
                "new_ticket": ["subject": "Не печатается чек", "body": "Звонок: принтер не печатает", "requester_id": customer.id,
                               "fields": ["call_time": "после 15:00"]],
                "callback_at": ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600)),
            ])
            #expect(call.status == .created)
            server.expectConforms(call.json, to: "Call")
            let number = try #require(call["ticket_number"] as? Int)
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)
            #expect(ticket["channel"] as? String == "phone")
            #expect((ticket["fields"] as? [String: String])?["phone"] == "+79139199099")
            let calls = try await server.request(.GET, "/api/v1/tickets/\(number)/calls", token: dispatcher.token)
            server.expectConforms(calls.json, to: "CallList")
            #expect(calls.items.first?["duration_seconds"] as? Int == 180 && calls.items.first?["outcome"] as? String == "answered")
            // The callback it scheduled is in the queue, not yet due.
            let queue = try await server.request(.GET, "/api/v1/callbacks", token: dispatcher.token)
            server.expectConforms(queue.json, to: "CallbackList")
            #expect(queue.items.count == 1 && queue.items.first?["number"] as? String == "+79139199099")
            #expect(try await server.request(.GET, "/api/v1/callbacks?due=true", token: dispatcher.token).items.isEmpty)

            // A callback due now: busy → another in 15 minutes.
            let due = try await server.request(.POST, "/api/v1/tickets/\(number)/callbacks", token: dispatcher.token,
                                               json: ["due_at": ISO8601DateFormatter().string(from: Date())])
            #expect(due.status == .created)
            let dueID = try #require(due["id"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/callbacks?due=true", token: dispatcher.token).items.map { $0["id"] as? Int } == [dueID])
            let before = Date()
            let busy = try await server.request(.POST, "/api/v1/callbacks/\(dueID)/attempt", token: dispatcher.token, json: ["outcome": "busy"])
            #expect(busy.status == .ok)
            server.expectConforms(busy.json, to: "CallbackAttempt")
            #expect(busy["next"] as? String == "retry")
            let retry = try #require(busy["retry"] as? [String: Any])
            let retryAt = try Date(retry["due_at"] as? String ?? "", strategy: .iso8601)
            #expect(abs(retryAt.timeIntervalSince(before) - 15 * 60) < 30)
            #expect(retry["busy_count"] as? Int == 1)
            // The same callback cannot be tried twice.
            #expect(try await server.request(.POST, "/api/v1/callbacks/\(dueID)/attempt", token: dispatcher.token, json: ["outcome": "busy"]).status
                    == .conflict)
            // Busy again: the rule's message goes to the customer, in the ticket.
            let retryID = try #require(retry["id"] as? Int)
            let second = try await server.request(.POST, "/api/v1/callbacks/\(retryID)/attempt", token: dispatcher.token,
                                                  json: ["outcome": "busy", "note": "снова занято"])
            #expect(second["next"] as? String == "customer_told" && second["comment_id"] is Int)
            let seen = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: customer.token)
            #expect(seen.items.last?["body"] as? String == CallbackRule.seed002.messageRu)
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: admin)
            #expect(events.items.filter { $0["kind"] as? String == "call_logged" }.count == 3)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)/calls", token: admin).items.count == 3)
            // No answer at once tells the customer; an answered call just ends the callback.
            let another = try #require(try await server.request(.POST, "/api/v1/tickets/\(number)/callbacks", token: dispatcher.token,
                                                                json: ["due_at": ISO8601DateFormatter().string(from: Date())])["id"] as? Int)
            #expect(try await server.request(.POST, "/api/v1/callbacks/\(another)/attempt", token: dispatcher.token, json: ["outcome": "no_answer"])["next"]
                    as? String == "customer_told")
            let last = try #require(try await server.request(.POST, "/api/v1/tickets/\(number)/callbacks", token: dispatcher.token,
                                                             json: ["due_at": ISO8601DateFormatter().string(from: Date())])["id"] as? Int)
            #expect(try await server.request(.POST, "/api/v1/callbacks/\(last)/attempt", token: dispatcher.token,
                                             json: ["outcome": "answered", "duration_seconds": 240])["next"] as? String == "done")

            // A critical category chosen on the call's form (seed 002: the cash shift will not open) makes the ticket urgent at once.
            let critical = try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: [
                "number": "+7 913 919 90 99",
                "new_ticket": ["subject": "Касса", "body": "Звонок", "requester_id": customer.id, "fields": ["category": "cash_shift"]],
            ])
            let criticalNumber = try #require(critical["ticket_number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(criticalNumber)", token: admin)["priority"] as? String == "urgent")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(criticalNumber)/events", token: admin).items
                        .contains { $0["kind"] as? String == "marked_critical" && $0["field"] as? String == "cash_shift" })
            #expect(try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: [
                "number": "+7 913 919 90 99",
                "new_ticket": ["subject": "Касса", "body": "Звонок", "requester_id": customer.id, "fields": ["category": "nonsense"]],
            ]).status == .unprocessableEntity)

            // The rule is configurable.
            let rule = try await server.request(.PATCH, "/api/v1/callback-rule", token: admin, json: ["retry_minutes": 10, "busy_retries": 2])
            #expect(rule.status == .ok && rule["retry_minutes"] as? Int == 10)
            server.expectConforms(rule.json, to: "CallbackRule")
            #expect(try await server.request(.PATCH, "/api/v1/callback-rule", token: admin, json: ["retry_minutes": 0]).status == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/callback-rule", token: dispatcher.token, json: ["retry_minutes": 5]).status == .forbidden)

            // Bad input: a number that is not one, no ticket, an unknown ticket, a customer.
            #expect(try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: ["number": "звоните", "ticket_number": number]).status
                    == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: ["number": "89139199099"]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/calls", token: dispatcher.token, json: ["number": "89139199099", "ticket_number": 999_999]).status
                    == .notFound)
            #expect(try await server.request(.POST, "/api/v1/calls", token: customer.token, json: ["number": "89139199099", "ticket_number": number]).status
                    == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/callbacks/999999/attempt", token: dispatcher.token, json: ["outcome": "busy"]).status
                    == .notFound)
        }
    }

    @Test("a group that assigns round-robin or least-loaded hands new tickets to agents on shift only", arguments: TestDatabase.all)
    func assignment(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let group = try #require(try await server.request(.POST, "/api/v1/groups", token: admin,
                                                              json: ["name": "Первая линия", "assignment": "round_robin"])["id"] as? Int)
            var agents: [(id: Int, token: String)] = []
            for n in 1...3 {
                let agent = try await server.makeUser("agent\(n)@s.ru", role: .agent)
                agents.append(agent)
                _ = try await server.request(.PUT, "/api/v1/groups/\(group)/members/\(agent.id)", token: admin)
            }
            // Agents 1 and 3 come on shift; 2 does not.
            for agent in [agents[0], agents[2]] {
                let shift = try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: agent.token, json: ["on_shift": true])
                #expect(shift.status == .ok && shift["on_shift"] as? Bool == true)
            }
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["on_shift": true]).status
                    == .unprocessableEntity)
            var assignees: [Int?] = []
            for _ in 0..<4 {
                let ticket = try await server.makeTicket(token: agents[1].token, extra: ["requester_id": customer.id, "group_id": group])
                assignees.append((ticket["assignee"] as? [String: Any])?["id"] as? Int)
            }
            #expect(assignees == [agents[0].id, agents[2].id, agents[0].id, agents[2].id])

            // Least loaded: agent 3 has one more open ticket, so the next two go to agent 1 then, tied, by turn.
            let patched = try await server.request(.PATCH, "/api/v1/groups/\(group)", token: admin, json: ["assignment": "least_loaded"])
            #expect(patched["assignment"] as? String == "least_loaded")
            server.expectConforms(patched.json, to: "Group")
            let extra = try await server.makeTicket(token: agents[1].token, extra: ["requester_id": customer.id, "assignee_id": agents[2].id])
            #expect((extra["assignee"] as? [String: Any])?["id"] as? Int == agents[2].id)
            let next = try await server.makeTicket(token: agents[1].token, extra: ["requester_id": customer.id, "group_id": group])
            #expect((next["assignee"] as? [String: Any])?["id"] as? Int == agents[0].id)

            // Moving an unassigned ticket into the group assigns it; nobody on shift leaves it for the dispatcher.
            let loose = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let moved = try await server.request(.PATCH, "/api/v1/tickets/\(loose)", token: agents[1].token, json: ["group_id": group])
            #expect((moved["assignee"] as? [String: Any])?["id"] as? Int != nil)
            for agent in [agents[0], agents[2]] {
                _ = try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: agent.token, json: ["on_shift": false])
            }
            let nobody = try await server.makeTicket(token: agents[1].token, extra: ["requester_id": customer.id, "group_id": group])
            #expect(nobody["assignee"] == nil || nobody["assignee"] is NSNull)
            // Seed 002's lines install in one call and the routes lead to them; a second call changes nothing.
            let lines = try await server.request(.POST, "/api/v1/groups/templates/seed002", token: admin)
            server.expectConforms(lines.json, to: "GroupList")
            let byName = Dictionary(lines.items.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["Первая линия"]?["id"] as? Int == group, "an existing line is kept as it is")
            #expect(byName["Программисты (ОС)"]?["assignment"] as? String == "manual")
            #expect(byName["Вторая линия"]?["assignment"] as? String == "least_loaded")
            let routes = try await server.request(.GET, "/api/v1/routes", token: admin).items
            #expect(routes.first { $0["key"] as? String == "development" }?["group_id"] as? Int == byName["Программисты (ОС)"]?["id"] as? Int)
            #expect(try await server.request(.POST, "/api/v1/groups/templates/seed002", token: admin).items.count == lines.items.count)
            #expect(try await server.request(.POST, "/api/v1/groups/templates/seed002", token: agents[0].token).status == .forbidden)
            // A manual group never assigns.
            _ = try await server.request(.PATCH, "/api/v1/groups/\(group)", token: admin, json: ["assignment": "manual"])
            _ = try await server.request(.PATCH, "/api/v1/users/\(agents[0].id)", token: agents[0].token, json: ["on_shift": true])
            let manual = try await server.makeTicket(token: agents[1].token, extra: ["requester_id": customer.id, "group_id": group])
            #expect(manual["assignee"] == nil || manual["assignee"] is NSNull)
        }
    }

    @Test("the customer's 'contract or login' answer names the account: its checks on a ticket without an organization, not found, ambiguous, another organization's; a dispatcher places the customer",
          arguments: TestDatabase.all)
    func accountReference(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let ended = try #require(try await server.request(.POST, "/api/v1/organizations", token: admin, json: [
                "name": "ИП Сидоров", "inn": "500100732259", "contract_number": "Д-77", "plan": "free", "contract_ends_on": "2025-06-30",
            ])["id"] as? Int)
            let other = try #require(try await server.request(.POST, "/api/v1/organizations", token: admin, json: [
                "name": "ООО Лютик", "inn": "7736207543", "logins": ["lutik", "shared"], "plan": "paid",
            ])["id"] as? Int)
            _ = try await server.request(.POST, "/api/v1/organizations", token: admin, json: ["name": "ООО Ромашка", "logins": ["shared"]])
            let stranger = try await server.makeUser("new@mail.ru", name: "Новый Клиент", role: .customer)
            let agent = try await server.makeUser("agent@s.ru", role: .agent)
            let dispatcher = try await server.makeUser("disp@s.ru", name: "Диспетчер", role: .dispatcher)
            func ticket(_ answer: String, token: String) async throws -> Int {
                let reply = try await server.makeTicket(token: token, extra: ["fields": ["contract_or_login": answer]])
                #expect(reply.status == .created, "\(reply.text)")
                return try #require(reply["number"] as? Int)
            }
            func account(_ number: Int, token: String? = nil) async throws -> TestServer.Reply {
                let reply = try await server.request(.GET, "/api/v1/tickets/\(number)/account", token: token ?? agent.token)
                #expect(reply.status == .ok, "\(reply.text)")
                server.expectConforms(reply.json, to: "TicketAccount")
                return reply
            }

            // Somebody not in an organization names its contract: its checks are the ticket's.
            let named = try await ticket("Договор № Д 77", token: stranger.token)
            var reply = try await account(named)
            #expect(reply["source"] as? String == "reference")
            #expect((reply["organization"] as? [String: Any])?["name"] as? String == "ИП Сидоров")
            #expect((reply["reference"] as? [String: Any])?["state"] as? String == "found")
            #expect((reply["checks"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["contract_ended"])
            #expect(reply["can_place"] as? Bool == false, "an agent does not place customers")
            #expect(try await account(named, token: dispatcher.token)["can_place"] as? Bool == true)
            let checks = try await server.request(.GET, "/api/v1/tickets/\(named)/checks", token: agent.token)
            #expect((checks["items"] as? [[String: Any]])?.first?["kind"] as? String == "contract_ended")
            // The page says who it is and offers the dispatcher to place the customer.
            let web = WebClient(server)
            try await web.signIn("disp@s.ru", "password-disp@s.ru")
            var page = try await web.get("/agent/tickets/\(named)")
            #expect(page.html.contains("Клиент не привязан к организации") && page.html.contains("id=\"place-requester\""))
            #expect(page.html.contains("Д-77 закончился 30.06.2025"))
            // An agent may not place; the dispatcher does, through the form.
            #expect(try await server.request(.POST, "/api/v1/tickets/\(named)/account/place", token: agent.token).status == .forbidden)
            page = try await web.post("/agent/tickets/\(named)/place", [("_csrf", page.csrf ?? "")])
            #expect(page.status == .seeOther || page.status == .found, "\(page.status)")
            reply = try await account(named)
            #expect(reply["source"] as? String == "ticket" && reply["reference_mismatch"] as? Bool == false)
            #expect(try await server.request(.GET, "/api/v1/users/\(stranger.id)", token: admin)["organization_id"] as? Int == ended)
            let history = try await server.request(.GET, "/api/v1/tickets/\(named)/events", token: agent.token)
            #expect((history["items"] as? [[String: Any]])?.contains { $0["field"] as? String == "organization_id" && $0["after"] as? String == "ИП Сидоров" } == true)
            // Placing twice is refused in words: the ticket has its organization now.
            let again = try await server.request(.POST, "/api/v1/tickets/\(named)/account/place", token: dispatcher.token)
            #expect(again.status == .unprocessableEntity)

            // Not in the directory; several organizations; another organization's login.
            let typo = try await ticket("Д-78", token: stranger.token)
            #expect((try await account(typo)["reference"] as? [String: Any])?["state"] as? String == "not_found")
            page = try await web.get("/agent/tickets/\(typo)")
            #expect(page.html.contains("не найден в справочнике"))
            let shared = try await ticket("логин shared", token: stranger.token)
            reply = try await account(shared)
            #expect((reply["reference"] as? [String: Any])?["state"] as? String == "ambiguous")
            #expect(((reply["reference"] as? [String: Any])?["organizations"] as? [[String: Any]])?.count == 2)
            let mismatch = try await ticket("lutik", token: stranger.token)
            reply = try await account(mismatch)
            #expect(reply["source"] as? String == "ticket" && reply["reference_mismatch"] as? Bool == true)
            #expect(((reply["reference"] as? [String: Any])?["organizations"] as? [[String: Any]])?.first?["id"] as? Int == other)
            page = try await web.get("/agent/tickets/\(mismatch)")
            #expect(page.html.contains("принадлежит другой организации"))
            #expect(try await server.request(.POST, "/api/v1/tickets/\(mismatch)/account/place", token: dispatcher.token).status == .unprocessableEntity)
            // No answer: nothing to say.
            let plain = try #require(try await server.makeTicket(token: stranger.token)["number"] as? Int)
            reply = try await account(plain)
            #expect(reply["reference"] is NSNull || reply["reference"] == nil)
        }
    }
}
