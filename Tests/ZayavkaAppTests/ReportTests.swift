import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Issue 18, SPEC Q4: the reports' daily rollups give the same numbers as a count from the tickets,
/// after random creations, edits, replies, solutions, reopenings and ratings spread over many days;
/// and the report's API, CSV and bad periods.
@Suite("Reports: rollups equal direct counts", .serialized)
struct ReportTests {
    struct Fixture {
        let groups: [Int]
        let agents: [Int]
        let organization: Int
        let days: ClosedRange<Int>
    }

    /// Tickets over the last three weeks, with edits at random later moments (seeded, so a failure repeats).
    static func populate(_ server: TestServer, seed: UInt64, tickets count: Int) async throws -> Fixture {
        var random = SeededGenerator(state: seed)
        let admin = server.adminToken
        #expect(try await server.request(.POST, "/api/v1/sla-policies/templates/seed000", token: admin).status == .ok)
        #expect(try await server.request(.PATCH, "/api/v1/quality/settings", token: admin, json: ["survey_delay_minutes": 0]).status == .ok)
        var groups: [Int] = []
        for name in ["Касса", "Склад"] {
            groups.append(try #require(try await server.request(.POST, "/api/v1/groups", token: admin, json: ["name": name])["id"] as? Int))
        }
        var agents: [Int] = []
        for n in 1...3 { agents.append(try await server.makeUser("agent\(n)@zayavka.test", name: "Агент \(n)", role: .agent).id) }
        let organization = try #require(try await server.request(.POST, "/api/v1/organizations", token: admin,
                                                                 json: ["name": "ООО Ромашка", "inn": "7707083893"])["id"] as? Int)
        let member = try await server.makeUser("member@romashka.ru", name: "Сотрудник Ромашки", role: .customer, organizationID: organization)
        _ = member
        let now = Date()
        let start = now.addingTimeInterval(-21 * 86_400)
        let channels = TicketChannel.allCases
        let types: [TicketType] = [.question, .problem, .incident, .suggestion]
        var numbers: [(number: Int, at: Date)] = []
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func later(_ date: Date, within hours: Double) -> Date {
            min(now.addingTimeInterval(-60), date.addingTimeInterval(Double(random.next() % 1000) / 1000 * hours * 3600 + 60))
        }
        for i in 0..<count {
            let at = start.addingTimeInterval(Double(random.next() % 1000) / 1000 * 20 * 86_400)
            let context = try await server.context(at: at)
            let input = TicketCreateInput(
                subject: "Заявка \(i)", body: "Описание \(i)", requesterId: nil,
                requesterEmail: i % 4 == 0 ? "member@romashka.ru" : "client\(i % 7)@firm.ru", requesterName: nil,
                channel: pick(channels), type: pick(types), priority: pick(TicketPriority.allCases),
                urgency: random.next() % 3 == 0 ? nil : Urgency(Int(random.next() % 4) + 1),
                responsibility: random.next() % 2 == 0 ? nil : pick(Responsibility.allCases),
                cause: random.next() % 3 == 0 ? nil : pick(["Обновление", "Сеть клиента", "Ошибка в отчёте"]),
                status: nil, assigneeId: random.next() % 4 == 0 ? nil : pick(agents), groupId: random.next() % 3 == 0 ? nil : pick(groups),
                dueAt: nil, fields: nil, attachments: nil)
            let ticket = try await TicketService.create(input, context: context)
            numbers.append((ticket.number, at))
        }
        // Replies (first responses), solutions, reopenings and second solutions, edits.
        for (number, created) in numbers {
            var moment = later(created, within: 30)
            if random.next() % 5 != 0 {
                _ = try await ConversationService.addComment(number: number, input: CommentInput(body: "Ответ", public: true, attachments: nil, status: nil),
                                                             context: try await server.context(at: moment))
            }
            if random.next() % 3 != 0 {
                moment = later(moment, within: 48)
                var patch = TicketPatchInput()
                patch.status = "solved"
                _ = try await TicketService.update(number: number, input: patch, context: try await server.context(at: moment))
                if random.next() % 4 == 0 {
                    moment = later(moment, within: 24)
                    patch.status = "open"
                    _ = try await TicketService.update(number: number, input: patch, context: try await server.context(at: moment))
                    if random.next() % 2 == 0 {
                        moment = later(moment, within: 24)
                        patch.status = "solved"
                        _ = try await TicketService.update(number: number, input: patch, context: try await server.context(at: moment))
                    }
                }
            }
            if random.next() % 3 == 0 {
                var patch = TicketPatchInput()
                patch.assigneeId = .some(random.next() % 4 == 0 ? nil : pick(agents))
                patch.type = pick(types)
                patch.priority = pick(TicketPriority.allCases)
                _ = try await TicketService.update(number: number, input: patch, context: try await server.context(at: later(moment, within: 12)))
            }
        }
        // Surveys for the solutions, and ratings of some.
        _ = try await SatisfactionService.run(context: .system(server.app, at: now))
        let surveys = try await server.sql.raw("SELECT id FROM satisfaction_surveys WHERE status = 'sent'").all().map { try $0.decode(column: "id", as: Int.self) }
        for id in surveys where random.next() % 2 == 0 {
            let row = try await server.sql.raw("SELECT s.nonce, t.number, s.expires_at FROM satisfaction_surveys s JOIN tickets t ON t.id = s.ticket_id WHERE s.id = \(bind: id)").first()!
            let link = QualityLink(kind: .survey, id: id, ticket: try row.decode(column: "number", as: Int.self), nonce: try row.decode(column: "nonce", as: String.self),
                                   expires: .init(value: try row.decode(column: "expires_at", as: Date.self)))
            _ = try await SatisfactionService.rate(link: link, rating: random.next() % 3 == 0 ? .bad : .good, comment: random.next() % 2 == 0 ? "Комментарий" : nil,
                                                   context: .system(server.app))
        }
        let today = ReportDay.of(now)
        return Fixture(groups: groups, agents: agents, organization: organization, days: (today - 24)...today)
    }

    static func compare(_ server: TestServer, _ fixture: Fixture, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        while try await ReportRollup.run(context: .system(server.app), limit: 500) > 0 {}
        let left = try await server.sql.raw("SELECT COUNT(*) AS n FROM report_dirty").first()!.decode(column: "n", as: Int.self)
        #expect(left == 0, sourceLocation: sourceLocation)
        let whole = try ReportPeriod(from: LocalDate(daysSinceEpoch: fixture.days.lowerBound), to: LocalDate(daysSinceEpoch: fixture.days.upperBound))
        let part = try ReportPeriod(from: LocalDate(daysSinceEpoch: fixture.days.lowerBound + 8), to: LocalDate(daysSinceEpoch: fixture.days.lowerBound + 15))
        let filters: [ReportFilter] = [
            ReportFilter(), ReportFilter(group: fixture.groups[0]), ReportFilter(group: 0), ReportFilter(agent: fixture.agents[1]), ReportFilter(agent: 0),
            ReportFilter(channel: "email"), ReportFilter(type: "incident"), ReportFilter(group: fixture.groups[1], agent: fixture.agents[0], channel: "phone", type: "problem"),
        ]
        for period in [whole, part] {
            for filter in filters {
                let rolled = try await ReportService.fromRollups(period, filter: filter, on: server.sql)
                let counted = try await ReportService.direct(period, filter: filter, services: server.app.services, on: server.sql)
                #expect(rolled == counted, "\(filter) \(period)", sourceLocation: sourceLocation)
            }
        }
        // The whole period's rollup counts match plain SQL counts too.
        let rolled = try await ReportService.fromRollups(whole, filter: ReportFilter(), on: server.sql)
        let created = rolled.daily.values.reduce(0) { $0 + $1.created }
        let solved = rolled.daily.values.reduce(0) { $0 + $1.solved }
        let start = ReportDay.start(fixture.days.lowerBound)
        #expect(created == (try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets WHERE created_at >= \(bind: start)").first()!.decode(column: "n", as: Int.self)),
                sourceLocation: sourceLocation)
        #expect(solved == (try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets WHERE solved_at >= \(bind: start)").first()!.decode(column: "n", as: Int.self)),
                sourceLocation: sourceLocation)
        #expect(created > 0 && solved > 0, sourceLocation: sourceLocation)
    }

    @Test("rollups equal direct counts after random creations, replies, solutions, reopenings, edits and ratings, and after a rebuild",
          arguments: TestDatabase.all)
    func rollupsEqualDirectCounts(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let fixture = try await Self.populate(server, seed: 20261204, tickets: 70)
            try await Self.compare(server, fixture)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM report_sla").first()!.decode(column: "n", as: Int.self) > 0)
            #expect(try await server.sql.raw("SELECT SUM(good) + SUM(bad) AS n FROM report_daily WHERE group_id = -1 AND agent_id = -1 AND channel = '*' AND type = '*'")
                .first()!.decode(column: "n", as: Int.self) > 0)

            // More edits later: reassignments, reopenings, a group change; the rollups follow.
            var random = SeededGenerator(state: 7)
            let numbers = try await server.sql.raw("SELECT number FROM tickets ORDER BY number").all().map { try $0.decode(column: "number", as: Int.self) }
            for number in numbers where random.next() % 3 == 0 {
                var patch = TicketPatchInput()
                patch.groupId = .some(fixture.groups[Int(random.next() % 2)])
                patch.status = random.next() % 2 == 0 ? "open" : "solved"
                patch.urgency = .some(Urgency(Int(random.next() % 4) + 1))
                patch.responsibility = .some(.customerNetwork)
                patch.cause = .some("Сеть клиента")
                _ = try? await TicketService.update(number: number, input: patch, context: try await server.context())
            }
            try await Self.compare(server, fixture)

            // Rollups lost (a restore by hand): `reports rebuild` computes them again.
            try await server.sql.raw("DELETE FROM report_daily").run()
            try await server.sql.raw("DELETE FROM report_sla").run()
            let days = try await ReportRollup.rebuild(context: .system(server.app))
            #expect(days > 0)
            try await Self.compare(server, fixture)
        }
    }

    @Test("the report through the API and its CSV: same totals; an organization's report; reversed, too long and malformed periods refused",
          arguments: TestDatabase.all)
    func reportAPI(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let fixture = try await Self.populate(server, seed: 99, tickets: 30)
            let manager = try await server.makeUser("boss@zayavka.test", role: .manager)
            let refresh = try await server.request(.POST, "/api/v1/reports/refresh", token: manager.token)
            #expect(refresh.status == .ok && (refresh["days"] as? Int ?? 0) > 0)
            let from = LocalDate(daysSinceEpoch: fixture.days.lowerBound).description, to = LocalDate(daysSinceEpoch: fixture.days.upperBound).description
            let report = try await server.request(.GET, "/api/v1/reports?from=\(from)&to=\(to)", token: manager.token)
            #expect(report.status == .ok)
            server.expectConforms(report.json, to: "Report")
            let totals = try #require(report["totals"] as? [String: Any])
            let created = try #require(totals["created"] as? Int)
            #expect(created == 30)
            #expect(report["granularity"] as? String == "day")
            let series = try #require(report["series"] as? [[String: Any]])
            #expect(series.count == 25 && series.reduce(0) { $0 + ($1["created"] as? Int ?? 0) } == created)
            let months = try #require(report["urgent_by_month"] as? [[String: Any]])
            let urgent = try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets WHERE priority = 4").first()!.decode(column: "n", as: Int.self)
            #expect(months.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == urgent)
            // The CSV's total row says the same.
            let csv = try await server.request(.GET, "/api/v1/reports/export?from=\(from)&to=\(to)&section=series", token: manager.token)
            #expect(csv.status == .ok && csv.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            let total = try #require(csv.text.split(separator: "\r\n").last(where: { $0.hasPrefix("Итого") || $0.hasPrefix("Total") }))
            #expect(total.split(separator: ";").dropFirst().first.map(String.init) == String(created))
            // One organization's (counted from the tickets): every fourth ticket is theirs.
            let own = try await server.request(.GET, "/api/v1/reports?from=\(from)&to=\(to)&organization_id=\(fixture.organization)", token: manager.token)
            #expect((own["totals"] as? [String: Any])?["created"] as? Int == 8)
            // Bad periods get a clear answer.
            let reversed = try await server.request(.GET, "/api/v1/reports?from=\(to)&to=\(from)", token: manager.token)
            #expect(reversed.status == .unprocessableEntity)
            let decade = try await server.request(.GET, "/api/v1/reports?from=2016-01-01&to=2026-01-01", token: manager.token)
            #expect(decade.status == .unprocessableEntity && decade.text.contains("1096"))
            #expect(try await server.request(.GET, "/api/v1/reports?from=2026-02-30", token: manager.token).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/reports?channel=fax", token: manager.token).status == .unprocessableEntity)
            let empty = try await server.request(.GET, "/api/v1/reports?from=2020-01-01&to=2020-01-01", token: manager.token)
            #expect(empty.status == .ok && (empty["totals"] as? [String: Any])?["created"] as? Int == 0)
            // Agents and customers may not read reports.
            let agent = try await server.makeUser("a@zayavka.test", role: .agent)
            #expect(try await server.request(.GET, "/api/v1/reports", token: agent.token).status == .forbidden)
            // The web page draws its charts with tables beside them.
            let web = WebClient(server)
            try await web.signIn("boss@zayavka.test", "password-boss@zayavka.test")
            let page = try await web.get("/agent/reports?from=\(from)&to=\(to)")
            #expect(page.status == .ok && page.html.contains("<svg class=\"chart\"") && page.html.contains("table-volume"))
            let bad = try await web.get("/agent/reports?from=\(to)&to=\(from)")
            #expect(bad.status == .unprocessableEntity && bad.html.contains("report-error"))
        }
    }
}

