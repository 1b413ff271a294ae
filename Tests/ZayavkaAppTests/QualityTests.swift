import Foundation
import JWTKit
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// Issue 18: resolution reports, satisfaction surveys, service feedback and conversation reviews,
/// through the HTTP API and the periodic jobs, on SQLite and PostgreSQL.
@Suite("Quality: resolution reports, surveys, feedback, reviews", .serialized)
struct QualityTests {
    static let environment = ["ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>", "ZAYAVKA_MAIL_SUBJECT_TAG": "Support",
                              "ZAYAVKA_PUBLIC_URL": "https://help.example.ru"]

    /// The outbox's messages of one kind, as text (newest last).
    static func outbox(_ server: TestServer, kind: String) async throws -> [(to: String, text: String)] {
        try await server.sql.raw("SELECT to_address, raw FROM mail_outbox WHERE kind = \(bind: kind) ORDER BY id").all().map {
            (try $0.decode(column: "to_address", as: String.self), String(decoding: try $0.decode(column: "raw", as: Data.self), as: UTF8.self))
        }
    }

    /// The plain text of an outgoing mail, decoded by our MIME parser.
    static func decodedBody(_ raw: String) -> String {
        (try? MIMEParser.parse(Array(raw.utf8)).text) ?? raw
    }

    /// The link in a mail that starts with `prefix`, up to the end of its line.
    static func link(in text: String, prefix: String) -> String? {
        guard let start = text.range(of: prefix) else { return nil }
        return String(text[start.lowerBound...].prefix { !$0.isWhitespace })
    }

    static func token(ofLink link: String) -> String {
        String(link.split(separator: "/").last!.prefix { $0 != "?" })
    }

    static func count(_ server: TestServer, _ sql: SQLQueryString) async throws -> Int {
        try await server.sql.raw(sql).first()!.decode(column: "n", as: Int.self)
    }

    // MARK: Resolution reports (V6)

    @Test("solving asks for the report the type requires; the solved mail carries it with two links; the customer's answers work without signing in",
          arguments: TestDatabase.all)
    func resolutionReport(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let admin = server.adminToken
            let settings = try await server.request(.PATCH, "/api/v1/quality/settings", token: admin,
                                                    json: ["resolution_required": ["incident": ["fixed", "how", "prevention"]]])
            #expect(settings.status == .ok)
            server.expectConforms(settings.json, to: "QualitySettings")
            let customer = try await server.makeUser("client@firm.ru", name: "Ирина Клиент", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token, extra: ["type": "incident"])["number"] as? Int)
            try await MailNotifier.run(app: server.app)

            // Without the report: refused, and nothing changed.
            let refused = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved"])
            #expect(refused.status == .unprocessableEntity)
            let fields = ((refused["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["resolution.fixed", "resolution.how", "resolution.prevention"])
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["status"] as? String == "new")
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM resolution_reports") == 0)
            // A report without solving is refused too; a customer may not send one.
            let stray = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["priority": "high", "resolution": ["fixed": "x"]])
            #expect(stray.status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)["priority"] as? String == "normal")

            // With it: solved, the report stored, in the history and the solved mail.
            let report = ["fixed": "Сбой печати чека после обновления", "how": "Переустановили драйвер ККТ",
                          "prevention": "Обновляйте драйвер вместе с кассой", "check": "Пробейте тестовый чек"]
            let solved = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved", "resolution": report])
            #expect(solved.status == .ok && solved["status"] as? String == "solved")
            let reports = try await server.request(.GET, "/api/v1/tickets/\(number)/resolutions", token: customer.token)
            server.expectConforms(reports.json, to: "ResolutionList")
            #expect(reports.items.count == 1 && reports.items.first?["how"] as? String == "Переустановили драйвер ККТ")
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: customer.token).items
            #expect(events.contains { $0["kind"] as? String == "resolution_reported" })
            try await MailNotifier.run(app: server.app)
            let mail = try #require(try await Self.outbox(server, kind: "ticket_solved").last)
            let text = Self.decodedBody(mail.text)
            #expect(mail.to == "client@firm.ru")
            #expect(text.contains("Переустановили драйвер ККТ") && text.contains("Пробейте тестовый чек"))
            let works = try #require(Self.link(in: text, prefix: "https://help.example.ru/q/"))
            #expect(works.hasSuffix("?a=works"))
            let token = Self.token(ofLink: works)

