import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// Mass incidents through the API (SPEC P3, seed 002): detection once, declaring, linking on
/// arrival, the words reaching every customer, reminders, two instances, bad input.
@Suite("Mass incidents", .serialized)
struct IncidentAPITests {
    static let words = "В данный момент наблюдаются технические проблемы у некоторых пользователей"

    func outbox(_ server: TestServer, kind: String) async throws -> [[String: Any]] {
        try await server.request(.GET, "/api/v1/mail/outbox?limit=500", token: server.adminToken).items.filter { $0["kind"] as? String == kind }
    }

    /// The text of every queued mail of a kind, by recipient.
    func mailTexts(_ server: TestServer, kind: String) async throws -> [String: [String]] {
        var texts: [String: [String]] = [:]
        for row in try await server.sql.raw("SELECT to_address, raw FROM mail_outbox WHERE kind = \(bind: kind) ORDER BY id").all() {
            let mail = try MIMEParser.parse(Array(try row.decode(column: "raw", as: Data.self)))
            texts[try row.decode(column: "to_address", as: String.self), default: []].append(mail.text)
        }
        return texts
    }

    func count(_ server: TestServer, _ table: String, _ condition: String = "1 = 1") async throws -> Int {
        try await server.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE \(unsafeRaw: condition)").first()!.decode(column: "n", as: Int.self)
    }

    func ticket(_ server: TestServer, _ token: String, _ subject: String) async throws -> Int {
        let reply = try await server.makeTicket(token: token, subject: subject)
        return try #require(reply["number"] as? Int, "\(reply.status) \(reply.text)")
    }

    struct Desk {
        let dispatcher: (id: Int, token: String)
        let manager: (id: Int, token: String)
        let customers: [(id: Int, token: String)]
    }

