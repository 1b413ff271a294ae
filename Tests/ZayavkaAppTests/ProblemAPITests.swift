import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Known problems through the API (SPEC P1, P2): linking, interested parties, one mail a person an
/// update, privacy, bad input, popularity.
@Suite("Known problems", .serialized)
struct ProblemAPITests {
    func outbox(_ server: TestServer) async throws -> [[String: Any]] {
        try await server.request(.GET, "/api/v1/mail/outbox?limit=500", token: server.adminToken).items
    }

    func count(_ server: TestServer, _ table: String) async throws -> Int {
        try await server.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()!.decode(column: "n", as: Int.self)
    }

    func ticket(_ server: TestServer, _ token: String, _ subject: String) async throws -> Int {
        let reply = try await server.makeTicket(token: token, subject: subject)
        return try #require(reply["number"] as? Int, "\(reply.status) \(reply.text)")
    }

    @Test("linking tickets makes each requester an interested party once, tells them the number, and refuses a second link",
          arguments: TestDatabase.all)
    func linking(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let olga = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let john = try await server.makeUser("john@client.com", name: "John", role: .customer, locale: .en)
            let a = try await ticket(server, olga.token, "Не печатается чек на кассе")
            let b = try await ticket(server, olga.token, "Снова не печатается чек")
            let c = try await ticket(server, john.token, "Receipt does not print")

            let created = try await server.request(.POST, "/api/v1/problems", token: admin, json: [
                "kind": "bug", "title": "Печать чеков на кассе", "public_summary": "Ошибка 0x1F при печати чека; исправляем.",
                "description": "Внутреннее: драйвер ККТ 10.4 не закрывает смену.",
            ])
            #expect(created.status == .created, "\(created.text)")
            server.expectConforms(created.json, to: "Problem")
            let code = try #require(created["code"] as? String)
            let number = try #require(created["number"] as? Int)
            #expect(code == "P-\(number)" && number >= 101)

            // The ticket's subject finds the problem (the first query an agent makes).
            let found = try await server.request(.GET, "/api/v1/problems?q=\("Не печатается чек".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", token: admin)
            #expect(found.items.first?["code"] as? String == code)

            for ticket in [a, b, c] {
                let linked = try await server.request(.PUT, "/api/v1/tickets/\(ticket)/problem", token: admin, json: ["problem": code])
                #expect(linked.status == .ok, "\(linked.text)")
            }
            #expect(try await count(server, "problem_parties") == 2)
            let again = try await server.request(.PUT, "/api/v1/tickets/\(a)/problem", token: admin, json: ["problem": number])
            #expect(again.status == .conflict)

            // Each requester got a public reply with the number and the public summary, in their language.
            let comments = try await server.request(.GET, "/api/v1/tickets/\(a)/comments", token: olga.token).items
            let reply = try #require(comments.last?["body"] as? String)
            #expect(reply.contains(code) && reply.contains("Ошибка 0x1F") && reply.contains("Здравствуйте, Ольга"))
            #expect(!reply.contains("драйвер ККТ"))
            let english = try await server.request(.GET, "/api/v1/tickets/\(c)/comments", token: john.token).items
            #expect((english.last?["body"] as? String ?? "").contains("Hello John"))
            let problem = try await server.request(.GET, "/api/v1/problems/\(code)", token: admin)
            #expect((problem["popularity"] as? [String: Any])?["tickets"] as? Int == 3)
            let linkedTickets = try await server.request(.GET, "/api/v1/problems/\(number)/tickets", token: admin)
            #expect(Set(linkedTickets.items.compactMap { $0["number"] as? Int }) == [a, b, c])
            server.expectConforms(linkedTickets.json, to: "ProblemTicketList")

            // Unlinking one of Olga's two keeps her a party; unlinking both does not.
            #expect(try await server.request(.DELETE, "/api/v1/tickets/\(a)/problem", token: admin).status == .noContent)
            #expect(try await count(server, "problem_parties") == 2)
            #expect(try await server.request(.DELETE, "/api/v1/tickets/\(b)/problem", token: admin).status == .noContent)
            #expect(try await count(server, "problem_parties") == 1)
            #expect(try await server.request(.DELETE, "/api/v1/tickets/\(b)/problem", token: admin).status == .unprocessableEntity)
            // The owner and the group are set and cleared (integers, also as null, on both databases).
            let group = try #require(try await server.request(.POST, "/api/v1/groups", token: admin, json: ["name": "Касса"])["id"] as? Int)
            let me = try #require(try await server.request(.GET, "/api/v1/me", token: admin)["id"] as? Int)
            let owned = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin, json: ["group_id": group, "owner_id": me])
            #expect(owned.status == .ok, "\(owned.text)")
            #expect((owned["group"] as? [String: Any])?["id"] as? Int == group && (owned["owner"] as? [String: Any])?["id"] as? Int == me)
            let cleared = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin, json: ["group_id": NSNull(), "owner_id": NSNull()])
            #expect(cleared.status == .ok, "\(cleared.text)")
            #expect(cleared["group"] == nil || cleared["group"] is NSNull)
            #expect(cleared["owner"] == nil || cleared["owner"] is NSNull)
            let history = try await server.request(.GET, "/api/v1/problems/\(number)/events", token: admin)
            #expect(history.items.compactMap { $0["kind"] as? String }.filter { $0 == "ticket_linked" }.count == 3)
        }
    }

    @Test("a public update reaches every interested party by one mail and every open linked ticket; fixed solves them without another mail each",
          arguments: TestDatabase.all)
    func broadcast(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let olga = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let john = try await server.makeUser("john@client.com", name: "John", role: .customer, locale: .en)
            let tickets = [try await ticket(server, olga.token, "Касса 1"), try await ticket(server, olga.token, "Касса 2"),
                           try await ticket(server, john.token, "Till 3")]
            let created = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "Касса", "ticket_number": tickets[0]])
            #expect(created.status == .created, "\(created.text)")
            let code = try #require(created["code"] as? String)
            for number in tickets.dropFirst() { _ = try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": code]) }
            try await MailNotifier.run(app: server.app)
            let before = try await outbox(server).count

            let planned = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin,
                                                   json: ["status": "planned", "target_version": "3.2", "target_date": "2027-03-01"])
            #expect(planned.status == .ok, "\(planned.text)")
            #expect(planned["status"] as? String == "planned")
            try await MailNotifier.run(app: server.app)
            let afterPlan = try await outbox(server)
            let updates = afterPlan.prefix(afterPlan.count - before).filter { $0["kind"] as? String == "problem_update" }
            #expect(updates.count == 2, "one mail a person, not a ticket")
            #expect(Set(updates.compactMap { $0["to"] as? String }) == ["olga@client.ru", "john@client.com"])
            #expect(afterPlan.prefix(afterPlan.count - before).filter { $0["kind"] as? String == "public_reply" }.isEmpty,
                    "the replies posted on the tickets are told in the one mail")
            for number in tickets {
                let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: admin).items
                let last = comments.last?["body"] as? String ?? ""
                #expect(last.contains("3.2"), "\(number): \(last)")
            }
            let johnsLast = try await server.request(.GET, "/api/v1/tickets/\(tickets[2])/comments", token: john.token).items
            #expect((johnsLast.last?["body"] as? String ?? "").contains("A fix is planned"))

            let fixed = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin,
                                                 json: ["status": "fixed", "fixed_version": "3.2.1", "solve_tickets": true])
            #expect(fixed.status == .ok, "\(fixed.text)")
            try await MailNotifier.run(app: server.app)
            let afterFix = try await outbox(server)
            let fresh = afterFix.prefix(afterFix.count - afterPlan.count)
            #expect(fresh.filter { $0["kind"] as? String == "problem_update" }.count == 2)
            #expect(fresh.filter { $0["kind"] as? String == "ticket_solved" }.isEmpty, "\(fresh.map { $0["kind"] ?? "" })")
            for number in tickets {
                #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["status"] as? String == "solved")
            }
            // A fixed problem takes no more tickets.
            let late = try await ticket(server, olga.token, "Касса опять")
            let refused = try await server.request(.PUT, "/api/v1/tickets/\(late)/problem", token: admin, json: ["problem": code])
            #expect(refused.status == .unprocessableEntity)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM problem_broadcasts WHERE finished_at IS NULL").first()!
                .decode(column: "n", as: Int.self) == 0)
        }
    }

    @Test("a customer sees a linked problem's public part and nothing of other people; staff endpoints are refused",
          arguments: TestDatabase.all)
    func privacy(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let olga = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let other = try await server.makeUser("other@client.ru", name: "Пётр", role: .customer)
            let mine = try await ticket(server, olga.token, "Не работает выгрузка")
            let created = try await server.request(.POST, "/api/v1/problems", token: admin, json: [
                "title": "Выгрузка в банк", "public_summary": "Знаем, исправляем.", "description": "секрет: баг в модуле X", "ticket_number": mine,
                "tracker_url": "https://tracker.example/ISSUE-1",
            ])
            let code = try #require(created["code"] as? String)
            let seen = try await server.request(.GET, "/api/v1/problems/\(code)", token: olga.token)
            #expect(seen.status == .ok)
            server.expectConforms(seen.json, to: "Problem")
            #expect(seen["public_summary"] as? String == "Знаем, исправляем.")
            for key in ["description", "popularity", "owner", "tracker_url", "group"] { #expect(seen[key] == nil || seen[key] is NSNull, "\(key)") }
            #expect(!seen.text.contains("секрет") && !seen.text.contains("tracker.example"))
            let onTicket = try await server.request(.GET, "/api/v1/tickets/\(mine)/problem", token: olga.token)
            #expect(onTicket["code"] as? String == code && !onTicket.text.contains("секрет"))
            #expect(try await server.request(.GET, "/api/v1/me/problems", token: olga.token).items.compactMap { $0["code"] as? String } == [code])
            #expect(try await server.request(.GET, "/api/v1/me/problems", token: other.token).items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/problems/\(code)", token: other.token).status == .notFound)
            for path in ["/api/v1/problems", "/api/v1/problems/\(code)/tickets", "/api/v1/problems/\(code)/events", "/api/v1/problems/export"] {
                #expect(try await server.request(.GET, path, token: olga.token).status == .forbidden, "\(path)")
            }
            #expect(try await server.request(.POST, "/api/v1/problems", token: olga.token, json: ["title": "x"]).status == .forbidden)
            #expect(try await server.request(.PATCH, "/api/v1/problems/\(code)", token: olga.token, json: ["title": "x"]).status == .forbidden)
            #expect(try await server.request(.PUT, "/api/v1/tickets/\(mine)/problem", token: olga.token, json: ["problem": code]).status == .forbidden)
        }
    }

    @Test("bad input gets a clear error and changes nothing", arguments: TestDatabase.all)
    func badInput(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let olga = try await server.makeUser("olga@client.ru", role: .customer)
            let number = try await ticket(server, olga.token, "Вопрос")
            let tables = ["problems", "problem_events", "problem_parties", "comments", "ticket_events"]
            func snapshot() async throws -> [Int] { var out: [Int] = []; for t in tables { out.append(try await count(server, t)) }; return out }
            let start = try await snapshot()
            let empty = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "  "])
            #expect(empty.status == .unprocessableEntity && empty.text.contains("title"))
            let unknownTicket = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "X", "ticket_number": 999_999])
            #expect(unknownTicket.status == .unprocessableEntity && unknownTicket.text.contains("ticket_number"))
            let badURL = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "X", "tracker_url": "javascript:alert(1)"])
            #expect(badURL.status == .unprocessableEntity && badURL.text.contains("tracker_url"))
            let badOwner = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "X", "owner_id": olga.id])
            #expect(badOwner.status == .unprocessableEntity && badOwner.text.contains("owner_id"))
            #expect(try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": "P-999"]).status == .notFound)
            #expect(try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": "#12"]).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/problems/P-99999999999999999999", token: admin).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/problems?sort=loudest", token: admin).status == .unprocessableEntity)
            #expect(try await snapshot() == start)

            let created = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["title": "Сбой"])
            let code = try #require(created["code"] as? String)
            let afterCreate = try await snapshot()
            for patch: [String: Any] in [["status": "planned"], ["status": "fixed"], ["status": "rejected", "reason": " "],
                                          ["status": "planned", "target_date": "1 марта"], ["target_date": "1 марта"], ["target_date": "2027-02-30"],
                                          ["solve_tickets": true], ["title": ""]] {
                let reply = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin, json: patch)
                #expect(reply.status == .unprocessableEntity, "\(patch): \(reply.text)")
            }
            _ = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin, json: ["status": "rejected", "reason": "Не ошибка"])
            let reopen = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: admin, json: ["status": "new"])
            #expect(reopen.status == .unprocessableEntity)
            #expect(try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": code]).status == .unprocessableEntity)
            #expect(try await count(server, "problem_parties") == afterCreate[2])
        }
    }

    @Test("the backlog sorts by popularity: linked tickets, organizations, paying organizations; the CSV says the same",
          arguments: TestDatabase.all)
    func popularity(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            var paid: Int?
            for (name, plan) in [("Платная", "paid"), ("Бесплатная", "free")] {
                let org = try await server.request(.POST, "/api/v1/organizations", token: admin, json: ["name": name, "plan": plan])
                if plan == "paid" { paid = org["id"] as? Int }
            }
            let big = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["kind": "wish", "title": "Выгрузка в Excel"])
            let small = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["kind": "wish", "title": "Тёмная тема"])
            let bigCode = try #require(big["code"] as? String), smallCode = try #require(small["code"] as? String)
            for index in 0..<3 {
                let customer = try await server.makeUser("c\(index)@x.ru", role: .customer)
                let number = try await ticket(server, customer.token, "Хочу выгрузку \(index)")
                _ = try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": bigCode])
            }
            let payer = try await server.makeUser("boss@paid.ru", role: .customer, organizationID: paid)
            let number = try await ticket(server, payer.token, "Тёмная тема")
            _ = try await server.request(.PUT, "/api/v1/tickets/\(number)/problem", token: admin, json: ["problem": smallCode])

            let byTickets = try await server.request(.GET, "/api/v1/problems?sort=tickets&kind=wish", token: admin)
            server.expectConforms(byTickets.json, to: "ProblemList")
            #expect(byTickets.items.compactMap { $0["code"] as? String } == [bigCode, smallCode])
            let byPaying = try await server.request(.GET, "/api/v1/problems?sort=paid_organizations", token: admin)
            #expect(byPaying.items.compactMap { $0["code"] as? String }.first == smallCode)
            let open = try await server.request(.GET, "/api/v1/problems?status=new,confirmed", token: admin)
            #expect(open.items.count == 2)
            let csv = try await server.request(.GET, "/api/v1/problems/export", token: admin)
            #expect(csv.status == .ok && csv.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.count == 3 && lines[1].hasPrefix(bigCode + ";") && lines[1].contains(";3;"))
        }
    }

    @Test("a broadcast cut off part-way is finished by the periodic job, and nothing is posted twice", arguments: TestDatabase.all)
    func resume(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let created = try await server.request(.POST, "/api/v1/problems", token: admin, json: ["kind": "outage", "title": "Сервис недоступен"])
            let code = try #require(created["code"] as? String)
            var numbers: [Int] = []
            for index in 0..<(ProblemBroadcast.batchSize + 5) {
                numbers.append(try await ticket(server, customer.token, "Недоступен \(index)"))
            }
            let context = try await server.context()
            for number in numbers { _ = try await ProblemService.link(ticketNumber: number, problem: code, context: context) }
            let problemID = try await server.sql.raw("SELECT id FROM problems").first()!.decode(column: "id", as: Int.self)
            // A broadcast recorded an hour ago that never ran (the server stopped).
            let past = Date().addingTimeInterval(-3600)
            let id = try await server.app.services.write(on: server.app.db) { db in
                try await ProblemBroadcast.start(problemID: problemID, actorID: nil, bodyRu: "Сервис снова работает.", bodyEn: "Back up.",
                                                 solveTickets: false, at: past, on: db as! any SQLDatabase)
            }
            #expect(try await ProblemBroadcast.resume(context: .system(server.app)) == 1)
            let posted = try await server.sql.raw("SELECT COUNT(*) AS n FROM comments WHERE body = 'Сервис снова работает.'").first()!.decode(column: "n", as: Int.self)
            #expect(posted == numbers.count)
            #expect(try await ProblemBroadcast.run(id: id, context: .system(server.app)) == ProblemBroadcast.Outcome())
            #expect(try await ProblemBroadcast.resume(context: .system(server.app)) == 0)
            let mails = try await outbox(server).filter { $0["kind"] as? String == "problem_update" }
            #expect(mails.count == 1)
        }
    }
}