            // A tampered link changes nothing; the real one confirms, as the customer.
            var tampered = Array(token)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            let forged = try await server.request(.POST, "/api/v1/quality/links/resolution", json: ["token": String(tampered), "answer": "works"])
            #expect(forged.status == .notFound)
            let page = try await server.request(.GET, "/q/" + String(tampered) + "?a=works")
            #expect(page.status == .notFound && page.text.contains("Ссылка недействительна"))
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'solution_confirmed'") == 0)
            let answered = try await server.request(.POST, "/api/v1/quality/links/resolution", json: ["token": token, "answer": "works"])
            #expect(answered.status == .ok && answered["outcome"] as? String == "works")
            server.expectConforms(answered.json, to: "Resolution")
            let confirmed = try await server.sql.raw("SELECT actor_id FROM ticket_events WHERE kind = 'solution_confirmed'").all()
            #expect(try confirmed.map { try $0.decode(column: "actor_id", as: Int?.self) } == [customer.id])

            // Another incident solved with a reply: the reply's mail carries the report; "still not working" reopens with the words.
            let second = try #require(try await server.makeTicket(token: customer.token, subject: "Не уходят чеки в ОФД", extra: ["type": "incident"])["number"] as? Int)
            let reply = try await server.request(.POST, "/api/v1/tickets/\(second)/comments", token: admin,
                                                 json: ["body": "Исправили настройки ОФД.", "status": "solved",
                                                        "resolution": ["fixed": "Настройки ОФД", "how": "Указали верный ИНН ОФД", "prevention": "Проверяйте ИНН"]])
            #expect(reply.status == .created)
            try await MailNotifier.run(app: server.app)
            let replyMail = try #require(try await Self.outbox(server, kind: "public_reply").last)
            let replyText = Self.decodedBody(replyMail.text)
            #expect(replyText.contains("Исправили настройки ОФД.") && replyText.contains("Указали верный ИНН ОФД"))
            #expect(try await Self.outbox(server, kind: "ticket_solved").count == 1, "the reply says it; no second mail")
            let notWorking = try #require(Self.link(in: replyText, prefix: "https://help.example.ru/q/").map { $0.replacingOccurrences(of: "?a=works", with: "") })
            let secondToken = Self.token(ofLink: notWorking)
            let empty = try await server.request(.POST, "/api/v1/quality/links/resolution", json: ["token": secondToken, "answer": "not_working"])
            #expect(empty.status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(second)", token: admin)["status"] as? String == "solved")
            let reopened = try await server.request(.POST, "/api/v1/quality/links/resolution",
                                                    json: ["token": secondToken, "answer": "not_working", "text": "Чеки всё ещё не уходят"])
            #expect(reopened.status == .ok && reopened["outcome"] as? String == "not_working")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(second)", token: admin)["status"] as? String == "open")
            let last = try await server.request(.GET, "/api/v1/tickets/\(second)/comments", token: admin).items.last
            #expect(last?["body"] as? String == "Чеки всё ещё не уходят" && (last?["author"] as? [String: Any])?["id"] as? Int == customer.id)
            // The first link of the first ticket is still valid but that report has its answer: answering again changes nothing.
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM resolution_reports WHERE outcome IS NOT NULL") == 2)