    /// A dispatcher, a manager, and customers: the first two in one organization (one customer for
    /// detection), the others on their own.
    func desk(_ server: TestServer, customers: Int = 5) async throws -> Desk {
        let org = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken, json: ["name": "ООО Ромашка"])
        let orgID = try #require(org["id"] as? Int)
        let dispatcher = try await server.makeUser("disp@desk.ru", name: "Диспетчер", role: .dispatcher)
        let manager = try await server.makeUser("boss@desk.ru", name: "Руководитель", role: .manager)
        var people: [(id: Int, token: String)] = []
        for index in 0..<customers {
            people.append(try await server.makeUser("c\(index)@client.ru", name: "Клиент \(index)", role: .customer,
                                                    organizationID: index < 2 ? orgID : nil, locale: index == 3 ? .en : .ru))
        }
        return Desk(dispatcher: dispatcher, manager: manager, customers: people)
    }

    @Test("three customers alert the dispatchers and managers once; declaring links and tells each customer once; a new request links on arrival; estimate and fix reach all; nothing links after",
          arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let desk = try await desk(server)
            let c = desk.customers
            // Two people of one organization are one customer: no alert yet.
            let a = try await ticket(server, c[0].token, "Не могу войти в базу")
            _ = try await ticket(server, c[1].token, "Не могу войти в базу с утра")
            let slow = try await ticket(server, c[4].token, "Всё тормозит")
            #expect(try await count(server, "outbreak_alerts") == 0)
            _ = try await ticket(server, c[2].token, "Не получается войти в базу")
            #expect(try await count(server, "outbreak_alerts") == 0)
            let d = try await ticket(server, c[3].token, "Cannot log in: не могу войти в базу")
            #expect(try await count(server, "outbreak_alerts") == 1)

            let board = try await server.request(.GET, "/api/v1/incidents", token: desk.dispatcher.token)
            server.expectConforms(board.json, to: "IncidentBoard")
            let alerts = try #require(board["alerts"] as? [[String: Any]])
            let alert = try #require(alerts.first)
            #expect(alert["failure_kind"] as? String == "cannot_log_in" && alert["customers"] as? Int == 3)
            let listed = (alert["tickets"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? Int }
            #expect(listed.count == 4 && listed.first == a && listed.last == d && !listed.contains(slow))
            // One mail to the dispatcher and one to the manager, naming the requests.
            let alertMails = try await mailTexts(server, kind: "outbreak_alert")
            #expect(Set(alertMails.keys) == ["disp@desk.ru", "boss@desk.ru"] && alertMails.values.allSatisfy { $0.count == 1 })
            #expect(alertMails["disp@desk.ru"]?.first?.contains("#\(a)") == true)
            // The periodic job finds the same outbreak and opens nothing more.
            #expect(try await IncidentService.sweep(context: .system(server.app)).opened == 0)

            // Declare from the alert.
            let alertID = try #require(alert["id"] as? Int)
            let declared = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: ["alert_id": alertID])
            #expect(declared.status == .created, "\(declared.text)")
            server.expectConforms(declared.json, to: "Problem")
            let code = try #require(declared["code"] as? String)
            #expect(declared["kind"] as? String == "outage" && declared["incident_active"] as? Bool == true)
            #expect(try await count(server, "tickets", "problem_id IS NOT NULL") == 4)
            #expect(try await count(server, "problem_parties") == 4)
            // The words on each linked request and one mail to each of the four customers, in their language.
            let comments = try await server.request(.GET, "/api/v1/tickets/\(a)/comments", token: c[0].token).items
            #expect((comments.last?["body"] as? String ?? "").contains(Self.words))
            var updates = try await mailTexts(server, kind: "problem_update")
            #expect(updates.count == 4 && updates.values.allSatisfy { $0.count == 1 })
            #expect(updates["c0@client.ru"]?.first?.contains(Self.words) == true)
            #expect(updates["c3@client.ru"]?.first?.contains("Some users are experiencing technical problems") == true)
            let after = try await server.request(.GET, "/api/v1/incidents", token: desk.dispatcher.token)
            #expect((after["alerts"] as? [Any])?.isEmpty == true && (after["active"] as? [Any])?.count == 1)
            // A customer sees the words and the number, nothing of the team's.
            let seen = try await server.request(.GET, "/api/v1/incidents/active", token: c[4].token)
            server.expectConforms(seen.json, to: "ActiveIncidentList")
            let shown = try #require(seen.items.first)
            #expect(shown["code"] as? String == code && (shown["text"] as? String ?? "").contains(Self.words))
            #expect(shown["failure_kind"] == nil && shown["tickets"] == nil)

            // A fifth customer's request links on arrival; the acknowledgement says so, with the words.
            let e = try await ticket(server, c[4].token, "Не могу войти в базу!")
            let problemOfE = try await server.request(.GET, "/api/v1/tickets/\(e)/problem", token: c[4].token)
            #expect(problemOfE["code"] as? String == code)
            try await MailNotifier.run(app: server.app)
            let acks = try await mailTexts(server, kind: "ticket_created")
            let ackE = try #require(acks["c4@client.ru"]?.last)
            #expect(ackE.contains(code) && ackE.contains(Self.words))
            #expect(acks["c4@client.ru"]?.first?.contains(code) == false, "the earlier, unrelated request's acknowledgement says nothing of it")

            // The fix time is known: everyone is told once; then fixed, and the tickets solved.
            let estimated = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: desk.dispatcher.token, json: ["estimate": "сегодня к 15:00"])
            #expect(estimated.status == .ok, "\(estimated.text)")
            updates = try await mailTexts(server, kind: "problem_update")
            #expect(updates.count == 5 && updates.values.allSatisfy { $0.count == (updates["c4@client.ru"] == nil ? 1 : $0.count) })
            #expect(updates["c4@client.ru"]?.count == 1 && updates["c0@client.ru"]?.count == 2)
            #expect(updates["c0@client.ru"]?.last?.contains("сегодня к 15:00") == true)
            let fixed = try await server.request(.PATCH, "/api/v1/problems/\(code)", token: desk.dispatcher.token,
                                                 json: ["status": "fixed", "solve_tickets": true])
            #expect(fixed.status == .ok, "\(fixed.text)")
            #expect(fixed["incident_active"] as? Bool == false)
            updates = try await mailTexts(server, kind: "problem_update")
            #expect(updates.values.allSatisfy { $0.count == ($0 == updates["c4@client.ru"]! ? 2 : 3) })
            #expect(updates["c3@client.ru"]?.last?.contains("The technical problems are fixed") == true)
            #expect(try await count(server, "tickets", "problem_id IS NOT NULL AND status = 'solved'") == 5)

            // Over: a new matching request is not linked.
            let late = try await ticket(server, c[2].token, "Опять не могу войти в базу")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(late)/problem", token: server.adminToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/incidents/active", token: c[4].token).items.isEmpty)
        }
    }

    @Test("two instances on one database open one alert for one outbreak, however they race", arguments: TestDatabase.all)
    func twoInstances(database: TestDatabase) async throws {
        try await TestServer.with(database) { first in
            try await TestServer.with(first.database, sharing: first) { second in
                let desk = try await desk(first, customers: 4)
                // Requests arrive on either instance; the third customer's opens the alert.
                _ = try await ticket(first, desk.customers[0].token, "Выкидывает из базы")
                _ = try await ticket(second, desk.customers[2].token, "Нас выкинуло из базы")
                _ = try await ticket(first, desk.customers[3].token, "Выкидывает из базы каждые 5 минут")
                #expect(try await count(first, "outbreak_alerts") == 1)
                #expect(try await outbox(first, kind: "outbreak_alert").count == 2)
                // Race the detection itself: five rounds, both instances at once.
                for _ in 0..<5 {
                    try await first.sql.raw("DELETE FROM mail_outbox WHERE kind = 'outbreak_alert'").run()
                    try await first.sql.raw("DELETE FROM outbreak_alerts").run()
                    async let one = IncidentService.detect(kind: "thrown_out", context: .system(first.app))
                    async let two = IncidentService.detect(kind: "thrown_out", context: .system(second.app))
                    let opened = [try await one, try await two].compactMap { $0 }
                    #expect(opened.count == 1)
                    #expect(try await count(first, "outbreak_alerts") == 1)
                    #expect(try await outbox(first, kind: "outbreak_alert").count == 2)
                }
                // Declaring on both at once: one incident.
                let alert = try await first.sql.raw("SELECT id FROM outbreak_alerts").first()!.decode(column: "id", as: Int.self)
                async let x = first.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: ["alert_id": alert])
                async let y = second.request(.POST, "/api/v1/incidents", token: desk.manager.token, json: ["failure_kind": "thrown_out"])
                let statuses = [try await x, try await y].map(\.status)
                #expect(statuses.filter { $0 == .created }.count == 1 && statuses.filter { $0 == .conflict }.count == 1, "\(statuses)")
                #expect(try await count(first, "problems", "incident_active = \(database.isPostgres ? "true" : "1")") == 1)
                #expect(try await outbox(first, kind: "problem_update").count == 3)
            }
        }
    }

    @Test("an alert nobody acknowledges reminds the managers once after the reminder time; an acknowledged or dismissed one does not",
          arguments: TestDatabase.all)
    func reminders(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let desk = try await desk(server, customers: 4)
            for (index, customer) in [0, 2, 3].enumerated() { _ = try await ticket(server, desk.customers[customer].token, "Всё зависает \(index)") }
            let alert = try #require(try await server.request(.GET, "/api/v1/incidents", token: server.adminToken)["alerts"] as? [[String: Any]]).first
            let id = try #require(alert?["id"] as? Int)
            #expect(try await IncidentService.remind(context: .system(server.app, at: Date().addingTimeInterval(5 * 60))) == 0)
            #expect(try await IncidentService.remind(context: .system(server.app, at: Date().addingTimeInterval(11 * 60))) == 1)
            #expect(try await IncidentService.remind(context: .system(server.app, at: Date().addingTimeInterval(20 * 60))) == 0)
            let reminders = try await outbox(server, kind: "outbreak_reminder")
            #expect(reminders.map { $0["to"] as? String } == ["boss@desk.ru"])
            // Dismissed: the same requests open no new alert.
            let dismissed = try await server.request(.POST, "/api/v1/outbreak-alerts/\(id)/dismiss", token: desk.dispatcher.token)
            #expect(dismissed.status == .noContent)
            #expect(try await IncidentService.sweep(context: .system(server.app)).opened == 0)
            #expect(try await server.request(.POST, "/api/v1/outbreak-alerts/\(id)/dismiss", token: desk.dispatcher.token).status == .conflict)
            // New reports after the dismissal open a new alert; acknowledged, it reminds nobody.
            for (index, customer) in [0, 2, 3].enumerated() { _ = try await ticket(server, desk.customers[customer].token, "Снова зависает \(index)") }
            let next = try #require(try await server.request(.GET, "/api/v1/incidents", token: server.adminToken)["alerts"] as? [[String: Any]]).first
            let nextID = try #require(next?["id"] as? Int)
            #expect(nextID != id)
            let acknowledged = try await server.request(.POST, "/api/v1/outbreak-alerts/\(nextID)/acknowledge", token: desk.dispatcher.token)
            #expect(acknowledged.status == .ok)
            server.expectConforms(acknowledged.json, to: "OutbreakAlert")
            #expect((acknowledged["acknowledged_by"] as? [String: Any])?["id"] as? Int == desk.dispatcher.id)
            #expect(try await IncidentService.remind(context: .system(server.app, at: Date().addingTimeInterval(30 * 60))) == 0)
        }
    }

    @Test("failure kinds and outbreak settings are the admins' to change; a new kind counts new requests", arguments: TestDatabase.all)
    func configuration(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let desk = try await desk(server, customers: 4)
            let kinds = try await server.request(.GET, "/api/v1/failure-kinds", token: desk.dispatcher.token)
            server.expectConforms(kinds.json, to: "CriticalRuleList")
            #expect(kinds.items.compactMap { $0["key"] as? String } == ["slowness", "unavailable", "thrown_out", "cannot_log_in"])
            let created = try await server.request(.POST, "/api/v1/failure-kinds", token: admin,
                                                   json: ["key": "egais", "name": "Не уходят документы в ЕГАИС", "phrases": [["егаис", "не", "уход"]]])
            #expect(created.status == .created, "\(created.text)")
            #expect(try await server.request(.POST, "/api/v1/failure-kinds", token: desk.manager.token, json: ["key": "x", "name": "x", "phrases": [["x"]]]).status == .forbidden)
            let settings = try await server.request(.PUT, "/api/v1/outbreak-settings", token: admin,
                                                    json: ["customers": 2, "window_minutes": 20, "text_ru": "Сбой ЕГАИС, чиним."])
            #expect(settings.status == .ok && settings["customers"] as? Int == 2 && settings["text_en"] as? String == MassIncidentText.ongoingEn)
            server.expectConforms(settings.json, to: "OutbreakSettings")
            _ = try await ticket(server, desk.customers[0].token, "ЕГАИС: документы не уходят")
            _ = try await ticket(server, desk.customers[2].token, "Не уходят накладные в ЕГАИС")
            let board = try await server.request(.GET, "/api/v1/incidents", token: admin)
            #expect((board["alerts"] as? [[String: Any]])?.first?["failure_kind"] as? String == "egais")
            let declared = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token,
                                                    json: ["failure_kind": "egais", "title": "ЕГАИС не принимает документы"])
            #expect(declared.status == .created, "\(declared.text)")
            let texts = try await mailTexts(server, kind: "problem_update")
            #expect(texts.count == 2 && texts.values.allSatisfy { $0.first?.contains("Сбой ЕГАИС, чиним.") == true })
        }
    }

    @Test("bad input gets a clear error and changes nothing", arguments: TestDatabase.all)
    func badInput(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let desk = try await desk(server, customers: 4)
            let customer = desk.customers[2].token
            let tables = ["problems", "problem_parties", "outbreak_alerts", "comments", "mail_outbox", "problem_events"]
            func snapshot() async throws -> [Int] { var out: [Int] = []; for t in tables { out.append(try await count(server, t)) }; return out }
            let mine = try await ticket(server, customer, "Не работает печать")
            let before = try await snapshot()
            // Declaring with no request of that kind, an unknown kind, unknown or unlinkable tickets, bad words.
            let empty = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: ["failure_kind": "cannot_log_in"])
            #expect(empty.status == .unprocessableEntity && empty.text.contains("ticket_numbers"), "\(empty.text)")
            let unknown = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: ["failure_kind": "nope"])
            #expect(unknown.status == .unprocessableEntity && unknown.text.contains("failure_kind"))
            #expect(try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: [:]).status == .unprocessableEntity)
            let ghost = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token,
                                                 json: ["failure_kind": "slowness", "ticket_numbers": [999_999]])
            #expect(ghost.status == .unprocessableEntity && ghost.text.contains("ticket_numbers"))
            let long = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token,
                                                json: ["failure_kind": "slowness", "ticket_numbers": [mine], "text_ru": String(repeating: "я", count: 5000)])
            #expect(long.status == .unprocessableEntity && long.text.contains("text_ru"))
            #expect(try await server.request(.POST, "/api/v1/outbreak-alerts/12345/acknowledge", token: desk.dispatcher.token).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token, json: ["alert_id": 12345]).status == .notFound)
            // A customer calling staff endpoints.
            #expect(try await server.request(.GET, "/api/v1/incidents", token: customer).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/incidents", token: customer, json: ["failure_kind": "slowness", "ticket_numbers": [mine]]).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/outbreak-settings", token: customer).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/failure-kinds", token: customer).status == .forbidden)
            // Settings out of range, or a dispatcher changing them.
            #expect(try await server.request(.PUT, "/api/v1/outbreak-settings", token: admin, json: ["customers": 1]).status == .unprocessableEntity)
            #expect(try await server.request(.PUT, "/api/v1/outbreak-settings", token: admin, json: ["text_ru": "  "]).status == .unprocessableEntity)
            #expect(try await server.request(.PUT, "/api/v1/outbreak-settings", token: desk.dispatcher.token, json: ["customers": 5]).status == .forbidden)
            #expect(try await snapshot() == before)
            #expect(try await IncidentService.settings(on: server.sql).customers == 3)
            // Declared by hand with a named request, then again: 409, nothing more.
            let declared = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token,
                                                    json: ["failure_kind": "slowness", "ticket_numbers": [mine]])
            #expect(declared.status == .created, "\(declared.text)")
            let afterFirst = try await snapshot()
            let twice = try await server.request(.POST, "/api/v1/incidents", token: desk.dispatcher.token,
                                                 json: ["failure_kind": "slowness", "ticket_numbers": [mine]])
            #expect(twice.status == .conflict || twice.status == .unprocessableEntity)
            #expect(try await snapshot() == afterFirst)
        }
    }
}

extension TestDatabase {
    var isPostgres: Bool { if case .postgres = self { true } else { false } }
}
