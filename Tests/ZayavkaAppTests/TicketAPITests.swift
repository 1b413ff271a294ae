import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Tickets through the HTTP API", .serialized)
struct TicketAPITests {
    @Test("a customer files a ticket; an agent works it; the history records who, when, before and after", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("ivan@example.ru", name: "Иван Петров", role: .customer)
            let agent = try await server.makeUser("olga@support.ru", name: "Ольга", role: .agent)

            let created = try await server.makeTicket(token: customer.token, extra: [
                "type": "problem", "urgency": 1, "fields": ["recurrence": "always", "product_version": "5.2"],
            ])
            #expect(created.status == .created)
            server.expectConforms(created.json, to: "Ticket")
            let number = try #require(created["number"] as? Int)
            #expect(number == 10_001)
            #expect(created["status"] as? String == "new")
            // Customers read statuses spoken to them; staff read the team's names (issue 20).
            #expect(created["status_name"] as? String == "Принята")
            let seenByStaff = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            #expect(seenByStaff["status_name"] as? String == "Новая")
            #expect(created["priority"] as? String == "normal")
            #expect((created["requester"] as? [String: Any])?["id"] as? Int == customer.id)
            #expect((created["fields"] as? [String: String]) == ["recurrence": "always", "product_version": "5.2"])

            let patched = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: agent.token, json: [
                "status": "open", "priority": "urgent", "assignee_id": agent.id, "responsibility": "customer_antivirus",
                "cause": "Антивирус блокирует порт", "fields": ["database_name": "buh_2026"],
            ])
            #expect(patched.status == .ok)
            server.expectConforms(patched.json, to: "Ticket")
            #expect(patched["priority"] as? String == "urgent")
            #expect((patched["assignee"] as? [String: Any])?["name"] as? String == "Ольга")

            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: agent.token)
            server.expectConforms(events.json, to: "EventList")
            let changes = events.items.filter { $0["field"] != nil }.map { "\($0["field"]!):\($0["before"] as? String ?? "-")→\($0["after"] as? String ?? "-")" }
            #expect(changes == ["priority:normal→urgent", "responsibility:-→customer_antivirus", "cause:-→Антивирус блокирует порт",
                                "status:new→open", "assignee_id:-→\(agent.id)", "fields.database_name:-→buh_2026"])
            #expect(events.items.first?["kind"] as? String == "created")
            #expect(events.items.allSatisfy { ($0["actor"] as? [String: Any]) != nil })

            // The customer's view hides staff-only fields and staff-only history.
            let customerView = try await server.request(.GET, "/api/v1/tickets/\(number)", token: customer.token)
            #expect(customerView.status == .ok)
            #expect(customerView["responsibility"] == nil && customerView["cause"] == nil)
            #expect((customerView["fields"] as? [String: String])?["database_name"] == "buh_2026")
            let customerEvents = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: customer.token)
            #expect(!customerEvents.items.contains { ["responsibility", "cause"].contains($0["field"] as? String ?? "") })
            #expect(customerEvents.items.contains { $0["field"] as? String == "status" })
        }
    }

    @Test("an illegal transition is a clear 409 and changes nothing", arguments: TestDatabase.all)
    func illegalTransition(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let number = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            let eventsBefore = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: server.adminToken).items.count
            let refused = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken,
                                                   json: ["status": "closed", "priority": "high"])
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "illegal_transition")
            #expect(refused.errorMessage == "Нельзя перевести заявку из статуса «new» в «closed».")
            server.expectConforms(refused.json, to: "Error")
            let after = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            #expect(after["priority"] as? String == "normal" && after["status"] as? String == "new")
            let eventsAfter = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: server.adminToken).items.count
            #expect(eventsAfter == eventsBefore)

            let english = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken,
                                                   json: ["status": "nonsense"], headers: [("Accept-Language", "en")])
            #expect(english.status == .unprocessableEntity)
            // The admin's own setting (ru) wins over the browser's language.
            #expect(english.errorMessage?.contains("Проверьте данные") == true)
        }
    }

    @Test("invalid tickets are refused with every problem named, in the caller's language", arguments: TestDatabase.all)
    func validation(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("en@example.com", role: .customer, locale: .en)
            let reply = try await server.request(.POST, "/api/v1/tickets", token: customer.token, json: [
                "subject": "", "body": "x", "type": "task", "priority": "urgent", "fields": ["recurrence": "sometimes", "bogus": "1"],
            ])
            #expect(reply.status == .unprocessableEntity)
            let fields = ((reply["error"] as? [String: Any])?["fields"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(Set(fields) == ["priority", "subject", "due_at", "fields.recurrence", "fields.bogus"])
            #expect(reply.errorMessage?.hasPrefix("Please check the input") == true)

            let broken = try await server.request(.POST, "/api/v1/tickets", token: customer.token, body: Data("{not json".utf8),
                                                  headers: [("Content-Type", "application/json")])
            #expect(broken.status == .badRequest)
            #expect(broken.errorMessage?.hasPrefix("Invalid JSON") == true)

            let badUrgency = try await server.makeTicket(token: customer.token, extra: ["urgency": 7])
            #expect(badUrgency.status == .badRequest)

            let unknown = try await server.request(.GET, "/api/v1/tickets/99999", token: customer.token)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorMessage == "Ticket “99999” was not found.")
            let count = try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test("an agent files for a caller by email: the customer is created once and reused", arguments: TestDatabase.all)
    func onBehalf(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let agent = try await server.makeUser("agent@support.ru", role: .agent)
            let first = try await server.makeTicket(token: agent.token, extra: [
                "requester_email": "Anna@Client.RU", "requester_name": "Анна Сидорова", "channel": "phone",
                "fields": ["phone": "8 913 919 90 99", "call_time": "после 15:00 МСК"],
            ])
            #expect(first.status == .created)
            let requester = try #require(first["requester"] as? [String: Any])
            #expect(requester["name"] as? String == "Анна Сидорова")
            #expect(first["channel"] as? String == "phone")
            let second = try await server.makeTicket(token: agent.token, extra: ["requester_email": "anna@client.ru"])
            #expect((second["requester"] as? [String: Any])?["id"] as? Int == requester["id"] as? Int)
            let users = try await server.request(.GET, "/api/v1/users?email=anna@client.ru", token: agent.token)
            #expect(users.items.count == 1 && users.items.first?["role"] as? String == "customer")

            // Customers may not file for others or use staff-only fields.
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let refused = try await server.makeTicket(token: customer.token, extra: ["requester_email": "other@x.ru", "channel": "phone"])
            #expect(refused.status == .unprocessableEntity)
        }
    }

    @Test("200 tickets created at once get unique, consecutive numbers", arguments: TestDatabase.all)
    func concurrentNumbers(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let token = server.adminToken
            let numbers = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let reply = try await server.makeTicket(token: token, subject: "Заявка \(index)")
                        return reply.status == .created ? reply["number"] as? Int : nil
                    }
                }
                var result: [Int?] = []
                for try await number in group { result.append(number) }
                return result
            }
            let created = numbers.compactMap { $0 }
            #expect(created.count == 200)
            #expect(Set(created).count == 200)
            #expect(created.min() == 10_001 && created.max() == 10_200)
            let stored = try await server.sql.raw("SELECT COUNT(DISTINCT number) AS n FROM tickets").first()!.decode(column: "n", as: Int.self)
            #expect(stored == 200)
        }
    }

    @Test("200 creates at once on two instances naming 5 new customers: no error, exactly 5 customers, unique numbers",
          arguments: TestDatabase.all)
    func concurrentNewCustomers(database: TestDatabase) async throws {
        try await TestServer.with(database) { first in
            try await TestServer.with(database, sharing: first) { second in
                let token = first.adminToken
                let replies = try await withThrowingTaskGroup(of: (HTTPResponseStatus, Int?, Int?).self) { group in
                    for index in 0..<200 {
                        let server = index % 2 == 0 ? first : second
                        group.addTask {
                            let reply = try await server.makeTicket(token: token, subject: "Гонка \(index)",
                                                                    extra: ["requester_email": "new.\(index % 5)@race.ru", "requester_name": "Новый \(index % 5)"])
                            let requester = reply["requester"] as? [String: Any]
                            return (reply.status, reply["number"] as? Int, requester?["id"] as? Int)
                        }
                    }
                    var result: [(HTTPResponseStatus, Int?, Int?)] = []
                    for try await reply in group { result.append(reply) }
                    return result
                }
                #expect(replies.filter { $0.0 != .created }.map(\.0).isEmpty, "refused: \(replies.filter { $0.0 != .created }.map(\.0))")
                #expect(Set(replies.compactMap(\.1)).count == 200)
                #expect(Set(replies.compactMap(\.2)).count == 5)
                let customers = try await first.sql.raw("SELECT email FROM users WHERE email LIKE '%@race.ru' ORDER BY email").all()
                    .map { try $0.decode(column: "email", as: String.self) }
                #expect(customers == (0..<5).map { "new.\($0)@race.ru" })
                // Each customer is in the directory search once.
                let found = try await first.request(.GET, "/api/v1/users?email=new.3@race.ru", token: token).items
                #expect(found.count == 1 && found.first?["name"] as? String == "Новый 3")

                // Creating one person twice at once: one 201, the others 409 in the caller's words, never a 500.
                let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for index in 0..<20 {
                        let server = index % 2 == 0 ? first : second
                        group.addTask {
                            try await server.request(.POST, "/api/v1/users", token: token, json: ["email": "same@race.ru", "name": "Один"]).status
                        }
                    }
                    var result: [HTTPResponseStatus] = []
                    for try await status in group { result.append(status) }
                    return result
                }
                #expect(statuses.filter { $0 == .created }.count == 1)
                #expect(statuses.filter { $0 == .conflict }.count == 19, "\(statuses)")
            }
        }
    }

    @Test("Idempotency-Key: a repeat (also racing the original, on another instance) returns the same ticket; another body is 422; keys are per user and forgotten after a day",
          arguments: TestDatabase.all)
    func idempotencyKey(database: TestDatabase) async throws {
        try await TestServer.with(database) { first in
            try await TestServer.with(database, sharing: first) { second in
                let token = first.adminToken
                let body: [String: Any] = ["subject": "Повтор через nginx", "body": "Один раз", "requester_email": "retry@idem.ru"]
                let encoded = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
                @Sendable func create(_ server: TestServer, key: String?, data: Data = encoded, as user: String? = nil) async throws -> TestServer.Reply {
                    var headers: [(String, String)] = [("Content-Type", "application/json")]
                    if let key { headers.append(("Idempotency-Key", key)) }
                    return try await server.request(.POST, "/api/v1/tickets", token: user ?? token, body: data, headers: headers)
                }
                let original = try await create(first, key: "order-1")
                #expect(original.status == .created && original.headers.first(name: "Idempotent-Replayed") == nil)
                let number = try #require(original["number"] as? Int)
                let repeated = try await create(second, key: "order-1")
                #expect(repeated.status == .created && repeated["number"] as? Int == number)
                #expect(repeated.headers.first(name: "Idempotent-Replayed") == "true")

                // 20 repeats of a new key at once on two instances: one ticket.
                let numbers = try await withThrowingTaskGroup(of: Int?.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let reply = try await create(index % 2 == 0 ? first : second, key: "order-2")
                            return reply.status == .created ? reply["number"] as? Int : nil
                        }
                    }
                    var result: [Int?] = []
                    for try await number in group { result.append(number) }
                    return result
                }
                #expect(numbers.count == 20 && numbers.allSatisfy { $0 != nil } && Set(numbers).count == 1, "\(numbers)")
                let count = try await first.sql.raw("SELECT COUNT(*) AS n FROM tickets WHERE subject = 'Повтор через nginx'").first()!
                    .decode(column: "n", as: Int.self)
                #expect(count == 2)

                // The same key with another request, and malformed keys: refused, nothing written.
                var changed = body
                changed["body"] = "Другой текст"
                let misuse = try await create(first, key: "order-1", data: try JSONSerialization.data(withJSONObject: changed, options: [.sortedKeys]))
                #expect(misuse.status == .unprocessableEntity && misuse.text.contains("Idempotency-Key"))
                for bad in ["", String(repeating: "k", count: 256), "ключ"] {
                    #expect(try await create(first, key: bad).status == .unprocessableEntity, "\(bad)")
                }
                // Without a key every request is a new ticket; another user's same key is theirs alone.
                #expect(try await create(first, key: nil)["number"] as? Int != number)
                let agent = try await first.makeUser("agent@idem.ru", role: .agent)
                let own = try await create(first, key: "order-1", as: agent.token)
                #expect(own.status == .created && own["number"] as? Int != number)
                let total = try await first.sql.raw("SELECT COUNT(*) AS n FROM tickets WHERE subject = 'Повтор через nginx'").first()!
                    .decode(column: "n", as: Int.self)
                #expect(total == 4)

                // A day later the key is forgotten: the same request makes a new ticket.
                try await first.sql.raw("UPDATE idempotency_keys SET created_at = \(bind: Date().addingTimeInterval(-86_401))").run()
                #expect(try await IdempotencyKey.sweep(context: .system(first.app)) == 3)
                let fresh = try await create(second, key: "order-1")
                #expect(fresh.status == .created && fresh["number"] as? Int != number && fresh.headers.first(name: "Idempotent-Replayed") == nil)
            }
        }
    }

    @Test("lists filter, sort and page with a cursor without gaps or repeats", arguments: TestDatabase.all)
    func listing(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let agent = try await server.makeUser("agent@support.ru", role: .agent)
            var numbers: [Int] = []
            for index in 0..<7 {
                let priority = ["low", "normal", "high", "urgent"][index % 4]
                let reply = try await server.makeTicket(token: admin, subject: index % 2 == 0 ? "Касса не печатает чек \(index)" : "Вопрос по отчёту \(index)",
                                                        extra: ["priority": priority, "fields": ["city": index < 3 ? "Томск" : "Москва"]])
                numbers.append(try #require(reply["number"] as? Int))
            }
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(numbers[1])", token: admin, json: ["assignee_id": agent.id, "status": "open"])

            func numbersOf(_ query: String) async throws -> [Int] {
                try await server.collect("/api/v1/tickets?" + query, token: admin).compactMap { $0["number"] as? Int }
            }
            server.expectConforms(try await server.request(.GET, "/api/v1/tickets?limit=3", token: admin).json, to: "TicketList")
            #expect(try await numbersOf("limit=3&sort=number&order=asc") == numbers)
            #expect(try await numbersOf("limit=2&sort=priority&order=desc")
                    == [numbers[3], numbers[6], numbers[2], numbers[5], numbers[1], numbers[4], numbers[0]])
            #expect(try await numbersOf("limit=4") == numbers.reversed())

            let unassigned = try await server.request(.GET, "/api/v1/tickets?assignee_id=none&status=new", token: admin)
            #expect(unassigned.items.count == 6)
            let mine = try await server.request(.GET, "/api/v1/tickets?assignee_id=\(agent.id)", token: admin)
            #expect(mine.items.compactMap { $0["number"] as? Int } == [numbers[1]])
            let urgent = try await server.request(.GET, "/api/v1/tickets?priority=urgent,high", token: admin)
            #expect(Set(urgent.items.compactMap { $0["number"] as? Int }) == [numbers[2], numbers[3], numbers[6]])
            let tomsk = try await server.request(.GET, "/api/v1/tickets?field.city=%D0%A2%D0%BE%D0%BC%D1%81%D0%BA", token: admin)
            #expect(tomsk.items.count == 3)
            let text = try await server.request(.GET, "/api/v1/tickets?q=%D0%BA%D0%B0%D1%81%D1%81%D0%B0", token: admin)
            #expect(text.items.count == 4)
            let future = try await server.request(.GET, "/api/v1/tickets?created_after=2099-01-01T00:00:00Z", token: admin)
            #expect(future.items.isEmpty)
            let bad = try await server.request(.GET, "/api/v1/tickets?sort=color&limit=1000&cursor=zzz", token: admin)
            #expect(bad.status == .unprocessableEntity)

            // Page by timestamps one row at a time: every boundary is a cursor comparison on a stored time.
            for _ in 0..<25 { numbers.append(try #require(try await server.makeTicket(token: admin)["number"] as? Int)) }
            #expect(try await numbersOf("limit=1&sort=created_at&order=desc") == numbers.reversed())
            #expect(try await numbersOf("limit=1&sort=created_at&order=asc") == numbers)
            let byUpdate = try await numbersOf("limit=1&sort=updated_at&order=asc")
            #expect(Set(byUpdate) == Set(numbers) && byUpdate.count == numbers.count)
        }
    }

    @Test("the history is immutable: the database refuses to change or delete an event", arguments: TestDatabase.all)
    func immutableEvents(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            _ = try await server.makeTicket(token: server.adminToken)
            await #expect(throws: (any Error).self) { try await server.sql.raw("UPDATE ticket_events SET kind = 'forged'").run() }
            await #expect(throws: (any Error).self) { try await server.sql.raw("DELETE FROM ticket_events").run() }
            let kinds = try await server.sql.raw("SELECT kind FROM ticket_events ORDER BY id").all().map { try $0.decode(column: "kind", as: String.self) }
            #expect(kinds == ["created", "comment_added"])
        }
    }
}
