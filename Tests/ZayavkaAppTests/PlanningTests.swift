import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Issue 5's second half through the server: next-response clocks, recomputed due times,
/// escalation, promises (T9), outcomes for reports and workload planning (S4).
@Suite("SLA escalation, promises and workload planning", .serialized)
struct PlanningTests {
    static func date(_ value: Any?) -> Date? { (value as? String).flatMap { try? Date($0, strategy: .iso8601) } }

    func clocks(_ server: TestServer, _ number: Int) async throws -> [String: [String: Any]] {
        let reply = try await server.request(.GET, "/api/v1/tickets/\(number)/sla", token: server.adminToken)
        server.expectConforms(reply.json, to: "SLAClockList")
        var result: [String: [String: Any]] = [:]
        for item in reply.items { if let metric = item["metric"] as? String { result[metric] = item } }
        return result
    }

    func events(_ server: TestServer, _ number: Int, kind: String) async throws -> [[String: Any]] {
        let reply = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: server.adminToken)
        server.expectConforms(reply.json, to: "EventList")
        var found: [[String: Any]] = []
        for item in reply.items where item["kind"] as? String == kind { found.append(item) }
        return found
    }

    @Test("seed 002: every customer message after the first answer is owed a reply in 30 minutes; outcomes are kept for reports",
          arguments: TestDatabase.all)
    func nextResponse(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            _ = try await server.request(.POST, "/api/v1/sla-policies/templates/seed002", token: admin)
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            // Before the first answer, a customer's follow-up does not start a second clock.
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token, json: ["body": "Добавлю скриншот."])
            #expect(try await clocks(server, number).keys.sorted() == ["first_response"])
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Смотрим."])
            #expect(try await clocks(server, number)["first_response"]?["state"] as? String == "achieved")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["next_due_at"] == nil)

            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token, json: ["body": "Всё ещё не работает."])
            let owed = try #require(try await clocks(server, number)["next_response"])
            #expect(owed["state"] as? String == "running" || owed["state"] as? String == "warning" || owed["state"] as? String == "breached")
            #expect(owed["target_minutes"] as? Int == 30 && owed["stopped_at"] == nil)
            let started = try #require(Self.date(owed["started_at"]))
            // A second message while the first is unanswered keeps the clock from the first.
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token, json: ["body": "Алло?"])
            #expect(Self.date(try await clocks(server, number)["next_response"]?["started_at"]) == started)
            let due = try #require(Self.date(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["next_due_at"]))
            #expect(due == Self.date(owed["due_at"]))
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Исправили."])
            #expect(try await clocks(server, number)["next_response"]?["stopped_at"] != nil)
            // An internal note is not an answer; a later message restarts the clock afresh.
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token, json: ["body": "Спасибо, а ещё…"])
            let again = try #require(try await clocks(server, number)["next_response"])
            #expect(again["stopped_at"] == nil && again["breached_at"] == nil)
            #expect(try #require(Self.date(again["started_at"])) >= started)
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Заметка", "public": false])
            #expect(try await clocks(server, number)["next_response"]?["stopped_at"] == nil)

            let report = try await server.request(.GET, "/api/v1/sla/outcomes", token: admin)
            server.expectConforms(report.json, to: "SLAOutcomeList")
            var counts: [String: Int] = [:]
            for item in report.items {
                counts["\(item["metric"] as? String ?? "")"] = (item["achieved"] as? Int ?? 0) + (item["missed"] as? Int ?? 0)
                #expect(item["policy"] as? String == "reaction_30m")
            }
            #expect(counts == ["first_response": 1, "next_response": 1])
            #expect(try await server.request(.GET, "/api/v1/sla/outcomes", token: customer.token).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/sla/outcomes?from=yesterday", token: admin).status == .unprocessableEntity)
        }
    }

    @Test("a change of type or priority recomputes the due time from the ticket's start, and the history says why",
          arguments: TestDatabase.all)
    func recompute(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            _ = try await server.request(.POST, "/api/v1/sla-policies/templates/seed003", token: admin)
            let urgent = try await server.request(.POST, "/api/v1/sla-policies", token: admin, json: [
                "key": "urgent_1h", "name": "Срочные — час", "position": 1, "conditions": ["priorities": ["urgent"]],
                "targets": ["first_response": 60, "resolution": 480],
            ])
            #expect(urgent.status == .created)
            let number = try #require(try await server.makeTicket(token: admin, extra: ["type": "question"])["number"] as? Int)
            let filed = try #require(Self.date(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["created_at"]))
            let calendar = SLATemplates.seed003Calendar
            #expect(try await clocks(server, number)["first_response"]?["policy"] as? String == "question_4h")

            // Retyped as a problem: 6 working hours from when it was filed.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["type": "problem"])
            var now = try await clocks(server, number)
            #expect(now["first_response"]?["policy"] as? String == "problem_6h" && now["first_response"]?["target_minutes"] as? Int == 360)
            let problemDue = try #require(Self.date(now["first_response"]?["due_at"]))
            #expect(abs(problemDue.timeIntervalSince(try #require(calendar.adding(workingMinutes: 360, to: filed)))) < 1.5)
            let byType = try await events(server, number, kind: "sla_recomputed")
            #expect(byType.count == 1 && byType.first?["reason"] as? String == "type" && byType.first?["field"] as? String == "first_response")
            #expect(Self.date(byType.first?["after"]) == problemDue && byType.first?["before"] as? String != byType.first?["after"] as? String)

            // Urgent: the policy adds a resolution target, counted from filing too.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["priority": "urgent"])
            now = try await clocks(server, number)
            #expect(Set(now.keys) == ["first_response", "resolution"])
            #expect(now["resolution"]?["policy"] as? String == "urgent_1h")
            #expect(Self.date(now["resolution"]?["started_at"]).map { abs($0.timeIntervalSince(filed)) < 1 } == true)
            let byPriority = try await events(server, number, kind: "sla_recomputed").filter { $0["reason"] as? String == "priority" }
            #expect(Set(byPriority.compactMap { $0["field"] as? String }) == ["first_response", "resolution"])
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)
            #expect(Self.date(ticket["next_due_at"]) == Self.date(now["first_response"]?["due_at"]))

            // A change no policy looks at recomputes nothing.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["subject": "Новая тема"])
            #expect(try await events(server, number, kind: "sla_recomputed").count == 3)
            // Back to normal priority as a task: seed 003 has no target for tasks, the running clocks go.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["priority": "normal", "type": "task",
                                                                                                    "due_at": "2030-01-01T00:00:00Z"])
            #expect(try await clocks(server, number).isEmpty)
            let dropped = try await events(server, number, kind: "sla_recomputed").filter { ($0["reason"] as? String ?? "").contains("priority") }
            #expect(dropped.contains { $0["reason"] as? String == "type,priority" || $0["reason"] as? String == "priority,type" })
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["next_due_at"] == nil)
        }
    }

    @Test("a missed target escalates as the policy says: priority up, handed to a group, the group told; once", arguments: TestDatabase.all)
    func escalation(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let second = try #require(try await server.request(.POST, "/api/v1/groups", token: admin, json: ["name": "Вторая линия"])["id"] as? Int)
            let member = try await server.makeUser("second@s.ru", name: "Вторая", role: .agent)
            _ = try await server.request(.PUT, "/api/v1/groups/\(second)/members/\(member.id)", token: admin)
            let policy = try await server.request(.POST, "/api/v1/sla-policies", token: admin, json: [
                "key": "escalating", "name": "Реакция 30 минут с эскалацией", "targets": ["first_response": 30],
                "escalation": ["notify": ["group"], "raise_priority": true, "reassign_group_id": second],
            ])
            #expect(policy.status == .created)
            server.expectConforms(policy.json, to: "SLAPolicy")
            let bad = try await server.request(.PATCH, "/api/v1/sla-policies/escalating", token: admin,
                                               json: ["escalation": ["reassign_group_id": 999_999, "reassign_user_id": 999_998]])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("escalation.reassign_group_id") && bad.text.contains("escalation.reassign_user_id"))

            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let monthOn = ServiceContext.system(server.app, at: Date().addingTimeInterval(30 * 86_400))
            let fired = try await SLATimerJob.run(context: monthOn)
            #expect(fired.breaches == 1)
            #expect(try await SLATimerJob.run(context: monthOn).breaches == 0)

            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)
            #expect(ticket["priority"] as? String == "high")
            #expect((ticket["group"] as? [String: Any])?["id"] as? Int == second)
            let changes = try await events(server, number, kind: "field_changed")
            #expect(changes.contains { $0["field"] as? String == "priority" && $0["reason"] as? String == "sla_breached:first_response" && $0["actor"] == nil })
            #expect(changes.contains { $0["field"] as? String == "group_id" && $0["after"] as? String == String(second) })

            try await MailNotifier.run(app: server.app)
            let mails = try await server.sql.raw("SELECT kind, to_address FROM mail_outbox WHERE kind = 'sla_breached' ORDER BY id").all()
                .map { try $0.decode(column: "to_address", as: String.self) }
            #expect(mails == ["second@s.ru"], "only the group was to be told: \(mails)")

            // The page shows the escalation in the history, in both languages.
            let web = WebClient(server)
            try await web.signIn("second@s.ru", "password-second@s.ru")
            let page = try await web.get("/agent/tickets/\(number)")
            #expect(page.html.contains("эскалация по SLA"))
            web.acceptLanguage = "en"
            _ = try await web.post("/language", [("_csrf", page.csrf ?? ""), ("lang", "en")])
            #expect(try await web.get("/agent/tickets/\(number)").html.contains("SLA escalation"))
        }
    }

    @Test("a first answer: a promise becomes a commitment with its own due time and is told to the customer; refusals need a reason",
          arguments: TestDatabase.all)
    func promise(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            _ = try await server.request(.POST, "/api/v1/sla-policies/templates/seed000", token: admin)
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let when = Date().addingTimeInterval(3 * 86400).formatted(.iso8601)

            let refused = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "Нет.", "answer": "refusal"])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("refusal_reason"))
            let past = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin,
                                                json: ["body": "Сделаем.", "answer": "promise", "promised_at": "2020-01-01T10:00:00Z"])
            #expect(past.status == .unprocessableEntity && past.text.contains("promised_at"))
            let fromCustomer = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: customer.token,
                                                        json: ["body": "Решено", "answer": "solution"])
            #expect(fromCustomer.status == .unprocessableEntity)
            let unknown = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin, json: ["body": "?", "answer": "maybe"])
            #expect(unknown.status == .unprocessableEntity)
            #expect(try await clocks(server, number)["first_response"]?["stopped_at"] == nil, "rejected replies change nothing")

            let promised = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin,
                                                    json: ["body": "Исправим в ближайшем обновлении.", "answer": "promise", "promised_at": when])
            #expect(promised.status == .created)
            let body = promised["body"] as? String ?? ""
            #expect(body.hasPrefix("Исправим в ближайшем обновлении.") && body.contains("Срок решения: ") && body.contains("(МСК)"))
            let now = try await clocks(server, number)
            #expect(now["first_response"]?["state"] as? String == "achieved")
            #expect(Self.date(now["promise"]?["due_at"]) == Self.date(when))
            #expect(now["promise"]?["state"] as? String == "running")
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)
            #expect(Self.date(ticket["next_due_at"]) == Self.date(when))
            let answers = try await events(server, number, kind: "answer_given")
            #expect(answers.count == 1 && answers.first?["after"] as? String == "promise" && Self.date(answers.first?["reason"]) == Self.date(when))
            // The customer sees the reply, not the bookkeeping.
            let own = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: customer.token)
            #expect(!own.text.contains("answer_given"))

            // A promise is not paused by waiting for the customer; kept, it is achieved.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "pending"])
            #expect(try await clocks(server, number)["promise"]?["state"] as? String == "running")
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved"])
            #expect(try await clocks(server, number)["promise"]?["state"] as? String == "achieved")
            let report = try await server.request(.GET, "/api/v1/sla/outcomes", token: admin)
            #expect(report.items.contains { $0["metric"] as? String == "promise" && $0["achieved"] as? Int == 1 })

            // The web form: a refusal with its reason.
            let other = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let web = WebClient(server)
            _ = try await server.makeUser("agent@s.ru", name: "Агент", role: .agent)
            try await web.signIn("agent@s.ru", "password-agent@s.ru")
            let page = try await web.get("/agent/tickets/\(other)")
            #expect(page.html.contains("composer-answer") && page.html.contains("Обоснованный отказ"))
            let missing = try await web.post("/agent/tickets/\(other)/comment",
                                             [("_csrf", page.csrf ?? ""), ("visibility", "public"), ("body", "Не сможем."), ("answer", "refusal")])
            #expect(missing.status == .unprocessableEntity && missing.html.contains("Причина отказа"))
            let sent = try await web.post("/agent/tickets/\(other)/comment",
                                          [("_csrf", page.csrf ?? ""), ("visibility", "public"), ("body", "Не сможем."), ("answer", "refusal"),
                                           ("refusal_reason", "Функция не входит в тариф")])
            #expect(sent.status == .seeOther || sent.status == .found)
            let refusals = try await events(server, other, kind: "answer_given")
            #expect(refusals.first?["after"] as? String == "refusal" && refusals.first?["reason"] as? String == "Функция не входит в тариф")
        }
    }

    @Test("planning: the earliest free slot after the specialist's load, booked without overlap, promised to the customer; the week view",
          arguments: TestDatabase.all)
    func workload(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let agent = try await server.makeUser("agent@s.ru", name: "Анна Специалист", role: .agent)
            let customer = try await server.makeUser("c@x.ru", role: .customer, locale: .en)
            let first = try #require(try await server.makeTicket(token: customer.token, subject: "Отчёт")["number"] as? Int)
            let second = try #require(try await server.makeTicket(token: customer.token, subject: "Выгрузка")["number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(first)", token: admin, json: ["assignee_id": agent.id])

            let proposal = try await server.request(.GET, "/api/v1/tickets/\(first)/plan?minutes=120", token: agent.token)
            server.expectConforms(proposal.json, to: "Plan")
            #expect((proposal["user"] as? [String: Any])?["id"] as? Int == agent.id)
            #expect(proposal["slot_id"] == nil)
            let calendar = BusinessCalendar.russianFiveDay()
            let start = try #require(Self.date(proposal["starts_at"])), end = try #require(Self.date(proposal["ends_at"]))
            #expect(calendar.workingMinutes(from: start, to: end) == 120)

            let booked = try await server.request(.POST, "/api/v1/tickets/\(first)/plan", token: agent.token, json: ["minutes": 120])
            #expect(booked.status == .created)
            server.expectConforms(booked.json, to: "Plan")
            let firstEnd = try #require(Self.date(booked["ends_at"]))
            #expect(booked["comment_id"] != nil)
            // The customer (English) is told the date; the promise is tracked.
            let comments = try await server.request(.GET, "/api/v1/tickets/\(first)/comments", token: customer.token)
            #expect(comments.items.contains { ($0["body"] as? String ?? "").contains("We will solve it by") })
            #expect(Self.date(try await clocks(server, first)["promise"]?["due_at"]) == firstEnd)

            // The second piece of work for the same person comes after the first, and is not told to the customer.
            let next = try await server.request(.POST, "/api/v1/tickets/\(second)/plan", token: admin,
                                                json: ["minutes": 60, "user_id": agent.id, "tell_customer": false])
            #expect(next.status == .created)
            #expect(try #require(Self.date(next["starts_at"])) >= firstEnd)
            #expect(next["comment_id"] == nil)
            #expect(try await clocks(server, second)["promise"] == nil)
            let planned = try await events(server, second, kind: "work_planned")
            #expect(planned.first?["after"] as? String == String(agent.id))

            // A task with a due date shows on the assignee's calendar.
            let taskDue = Date().addingTimeInterval(3600)
            _ = try await server.makeTicket(token: admin, subject: "Обновить сервер", extra: ["type": "task", "assignee_id": agent.id,
                                                                                             "due_at": taskDue.formatted(.iso8601)])
            let from = Date().addingTimeInterval(-86400).formatted(.iso8601), to = Date().addingTimeInterval(20 * 86400).formatted(.iso8601)
            let week = try await server.request(.GET, "/api/v1/workload?user_id=\(agent.id)&from=\(from)&to=\(to)", token: admin)
            server.expectConforms(week.json, to: "Workload")
            let person = try #require((week["people"] as? [[String: Any]])?.first)
            let slots = person["slots"] as? [[String: Any]] ?? []
            #expect(slots.compactMap { $0["ticket_number"] as? Int } == [first, second])
            #expect(person["planned_minutes"] as? Int == 180)
            #expect((person["tasks"] as? [[String: Any]])?.first?["subject"] as? String == "Обновить сервер")
            #expect((person["working_minutes"] as? Int ?? 0) > 180)

            // Bad input and permissions.
            #expect(try await server.request(.POST, "/api/v1/tickets/\(first)/plan", token: admin, json: ["minutes": 0]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(first)/plan", token: admin,
                                             json: ["minutes": 30, "user_id": customer.id]).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(first)/plan?minutes=30", token: customer.token).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/workload?from=bad", token: admin).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/workload", token: customer.token).status == .forbidden)
            let slotID = try #require(slots.first?["id"] as? Int)
            #expect(try await server.request(.DELETE, "/api/v1/work-slots/\(slotID)", token: admin).status == .noContent)
            #expect(try await server.request(.DELETE, "/api/v1/work-slots/\(slotID)", token: admin).status == .notFound)

            // The week view and the plan form in the browser stand-in.
            let web = WebClient(server)
            try await web.signIn("agent@s.ru", "password-agent@s.ru")
            // The week that holds the second piece of work (today may be a weekend).
            let slotDay = LocalDate(containing: try #require(Self.date(next["starts_at"])), in: .moscow)
            let view = try await web.get("/agent/workload?user_id=\(agent.id)&week=\(slotDay)")
            #expect(view.status == .ok && view.html.contains("Анна Специалист") && view.html.contains("Выгрузка"))
            let ticketPage = try await web.get("/agent/tickets/\(second)")
            let proposed = try await web.post("/agent/tickets/\(second)/plan", [("_csrf", ticketPage.csrf ?? ""), ("minutes", "90"),
                                                                               ("user_id", String(agent.id)), ("action", "propose")])
            #expect(proposed.status == .ok && proposed.html.contains("plan-proposal"))
            let bookedPage = try await web.post("/agent/tickets/\(second)/plan", [("_csrf", ticketPage.csrf ?? ""), ("minutes", "90"),
                                                                                 ("user_id", String(agent.id)), ("action", "book"),
                                                                                 ("tell_customer", "1")])
            #expect(bookedPage.status == .seeOther || bookedPage.status == .found)
            #expect(try await clocks(server, second)["promise"] != nil)
            let wrong = try await web.post("/agent/tickets/\(second)/plan", [("_csrf", ticketPage.csrf ?? ""), ("minutes", "0"), ("action", "book")])
            #expect(wrong.status == .unprocessableEntity && wrong.html.contains("Оценка"))

            // A specialist on 7:00–17:00 (seed 001) is planned in their own hours.
            let early = try await server.request(.POST, "/api/v1/calendars", token: admin, json: [
                "key": "early_7_17", "name": "Москва, 7:00–17:00", "weekly": Array(repeating: ["07:00-17:00"], count: 5) + [[], []],
            ])
            #expect(early.status == .created)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: admin, json: ["calendar": "nope"]).status == .unprocessableEntity)
            let assigned = try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: admin, json: ["calendar": "early_7_17"])
            server.expectConforms(assigned.json, to: "User")
            #expect(assigned["calendar"] as? String == "early_7_17")
            #expect(try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: agent.token, json: ["calendar": NSNull()]).status
                    == .unprocessableEntity)
            let own = try await server.request(.GET, "/api/v1/tickets/\(first)/plan?minutes=600", token: admin)
            let earlyCalendar = BusinessCalendar.russianFiveDay(from: 7 * 60, to: 17 * 60)
            let ownStart = try #require(Self.date(own["starts_at"])), ownEnd = try #require(Self.date(own["ends_at"]))
            #expect(earlyCalendar.workingMinutes(from: ownStart, to: ownEnd) == 600)
            #expect(earlyCalendar.isWorking(ownStart) || earlyCalendar.nextWorkingInstant(from: ownStart) == ownStart)
            let weekOf = try await server.request(.GET, "/api/v1/workload?user_id=\(agent.id)", token: admin)
            #expect((weekOf["people"] as? [[String: Any]])?.first?["calendar"] as? String == "early_7_17")
        }
    }

    @Test("admins edit calendars and policies in the web UI: hours, special days, templates, escalation", arguments: TestDatabase.all)
    func adminPages(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = try await server.makeUser("boss@s.ru", name: "Админ", role: .admin)
            _ = admin
            let web = WebClient(server)
            try await web.signIn("boss@s.ru", "password-boss@s.ru")
            let page = try await web.get("/admin/working-time")
            #expect(page.status == .ok && page.html.contains("Москва, пн–пт 9:00–18:00") && page.html.contains("2026-01-07 holiday"))
            let csrf = page.csrf ?? ""
            // Installing seed 003's template from the page.
            let installed = try await web.post("/admin/working-time/policies/template", [("_csrf", csrf), ("template", "seed003")])
            #expect(installed.status == .seeOther || installed.status == .found)
            let policies = try await server.request(.GET, "/api/v1/sla-policies", token: server.adminToken)
            #expect(policies.items.compactMap { $0["key"] as? String } == ["product_registration_2h", "question_4h", "suggestion_16h", "problem_6h", "incident_4h"])
            // Changing a policy's escalation and target.
            let saved = try await web.post("/admin/working-time/policies/save", [
                ("_csrf", csrf), ("key", "question_4h"), ("name", "Вопрос — 3 часа"), ("position", "20"), ("types", "question"),
                ("first_response", "180"), ("warn_at_percent", "75"), ("calendar", "moscow_9_18"), ("active", "1"),
                ("notify", "assignee"), ("notify", "group"), ("raise_priority", "1"),
            ])
            #expect(saved.status == .seeOther || saved.status == .found)
            let question = try #require(try await server.request(.GET, "/api/v1/sla-policies", token: server.adminToken).items
                .first { $0["key"] as? String == "question_4h" })
            #expect((question["targets"] as? [String: Any])?["first_response"] as? Int == 180 && question["warn_at_percent"] as? Int == 75)
            let escalation = question["escalation"] as? [String: Any]
            #expect(Set(escalation?["notify"] as? [String] ?? []) == ["assignee", "group"] && escalation?["raise_priority"] as? Bool == true)
            // A bad target is refused with the field named, nothing changed.
            let refused = try await web.post("/admin/working-time/policies/save", [
                ("_csrf", csrf), ("key", "question_4h"), ("first_response", "-5"), ("calendar", "moscow_9_18"), ("active", "1"),
            ])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("targets"))
            // Hours: a Saturday morning; a bad interval is named.
            var fields = [("_csrf", csrf), ("key", "moscow_9_18"), ("name", "Москва"), ("time_zone", "Europe/Moscow"), ("shortening", "60")]
            for day in 0..<7 { fields.append(("day\(day)", day < 5 ? "09:00-13:00, 14:00-18:00" : (day == 5 ? "10:00-14:00" : ""))) }
            #expect([.seeOther, .found].contains(try await web.post("/admin/working-time/calendars/save", fields).status))
            let calendar = try await server.request(.GET, "/api/v1/calendars/moscow_9_18", token: server.adminToken)
            #expect((calendar["weekly"] as? [[String]])?[0] == ["09:00-13:00", "14:00-18:00"] && (calendar["weekly"] as? [[String]])?[5] == ["10:00-14:00"])
            fields[5] = ("day0", "9 to 6")
            let badHours = try await web.post("/admin/working-time/calendars/save", fields)
            #expect(badHours.status == .unprocessableEntity && badHours.html.contains("weekly[0]"))
            // Special days replaced from the text; a bad line is named and nothing changes.
            let badDays = try await web.post("/admin/working-time/calendars/days", [("_csrf", csrf), ("key", "moscow_9_18"), ("days", "2026-13-01 holiday")])
            #expect(badDays.status == .unprocessableEntity && badDays.html.contains("line 1"))
            let days = try await web.post("/admin/working-time/calendars/days", [("_csrf", csrf), ("key", "moscow_9_18"),
                                                                               ("days", "2026-01-01 holiday\n2026-06-13 workday\n")])
            #expect(days.status == .seeOther || days.status == .found)
            #expect(try await server.request(.GET, "/api/v1/calendars/moscow_9_18", token: server.adminToken)["special_days"] as? Int == 2)
            // Agents may not.
            _ = try await server.makeUser("agent@s.ru", role: .agent)
            let agent = WebClient(server)
            try await agent.signIn("agent@s.ru", "password-agent@s.ru")
            #expect(try await agent.get("/admin/working-time").status == .forbidden)
            // English.
            web.acceptLanguage = "en"
            let english = try await web.post("/language", [("_csrf", csrf), ("lang", "en")])
            _ = english
            #expect(try await web.get("/admin/working-time").html.contains("Working time and SLA"))
        }
    }
}
