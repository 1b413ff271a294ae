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
