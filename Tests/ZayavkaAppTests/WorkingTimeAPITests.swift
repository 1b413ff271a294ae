import Foundation
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Calendars and SLA policies through the API", .serialized)
struct WorkingTimeAPITests {
    static let encodedPlus = "%2B03:00"

    @Test("the default calendar ships with the Russian production calendar and computes due times", arguments: TestDatabase.all)
    func defaultCalendar(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let list = try await server.request(.GET, "/api/v1/calendars", token: server.adminToken)
            server.expectConforms(list.json, to: "CalendarList")
            let calendar = try #require(list.items.first)
            #expect(calendar["key"] as? String == "moscow_9_18" && calendar["default"] as? Bool == true)
            #expect(calendar["time_zone"] as? String == "Europe/Moscow")
            let russia = ProductionCalendarDays.russia
            #expect(calendar["special_days"] as? Int == russia.holidays.count + russia.workdays.count + russia.shortDays.count)
            // 17:30 on 30 December 2025 + 4 working hours → 12:30 on 12 January 2026.
            let due = try await server.request(.GET, "/api/v1/calendars/moscow_9_18/due?from=2025-12-30T17:30:00\(Self.encodedPlus)&minutes=240",
                                               token: server.adminToken)
            server.expectConforms(due.json, to: "Due")
            #expect(due["due_at"] as? String == "2026-01-12T09:30:00Z")
            let bad = try await server.request(.GET, "/api/v1/calendars/moscow_9_18/due?from=tomorrow&minutes=-5", token: server.adminToken)
            #expect(bad.status == .unprocessableEntity)
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            #expect(try await server.request(.GET, "/api/v1/calendars", token: customer.token).status == .forbidden)
        }
    }

    @Test("calendars are created and edited; their days export and import as a file, bad lines named", arguments: TestDatabase.all)
    func calendarsAndDays(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let weekly = Array(repeating: ["07:00-12:00", "13:00-17:00"], count: 5) + [[], []]
            let created = try await server.request(.POST, "/api/v1/calendars", token: server.adminToken, json: [
                "key": "line1", "name": "Первая линия 7–17", "time_zone": "Asia/Novosibirsk", "weekly": weekly, "production_calendar": "none",
            ])
            #expect(created.status == .created)
            server.expectConforms(created.json, to: "Calendar")
            #expect(created["special_days"] as? Int == 0)
            #expect(created["transferred_day_hours"] as? [String] == ["07:00-12:00", "13:00-17:00"])

            let invalid = try await server.request(.PATCH, "/api/v1/calendars/line1", token: server.adminToken,
                                                   json: ["time_zone": "Mars/Olympus", "weekly": [["9-18"]]])
            #expect(invalid.status == .unprocessableEntity)
            let overlap = try await server.request(.PATCH, "/api/v1/calendars/line1", token: server.adminToken,
                                                   json: ["weekly": Array(repeating: ["09:00-13:00", "12:00-18:00"], count: 7)])
            #expect(overlap.status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/calendars", token: server.adminToken,
                                             json: ["key": "line1", "name": "x", "weekly": weekly]).status == .conflict)

            // A holiday on Monday 16 March 2026 moves a Friday-afternoon due time to Tuesday (Novosibirsk is UTC+7).
            let path = "/api/v1/calendars/line1/due?from=2026-03-13T16:00:00%2B07:00&minutes=120"
            #expect(try await server.request(.GET, path, token: server.adminToken)["due_at"] as? String == "2026-03-16T01:00:00Z")
            let imported = try await server.request(.PUT, "/api/v1/calendars/line1/days", token: server.adminToken,
                                                    body: Data("# наш праздник\n2026-03-16 holiday\n2026-03-14 workday\n".utf8),
                                                    headers: [("Content-Type", "text/plain")])
            #expect(imported.status == .ok && imported["special_days"] as? Int == 2)
            // Now Saturday 14 March is worked (with the weekday hours) and Monday is off.
            #expect(try await server.request(.GET, path, token: server.adminToken)["due_at"] as? String == "2026-03-14T01:00:00Z")
            let exported = try await server.request(.GET, "/api/v1/calendars/line1/days", token: server.adminToken)
            #expect(exported.text == "2026-03-14 workday\n2026-03-16 holiday\n")
            #expect(exported.headers.first(name: .contentType)?.hasPrefix("text/plain") == true)

            let broken = try await server.request(.PUT, "/api/v1/calendars/line1/days", token: server.adminToken,
                                                  body: Data("2026-03-20 holiday\n2026-02-30 holiday\n".utf8), headers: [("Content-Type", "text/plain")])
            #expect(broken.status == .unprocessableEntity)
            #expect(broken.errorMessage?.contains("line 2") == true)
            #expect(try await server.request(.GET, "/api/v1/calendars/line1", token: server.adminToken)["special_days"] as? Int == 2)
            #expect(try await server.request(.GET, "/api/v1/calendars/nowhere", token: server.adminToken).status == .notFound)
        }
    }

    @Test("SLA templates install the seeds' figures in order; policies are added and changed", arguments: TestDatabase.all)
    func policies(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let installed = try await server.request(.POST, "/api/v1/sla-policies/templates/seed003", token: server.adminToken)
            #expect(installed.status == .ok)
            server.expectConforms(installed.json, to: "SLAPolicyList")
            let keys = installed.items.compactMap { $0["key"] as? String }
            #expect(keys == ["product_registration_2h", "question_4h", "suggestion_16h", "problem_6h", "incident_4h"])
            let minutes = installed.items.compactMap { ($0["targets"] as? [String: Any])?["first_response"] as? Int }
            #expect(minutes == [120, 240, 960, 360, 240])
            #expect((installed.items.first?["conditions"] as? [String: Any])?["fields"] as? [String: String] == ["request_kind": "product_registration"])
            // Installing again adds nothing.
            #expect(try await server.request(.POST, "/api/v1/sla-policies/templates/seed003", token: server.adminToken).items.count == 5)
            #expect(try await server.request(.POST, "/api/v1/sla-policies/templates/seed999", token: server.adminToken).status == .notFound)

            let paid = try await server.request(.POST, "/api/v1/sla-policies", token: server.adminToken, json: [
                "key": "paid_urgent", "name": "Платные, срочно", "position": 1,
                "conditions": ["plans": ["paid"], "priorities": ["urgent"]], "targets": ["first_response": 30, "resolution": 480],
            ])
            #expect(paid.status == .created)
            server.expectConforms(paid.json, to: "SLAPolicy")
            let ordered = try await server.request(.GET, "/api/v1/sla-policies", token: server.adminToken)
            #expect(ordered.items.first?["key"] as? String == "paid_urgent")
            let changed = try await server.request(.PATCH, "/api/v1/sla-policies/paid_urgent", token: server.adminToken,
                                                   json: ["warn_at_percent": 50, "active": false])
            #expect(changed["warn_at_percent"] as? Int == 50 && changed["active"] as? Bool == false)
            let invalid = try await server.request(.POST, "/api/v1/sla-policies", token: server.adminToken, json: [
                "key": "zero", "name": "x", "targets": ["first_response": 0], "calendar": "nowhere", "warn_at_percent": 150,
            ])
            #expect(invalid.status == .unprocessableEntity)
            let fields = ((invalid["error"] as? [String: Any])?["fields"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(Set(fields) == ["targets", "calendar", "warn_at_percent"])
            let agent = try await server.makeUser("a@x.ru", role: .agent)
            #expect(try await server.request(.POST, "/api/v1/sla-policies/templates/seed000", token: agent.token).status == .forbidden)
        }
    }
}