            // Expired: refused at the moment past its expiry (14 days by default).
            let link = try await QualityLinks.open(token, now: Date(), services: server.app.services, on: server.sql)
            await #expect(throws: QualityLinks.Refusal.expired) {
                _ = try await QualityLinks.open(token, now: link.expires.value.addingTimeInterval(1), services: server.app.services, on: server.sql)
            }
        }
    }

    // MARK: Satisfaction (Q1)

    @Test("the survey goes out after the delay, once, even with two instances; a rating changes while the link is valid; forged and expired links change nothing",
          arguments: TestDatabase.all)
    func survey(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let admin = server.adminToken
            #expect(try await server.request(.PATCH, "/api/v1/quality/settings", token: admin, json: ["survey_delay_minutes": 60]).status == .ok)
            let manager = try await server.makeUser("boss@zayavka.test", name: "Руководитель", role: .manager)
            let group = try #require(try await server.request(.POST, "/api/v1/groups", token: admin, json: ["name": "Касса"])["id"] as? Int)
            _ = try await server.request(.PUT, "/api/v1/groups/\(group)/members/\(manager.id)", token: admin)
            let customer = try await server.makeUser("client@firm.ru", name: "Ирина", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved", "group_id": group]).status == .ok)
            let solvedAt = Date()

            // Not before the delay.
            var result = try await SatisfactionService.run(context: .system(server.app, at: solvedAt.addingTimeInterval(59 * 60)))
            #expect(result.sent == 0)
            #expect(try await Self.outbox(server, kind: "satisfaction_survey").isEmpty)
            // After it: two instances at once send exactly one.
            try await TestServer.with(database, environment: Self.environment, sharing: server) { other in
                let at = solvedAt.addingTimeInterval(61 * 60)
                async let a = SatisfactionService.run(context: .system(server.app, at: at))
                async let b = SatisfactionService.run(context: .system(other.app, at: at))
                let (first, second) = try await (a, b)
                #expect(first.sent + second.sent == 1)
            }
            result = try await SatisfactionService.run(context: .system(server.app, at: solvedAt.addingTimeInterval(70 * 60)))
            #expect(result.sent == 0)
            let mails = try await Self.outbox(server, kind: "satisfaction_survey")
            #expect(mails.count == 1 && mails.first?.to == "client@firm.ru")
            let text = Self.decodedBody(try #require(mails.first).text)
            let good = try #require(Self.link(in: text, prefix: "https://help.example.ru/q/"))
            #expect(good.hasSuffix("?r=good") && text.contains("?r=bad"))
            let token = Self.token(ofLink: good)

            // A forged link (another key), a link naming another survey, and a damaged one: refused, nothing recorded.
            let foreign = await JWTKeyCollection().add(hmac: HMACKey(from: Data(repeating: 7, count: 32)), digestAlgorithm: .sha256)
            let real = try await QualityLinks.open(token, now: Date(), services: server.app.services, on: server.sql)
            let forged = try await foreign.sign(real)
            let moved = try await QualityLinks.sign(QualityLink(kind: .survey, id: real.id, ticket: real.ticket, nonce: "other", expires: real.expires),
                                                    services: server.app.services, on: server.sql)
            for bad in [forged, moved, String(token.dropLast(2)), "x", String(repeating: "a", count: 5000)] {
                let reply = try await server.request(.POST, "/api/v1/quality/links/survey", json: ["token": bad, "rating": "good"])
                #expect(reply.status == .notFound)
            }
            let page = try await server.request(.GET, "/q/" + forged + "?r=good")
            #expect(page.status == .notFound && page.text.contains("Ссылка недействительна"))
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM satisfaction_surveys WHERE rating IS NOT NULL") == 0)

            // The link in the mail: "Good" with one click (no sign-in), then changed to "Bad" with a comment.
            let web = WebClient(server)
            let clicked = try await web.get("/q/" + token + "?r=good")
            #expect(clicked.status == .ok && clicked.html.contains("survey-thanks"))
            let commented = try await web.post("/q/" + token, [("_csrf", clicked.csrf ?? ""), ("comment", "Всё понятно объяснили")])
            #expect(commented.status == .ok && commented.html.contains("Всё понятно объяснили"))
            var surveys = try await server.request(.GET, "/api/v1/tickets/\(number)/satisfaction", token: customer.token)
            server.expectConforms(surveys.json, to: "SurveyList")
            #expect(surveys.items.first?["rating"] as? String == "good")
            let changed = try await server.request(.POST, "/api/v1/quality/links/survey",
                                                   json: ["token": token, "rating": "bad", "comment": "Долго ждали ответа"])
            #expect(changed.status == .ok)
            server.expectConforms(changed.json, to: "Survey")
            surveys = try await server.request(.GET, "/api/v1/tickets/\(number)/satisfaction", token: admin)
            #expect(surveys.items.first?["rating"] as? String == "bad" && surveys.items.first?["comment"] as? String == "Долго ждали ответа")
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'satisfaction_rated'") == 3)
            // A long comment is refused and changes nothing.
            let long = try await server.request(.POST, "/api/v1/quality/links/survey", json: ["token": token, "comment": String(repeating: "я", count: 6000)])
            #expect(long.status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)/satisfaction", token: admin).items.first?["comment"] as? String == "Долго ждали ответа")
            // The bad rating with a comment reaches the group's manager.
            try await MailNotifier.run(app: server.app)
            let alerts = try await Self.outbox(server, kind: "bad_rating")
            #expect(alerts.map(\.to) == ["boss@zayavka.test"])
            #expect(Self.decodedBody(try #require(alerts.first).text).contains("Долго ждали ответа"))
            // Managers list ratings.
            let ratings = try await server.request(.GET, "/api/v1/satisfaction?rating=bad", token: manager.token)
            server.expectConforms(ratings.json, to: "SurveyList")
            #expect(ratings.items.count == 1)
            #expect(try await server.request(.GET, "/api/v1/satisfaction", token: customer.token).status == .forbidden)

            // Expired: the page says so and nothing changes.
            let expires = try #require(surveys.items.first?["expires_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
            let later = ServiceContext.system(server.app, at: try #require(expires).addingTimeInterval(60))
            await #expect(throws: QualityLinks.Refusal.expired) {
                let link = try await QualityLinks.open(token, now: later.now, services: server.app.services, on: server.sql)
                _ = try await SatisfactionService.rate(link: link, rating: .good, comment: nil, context: later)
            }
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)/satisfaction", token: admin).items.first?["rating"] as? String == "bad")

            // Reopened and solved again: still one survey per ticket (default); with one per solution, a new one.
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "open"]).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved"]).status == .ok)
            result = try await SatisfactionService.run(context: .system(server.app, at: Date().addingTimeInterval(61 * 60)))
            #expect(result.sent == 0)
            #expect(try await Self.outbox(server, kind: "satisfaction_survey").count == 1)
        }
    }

    @Test("no survey for a ticket opened by automatic mail, for a banned or blocked customer, or once the customer has rated",
          arguments: TestDatabase.all)
    func surveyExclusions(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment.merging(["ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test"]) { $1 }) { server in
            let admin = server.adminToken
            #expect(try await server.request(.PATCH, "/api/v1/quality/settings", token: admin,
                                             json: ["survey_delay_minutes": 0, "survey_once_per_ticket": false]).status == .ok)
            // Automatic mail (an out-of-office answer) opens a ticket.
            let raw = Data(("From: Робот <robot@client.ru>\r\nTo: support@zayavka.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
                            + "Message-ID: <auto-1@client.ru>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI am away.\r\n").utf8)
            let filed = try await server.request(.POST, "/api/v1/mail/inbound", token: admin, body: raw, headers: [("Content-Type", "message/rfc822")])
            let automatic = try #require(filed["ticket_number"] as? Int)
            let banned = try await server.makeUser("banned@firm.ru", role: .customer)
            let blocked = try await server.makeUser("blocked@firm.ru", role: .customer)
            let rater = try await server.makeUser("rater@firm.ru", role: .customer)
            let bannedTicket = try #require(try await server.makeTicket(token: banned.token)["number"] as? Int)
            let blockedTicket = try #require(try await server.makeTicket(token: blocked.token)["number"] as? Int)
            let ratedTicket = try #require(try await server.makeTicket(token: rater.token)["number"] as? Int)
            try await server.sql.raw("UPDATE users SET banned_at = \(bind: Date()) WHERE id = \(bind: banned.id)").run()
            #expect(try await server.request(.PATCH, "/api/v1/users/\(blocked.id)", token: admin, json: ["is_active": false]).status == .ok)
            for number in [automatic, bannedTicket, blockedTicket, ratedTicket] {
                #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin, json: ["status": "solved"]).status == .ok)
            }
            var result = try await SatisfactionService.run(context: .system(server.app, at: Date().addingTimeInterval(60)))
            #expect(result.sent == 1 && result.skipped == 3)
            let reasons = try await server.sql.raw("""
                SELECT t.number, s.status, s.reason FROM satisfaction_surveys s JOIN tickets t ON t.id = s.ticket_id ORDER BY t.number
                """).all().map { (try $0.decode(column: "number", as: Int.self), try $0.decode(column: "reason", as: String?.self)) }
            #expect(Dictionary(uniqueKeysWithValues: reasons) == [automatic: "automatic_mail", bannedTicket: "blocked_customer",
                                                                 blockedTicket: "blocked_customer", ratedTicket: nil])
            #expect(try await Self.outbox(server, kind: "satisfaction_survey").map(\.to) == ["rater@firm.ru"])
            // The customer rates; the ticket is reopened and solved again (one survey per solution now): no second survey.
            let text = Self.decodedBody(try #require(try await Self.outbox(server, kind: "satisfaction_survey").first).text)
            let token = Self.token(ofLink: try #require(Self.link(in: text, prefix: "https://help.example.ru/q/")))
            #expect(try await server.request(.POST, "/api/v1/quality/links/survey", json: ["token": token, "rating": "good"]).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(ratedTicket)", token: admin, json: ["status": "open"]).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(ratedTicket)", token: admin, json: ["status": "solved"]).status == .ok)
            result = try await SatisfactionService.run(context: .system(server.app, at: Date().addingTimeInterval(120)))
            #expect(result.sent == 0)
            #expect(try await Self.outbox(server, kind: "satisfaction_survey").count == 1)
        }
    }

    // MARK: Feedback (Q3)

    @Test("anyone sends feedback about the service; bad input writes nothing; managers work through it", arguments: TestDatabase.all)
    func feedback(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let bad = try await server.request(.POST, "/api/v1/feedback", json: ["body": "  ", "name": "", "contact": "a\u{0}b"])
            #expect(bad.status == .unprocessableEntity)
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM service_feedback") == 0)
            let sent = try await server.request(.POST, "/api/v1/feedback", json: ["name": "Пётр", "contact": "+7 900 000-00-00",
                                                                                 "body": "Операторы вежливые, но ответа ждал долго."])
            #expect(sent.status == .created)
            server.expectConforms(sent.json, to: "FeedbackReceipt")
            let customer = try await server.makeUser("c@firm.ru", name: "Анна", role: .customer)
            let own = try await server.request(.POST, "/api/v1/feedback", token: customer.token, json: ["body": "Спасибо!"])
            #expect(own.status == .created)
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            #expect(try await server.request(.GET, "/api/v1/feedback", token: agent.token).status == .forbidden)
            let manager = try await server.makeUser("boss@zayavka.test", role: .manager)
            let list = try await server.request(.GET, "/api/v1/feedback", token: manager.token)
            server.expectConforms(list.json, to: "FeedbackList")
            #expect(list.items.map { $0["name"] as? String } == ["Анна", "Пётр"])
            #expect(list.items.first?["contact"] as? String == "c@firm.ru")
            let id = try #require(list.items.last?["id"] as? Int)
            let wrong = try await server.request(.PATCH, "/api/v1/feedback/\(id)", token: manager.token, json: ["status": "archived"])
            #expect(wrong.status == .unprocessableEntity)
            let moved = try await server.request(.PATCH, "/api/v1/feedback/\(id)", token: manager.token, json: ["status": "done", "note": "Добавили дежурного"])
            #expect(moved.status == .ok && moved["status"] as? String == "done")
            server.expectConforms(moved.json, to: "Feedback")
            #expect(try await server.request(.GET, "/api/v1/feedback?status=new", token: manager.token).items.count == 1)
            #expect(try await server.request(.PATCH, "/api/v1/feedback/999999", token: manager.token, json: ["status": "done"]).status == .notFound)
            // Erasing the customer's personal data erases what they wrote about the service too.
            #expect(try await server.request(.POST, "/api/v1/users/\(customer.id)/erase", token: server.adminToken, json: ["reason": "152-ФЗ, запрос клиента"]).status == .ok)
            let erased = try await server.request(.GET, "/api/v1/feedback", token: manager.token).items.first
            #expect(erased?["body"] as? String == "[удалено]" && erased?["contact"] as? String == "")
                        // The web form: a visitor's empty remark is refused in their language, a full one accepted.
            let page = try await server.request(.GET, "/feedback")
            #expect(page.status == .ok && page.text.contains("feedback-form"))
        }
    }

    // MARK: Reviews (Q2)

    @Test("every agent with solved conversations gets their share of the weekly sample, drawn once; managers score, agents see their own",
          arguments: TestDatabase.all)
    func reviews(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            #expect(try await server.request(.PATCH, "/api/v1/quality/settings", token: admin, json: ["reviews_per_agent_per_week": 3]).status == .ok)
            let busy = try await server.makeUser("busy@zayavka.test", name: "Борис", role: .agent)
            let quiet = try await server.makeUser("quiet@zayavka.test", name: "Вера", role: .agent)
            let idle = try await server.makeUser("idle@zayavka.test", name: "Глеб", role: .agent)
            let manager = try await server.makeUser("boss@zayavka.test", name: "Руководитель", role: .manager)
            let customer = try await server.makeUser("c@firm.ru", role: .customer)
            // Last week (Moscow): busy solved 8, quiet 2; idle only has an open ticket.
            let lastMonday = ReviewWeek.monday(of: Date()).adding(days: -7)
            let wednesday = ReviewWeek.start(of: lastMonday.adding(days: 2)).addingTimeInterval(12 * 3600)
            func solved(by agent: Int, count: Int) async throws -> [Int] {
                var numbers: [Int] = []
                for _ in 0..<count {
                    let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
                    let context = try await server.context(at: wednesday)
                    var patch = TicketPatchInput()
                    patch.assigneeId = .some(agent)
                    patch.status = "solved"
                    _ = try await TicketService.update(number: number, input: patch, context: context)
                    numbers.append(number)
                }
                return numbers
            }
            let busyTickets = Set(try await solved(by: busy.id, count: 8))
            let quietTickets = Set(try await solved(by: quiet.id, count: 2))
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(try #require(try await server.makeTicket(token: customer.token)["number"] as? Int))",
                                         token: admin, json: ["assignee_id": idle.id])
            #expect(try await server.request(.POST, "/api/v1/reviews/sample", token: busy.token, json: [:]).status == .forbidden)
            let sample = try await server.request(.POST, "/api/v1/reviews/sample", token: manager.token, json: ["week": lastMonday.adding(days: 4).description])
            server.expectConforms(sample.json, to: "ReviewSample")
            #expect(sample["added"] as? Int == 5 && sample["week"] as? String == lastMonday.description)
            #expect(try await server.request(.POST, "/api/v1/reviews/sample", token: manager.token, json: ["week": lastMonday.description])["added"] as? Int == 0)
            let badWeek = try await server.request(.POST, "/api/v1/reviews/sample", token: manager.token, json: ["week": "2026-13-40"])
            #expect(badWeek.status == .unprocessableEntity)
            let all = try await server.request(.GET, "/api/v1/reviews?status=pending", token: manager.token)
            server.expectConforms(all.json, to: "ReviewList")
            let byAgent = Dictionary(grouping: all.items) { ($0["agent"] as? [String: Any])?["id"] as? Int ?? 0 }
            #expect(byAgent[busy.id]?.count == 3 && byAgent[quiet.id]?.count == 2 && byAgent[idle.id] == nil)
            let busyPicked = Set((byAgent[busy.id] ?? []).compactMap { $0["ticket_number"] as? Int })
            let quietPicked = Set((byAgent[quiet.id] ?? []).compactMap { $0["ticket_number"] as? Int })
            #expect(busyPicked.isSubset(of: busyTickets) && busyPicked.count == 3)
            #expect(quietPicked == quietTickets)

            // Scoring: every active criterion 0–5; a missing one or a score of 9 is refused and writes nothing.
            let criteria = try await server.request(.GET, "/api/v1/reviews/criteria", token: busy.token)
            server.expectConforms(criteria.json, to: "CriterionList")
            let keys = criteria.items.compactMap { $0["key"] as? String }
            #expect(keys == ["tone", "expertise", "no_false_promises", "regulation_times"])
            let review = try #require(byAgent[busy.id]?.first?["id"] as? Int)
            let partial = try await server.request(.PUT, "/api/v1/reviews/\(review)/scores", token: manager.token,
                                                   json: ["scores": [["criterion": "tone", "score": 9]]])
            #expect(partial.status == .unprocessableEntity)
            #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM review_scores") == 0)
            let scores: [[String: Any]] = [["criterion": "tone", "score": 5], ["criterion": "expertise", "score": 4, "comment": "Верное решение"],
                                           ["criterion": "no_false_promises", "score": 5], ["criterion": "regulation_times", "score": 2]]
            let scored = try await server.request(.PUT, "/api/v1/reviews/\(review)/scores", token: manager.token, json: ["scores": scores, "comment": "Хорошо"])
            #expect(scored.status == .ok)
            server.expectConforms(scored.json, to: "Review")
            // (25·5 + 30·4 + 25·5 + 20·2) / (100·5) = 410 / 500 = 82 %.
            #expect(scored["total"] as? Double == 82.0 && scored["status"] as? String == "done")
            // The agent sees their own finished review, not another's; a customer sees none.
            #expect(try await server.request(.GET, "/api/v1/reviews/\(review)", token: busy.token).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/reviews/\(review)", token: quiet.token).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/reviews", token: quiet.token).items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/reviews", token: customer.token).status == .forbidden)
            let summary = try await server.request(.GET, "/api/v1/reviews/summary", token: manager.token)
            server.expectConforms(summary.json, to: "ReviewSummaryList")
            let total = summary.items.first { $0["criterion"] as? String == "total" }
            #expect(total?["average"] as? Double == 82.0 && (total?["agent"] as? [String: Any])?["id"] as? Int == busy.id)
            #expect(try await server.request(.GET, "/api/v1/reviews/summary?from=2026-12-01&to=2026-01-01", token: manager.token).status
                    == .unprocessableEntity)
            // The web: the review page shows the conversation and the form; a score through it is saved; the list shows the week.
            let web = WebClient(server)
            try await web.signIn("boss@zayavka.test", "password-boss@zayavka.test")
            let other = try #require(byAgent[quiet.id]?.first?["id"] as? Int)
            let page = try await web.get("/agent/reviews/\(other)")
            #expect(page.status == .ok && page.html.contains("review-form") && page.html.contains("timeline"))
            var fields = [("_csrf", page.csrf ?? ""), ("comment", "Разобрали на планёрке")]
            fields += keys.map { ("score.\($0)", "4") }
            let posted = try await web.post("/agent/reviews/\(other)/score", fields)
            #expect(posted.status == .seeOther || posted.status == .found)
            #expect(try await server.request(.GET, "/api/v1/reviews/\(other)", token: manager.token)["total"] as? Double == 80.0)
            let list = try await web.get("/agent/reviews")
            #expect(list.status == .ok && list.html.contains("review-scores") && list.html.contains("Вера"))
        }
    }

    // MARK: Settings

    @Test("quality settings are checked all at once: a wrong value changes nothing", arguments: TestDatabase.all)
    func settings(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let wrong = try await server.request(.PATCH, "/api/v1/quality/settings", token: admin,
                                                 json: ["survey_delay_minutes": 30, "survey_valid_days": 0, "resolution_required": ["incident": ["fixed", "why"]]])
            #expect(wrong.status == .unprocessableEntity)
            let current = try await server.request(.GET, "/api/v1/quality/settings", token: admin)
            #expect(current["survey_delay_minutes"] as? Int == 1440 && current["survey_valid_days"] as? Int == 14)
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            #expect(try await server.request(.GET, "/api/v1/quality/settings", token: agent.token).status == .forbidden)
            let saved = try await server.request(.PATCH, "/api/v1/quality/settings", token: admin, json: ["survey_enabled": false])
            #expect(saved["survey_enabled"] as? Bool == false && saved["survey_delay_minutes"] as? Int == 1440)
        }
    }
}