@Suite("SLA clocks on tickets", .serialized)
struct SLAClockAPITests {
    static func date(_ any: Any?) -> Date? { (any as? String).flatMap { try? Date($0, strategy: .iso8601) } }

    @Test("a new ticket starts the matching policy's clocks; replies, waiting and solving move them; queues sort by due time",
          arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            // Without policies nothing is tracked.
            let untracked = try await server.makeTicket(token: admin)
            #expect(untracked["next_due_at"] == nil)

            _ = try await server.request(.POST, "/api/v1/sla-policies/templates/seed003", token: admin)
            _ = try await server.request(.POST, "/api/v1/sla-policies", token: admin, json: [
                "key": "problem_full", "name": "Проблема: ответ 6 ч, решение 16 ч", "position": 1,
                "conditions": ["types": ["problem"]], "targets": ["first_response": 360, "resolution": 960],
            ])
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let question = try await server.makeTicket(token: customer.token, extra: ["type": "question"])
            let questionNumber = try #require(question["number"] as? Int)
            #expect(question["next_due_at"] == nil)  // customers do not see SLA times
            let staffView = try await server.request(.GET, "/api/v1/tickets/\(questionNumber)", token: admin)
            server.expectConforms(staffView.json, to: "Ticket")
            let created = try #require(Self.date(staffView["created_at"]))
            let expected = try #require(SLATemplates.seed003Calendar.adding(workingMinutes: 240, to: created))
            let due = try #require(Self.date(staffView["next_due_at"]))
            #expect(abs(due.timeIntervalSince(expected)) < 1.5)

            let clocks = try await server.request(.GET, "/api/v1/tickets/\(questionNumber)/sla", token: admin)
            server.expectConforms(clocks.json, to: "SLAClockList")
            #expect(clocks.items.count == 1)
            #expect(clocks.items.first?["metric"] as? String == "first_response" && clocks.items.first?["policy"] as? String == "question_4h")
            #expect(["running", "warning", "breached"].contains(clocks.items.first?["state"] as? String ?? ""))
            #expect(try await server.request(.GET, "/api/v1/tickets/\(questionNumber)/sla", token: customer.token).status == .forbidden)

            // An agent's public reply meets the first-response target.
            _ = try await server.request(.POST, "/api/v1/tickets/\(questionNumber)/comments", token: admin, json: ["body": "Смотрим."])
            let answered = try await server.request(.GET, "/api/v1/tickets/\(questionNumber)/sla", token: admin)
            #expect(answered.items.first?["stopped_at"] != nil)
            #expect(["achieved", "missed"].contains(answered.items.first?["state"] as? String ?? ""))
            #expect(try await server.request(.GET, "/api/v1/tickets/\(questionNumber)", token: admin)["next_due_at"] == nil)

            // A problem: two clocks; waiting for the customer pauses them, their answer resumes, solving stops them.
            let problem = try #require(try await server.makeTicket(token: customer.token, extra: ["type": "problem"])["number"] as? Int)
            let started = try await server.request(.GET, "/api/v1/tickets/\(problem)/sla", token: admin)
            #expect(Set(started.items.compactMap { $0["metric"] as? String }) == ["first_response", "resolution"])
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(problem)", token: admin, json: ["status": "pending"])
            let paused = try await server.request(.GET, "/api/v1/tickets/\(problem)/sla", token: admin)
            #expect(paused.items.allSatisfy { $0["state"] as? String == "paused" && $0["due_at"] == nil })
            #expect(try await server.request(.GET, "/api/v1/tickets/\(problem)", token: admin)["next_due_at"] == nil)
            _ = try await server.request(.POST, "/api/v1/tickets/\(problem)/comments", token: customer.token, json: ["body": "Вот лог."])
            let resumed = try await server.request(.GET, "/api/v1/tickets/\(problem)/sla", token: admin)
            #expect(resumed.items.allSatisfy { $0["due_at"] != nil && $0["state"] as? String != "paused" })
            let task = try #require(try await server.makeTicket(token: admin, extra: ["type": "task", "due_at": "2030-01-01T00:00:00Z"])["number"] as? Int)

            // The queue by due time: the question is answered (no clock running), so: problem, then the rest by number.
            let queue = try await server.collect("/api/v1/tickets?sort=due&limit=1", token: admin).compactMap { $0["number"] as? Int }
            #expect(queue == [problem, untracked["number"] as! Int, questionNumber, task])
            #expect(try await server.request(.GET, "/api/v1/tickets?sort=due&order=desc", token: admin).status == .unprocessableEntity)

            // Clocks keep working after every policy is switched off.
            for key in try await server.request(.GET, "/api/v1/sla-policies", token: admin).items.compactMap({ $0["key"] as? String }) {
                _ = try await server.request(.PATCH, "/api/v1/sla-policies/\(key)", token: admin, json: ["active": false])
            }
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(problem)", token: admin, json: ["status": "solved"])
            #expect(try await server.request(.GET, "/api/v1/tickets/\(problem)", token: admin)["next_due_at"] == nil)
            let solved = try await server.request(.GET, "/api/v1/tickets/\(problem)/sla", token: admin)
            #expect(solved.items.allSatisfy { $0["stopped_at"] != nil })
        }
    }
}

@Suite("SLA timers", .serialized)
struct SLATimerTests {
    @Test("warnings and breaches fire exactly once, even with two instances scanning at the same time", arguments: TestDatabase.all)
    func firesOnce(database: TestDatabase) async throws {
        try await TestServer.with(database) { first in
            _ = try await first.request(.POST, "/api/v1/sla-policies/templates/seed003", token: first.adminToken)
            let customer = try await first.makeUser("c@x.ru", role: .customer)
            var numbers: [Int] = []
            for index in 0..<12 { numbers.append(try #require(try await first.makeTicket(token: customer.token, subject: "Вопрос \(index)")["number"] as? Int)) }
            // One waits for the customer (paused), one is answered (stopped): neither may fire.
            _ = try await first.request(.PATCH, "/api/v1/tickets/\(numbers[0])", token: first.adminToken, json: ["status": "pending"])
            _ = try await first.request(.POST, "/api/v1/tickets/\(numbers[1])/comments", token: first.adminToken, json: ["body": "Ответ"])

            try await TestServer.with(database, sharing: first) { second in
                // A month on, every running clock is past its warning and its due time; both instances look at once.
                let now = Date().addingTimeInterval(30 * 86_400)
                async let a = SLATimerJob.run(context: .system(first.app, at: now))
                async let b = SLATimerJob.run(context: .system(second.app, at: now))
                let (x, y) = try await (a, b)
                #expect(x.warnings + y.warnings == 10)
                #expect(x.breaches + y.breaches == 10)
                let again = try await SLATimerJob.run(context: .system(second.app, at: now))
                #expect(again == SLATimerJob.Fired(warnings: 0, breaches: 0))
            }
            let kinds = try await first.sql.raw("SELECT kind, COUNT(*) AS n FROM ticket_events WHERE kind LIKE 'sla_%' GROUP BY kind ORDER BY kind").all()
                .map { "\(try $0.decode(column: "kind", as: String.self))=\(try $0.decode(column: "n", as: Int.self))" }
            #expect(kinds == ["sla_breached=10", "sla_warning=10"])
            let staff = try await first.request(.GET, "/api/v1/tickets/\(numbers[2])/events", token: first.adminToken)
            #expect(staff.items.contains { $0["kind"] as? String == "sla_breached" && $0["field"] as? String == "first_response" })
            let own = try await first.request(.GET, "/api/v1/tickets/\(numbers[2])/events", token: customer.token)
            #expect(!own.text.contains("sla_"))
            let clocks = try await first.request(.GET, "/api/v1/tickets/\(numbers[2])/sla", token: first.adminToken)
            #expect(clocks.items.first?["warned_at"] != nil && clocks.items.first?["breached_at"] != nil)
        }
    }
}
