import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// A real SMTP peer on a free port that keeps what it receives (our own listener, receiving).
final class CapturingReceiver: SMTPReceiver {
    let messages = NIOLockedValueBox<[ReceivedMail]>([])
    let refuse: Set<String>
    init(refuse: Set<String> = []) { self.refuse = refuse }
    func accepts(recipient: String) -> Bool { !refuse.contains(recipient) }
    func store(_ mail: ReceivedMail) async throws -> String {
        messages.withLockedValue { $0.append(mail) }
        return "T\(messages.withLockedValue { $0.count })"
    }
    var parsed: [MailMessage] { messages.withLockedValue { $0 }.compactMap { try? MIMEParser.parse($0.data) } }
}

private func mail(from: String = "Иван Петров <ivan@client.ru>", to: String = "support@zayavka.test", subject: String,
                  body: String, headers: [String] = []) -> Data {
    var lines = ["From: " + (from.contains("<") ? EncodedWords.encode(String(from.prefix(while: { $0 != "<" })).trimmingCharacters(in: .whitespaces)) + " <" + from.split(separator: "<")[1] : from),
                 "To: \(to)", "Subject: \(EncodedWords.encode(subject))", "Message-ID: <\(UUID().uuidString)@client.ru>",
                 "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    lines += headers
    return Data((lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n").utf8)
}

@Suite("Mail channel through the server", .serialized)
struct MailTests {
    static let environment = ["ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test", "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>",
                              "ZAYAVKA_MAIL_SUBJECT_TAG": "Support", "ZAYAVKA_MAIL_SENDER_LIMIT": "3"]

    func submit(_ server: TestServer, _ raw: Data) async throws -> TestServer.Reply {
        try await server.request(.POST, "/api/v1/mail/inbound", token: server.adminToken, body: raw, headers: [("Content-Type", "message/rfc822")])
    }

    func outbox(_ server: TestServer) async throws -> [[String: Any]] {
        try await server.request(.GET, "/api/v1/mail/outbox?limit=500", token: server.adminToken).items
    }

    @Test("a new sender becomes a customer with a ticket and gets one mail: the acknowledgement, threaded, RFC 3834-marked, saying when they hear back and holding the set-password link",
          arguments: TestDatabase.all)
    func newTicket(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            // Seed 000's regulation: an answer within two working hours.
            #expect(try await server.request(.POST, "/api/v1/sla-policies/templates/seed000", token: server.adminToken).status == .ok)
            let raw = mail(subject: "Касса не открывает смену", body: "Ошибка ФН при открытии смены.\n\n-- \nИван, ООО Ромашка")
            let reply = try await submit(server, raw)
            #expect(reply.status == .created)
            #expect(reply["status"] as? String == "processed")
            let number = try #require(reply["ticket_number"] as? Int)
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            #expect(ticket["subject"] as? String == "Касса не открывает смену")
            #expect(ticket["channel"] as? String == "email")
            #expect((ticket["requester"] as? [String: Any])?["name"] as? String == "Иван Петров")
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: server.adminToken).items
            #expect(comments.first?["body"] as? String == "Ошибка ФН при открытии смены.", "the signature is folded away")

            try await MailNotifier.run(app: server.app)
            let queued = try await outbox(server)
            let ack = try #require(queued.first { ($0["kind"] as? String) == "ticket_created" })
            #expect(ack["to"] as? String == "ivan@client.ru")
            #expect(ack["subject"] as? String == "[Support] Re: Касса не открывает смену [#\(number)]")
            #expect(queued.filter { ($0["to"] as? String) == "ivan@client.ru" }.count == 1, "one mail, not an acknowledgement and an account mail")
            #expect(!queued.contains { ($0["kind"] as? String) == "account_created" })
            let rows = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE kind = 'ticket_created'").all()
            let sent = try MIMEParser.parse(Array(try rows[0].decode(column: "raw", as: Data.self)))
            #expect(sent.headers["Auto-Submitted"] == "auto-replied")
            #expect(sent.inReplyTo.count == 1)
            #expect(sent.text.contains("/portal/requests/\(number)"))
            // When the customer hears back: the first-response clock's target and due time, in Moscow time.
            let clock = try await server.sql.raw("""
                SELECT c.due_at FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = \(bind: number) AND c.metric = 'first_response'
                """).first()
            let due = try #require(try clock?.decode(column: "due_at", as: Date?.self))
            #expect(sent.text.contains("ответит вам в течение 2 рабочих часов — до \(SLAMetricNames.moscowTime(due)) (мск)"), "\(sent.text)")
            // The link sets the password, and the account is the customer's from then on.
            let line = try #require(sent.text.split(separator: "\n").first { $0.contains("/password/set?token=") })
            let token = String(line[line.range(of: "token=")!.upperBound...]).trimmingCharacters(in: .whitespaces)
            #expect(try await server.request(.POST, "/api/v1/auth/password", json: ["token": token, "password": "ivan-pass-123"]).status == .noContent)
            #expect(try await server.token(email: "ivan@client.ru", password: "ivan-pass-123").hasPrefix("zy_"))
            // A customer with a password gets no link in the next acknowledgement.
            let second = try await submit(server, mail(subject: "Ещё вопрос", body: "Как выгрузить чеки?"))
            let secondNumber = try #require(second["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let again = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE kind = 'ticket_created' ORDER BY id DESC").first()
            let secondAck = try MIMEParser.parse(Array(try #require(again).decode(column: "raw", as: Data.self)))
            #expect(secondAck.subject.contains("#\(secondNumber)"))
            #expect(!secondAck.text.contains("/password/set"))
            // Running the notifier again sends nothing twice.
            let queuedNow = try await outbox(server).count
            try await MailNotifier.run(app: server.app)
            #expect(try await outbox(server).count == queuedNow)

            // A sender from an organization's email domain lands in that organization.
            let organization = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken,
                                                        json: ["name": "ООО Партнёр", "email_domains": ["partner.ru"]])
            let organizationID = try #require(organization["id"] as? Int)
            let fromPartner = try await submit(server, mail(from: "Пётр <petr@partner.ru>", subject: "Из партнёра", body: "Вопрос."))
            let partnerTicket = try await server.request(.GET, "/api/v1/tickets/\(try #require(fromPartner["ticket_number"] as? Int))", token: server.adminToken)
            #expect((partnerTicket["organization"] as? [String: Any])?["id"] as? Int == organizationID)
        }
    }

    @Test("replies thread by In-Reply-To, by [#number] and by +tag; a reply to a solved ticket reopens it", arguments: TestDatabase.all)
    func threading(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let first = try await submit(server, mail(subject: "Не печатает принтер", body: "Принтер молчит."))
            let number = try #require(first["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let ackID = try #require(try await outbox(server).first { ($0["kind"] as? String) == "ticket_created" }?["message_id"] as? String)

            let byHeader = try await submit(server, mail(subject: "Re: что-то другое", body: "Уточняю модель: Штрих-М.",
                                                         headers: ["In-Reply-To: <\(ackID)>"]))
            #expect(byHeader["ticket_number"] as? Int == number)
            let bySubject = try await submit(server, mail(subject: "Re: [Support] Не печатает [#\(number)]", body: "Фото приложу позже."))
            #expect(bySubject["ticket_number"] as? Int == number)
            let byTag = try await submit(server, mail(to: "support+\(number)@zayavka.test", subject: "ещё", body: "Через плюс-адрес."))
            #expect(byTag["ticket_number"] as? Int == number)
            // Someone else's [#number] does not get into this ticket.
            let stranger = try await submit(server, mail(from: "Чужой <other@else.ru>", subject: "Re: [#\(number)]", body: "Я не отсюда."))
            #expect(stranger["ticket_number"] as? Int != number)

            let patched = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "solved"])
            #expect(patched.status == .ok)
            _ = try await submit(server, mail(subject: "Re: [#\(number)]", body: "Снова не печатает."))
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            #expect(ticket["status"] as? String == "open")
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: server.adminToken).items
            #expect(comments.count == 5)
            #expect(comments.allSatisfy { ($0["source"] as? String) == "email" && ($0["public"] as? Bool) == true })
        }
    }

    @Test("an acknowledgement template an admin wrote without {{account}} still carries a new customer's set-password link",
          arguments: TestDatabase.all)
    func customTemplateKeepsAccountLink(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let saved = try await server.request(.PUT, "/api/v1/mail/templates/ticket_created/ru", token: server.adminToken,
                                                 json: ["subject": "Заявка {{number}}", "body": "Здравствуйте, {{name}}! Заявка {{number}} принята. {{reply_by}}"])
            #expect(saved.status == .ok, "\(saved.text)")
            let reply = try await submit(server, mail(subject: "Не работает касса", body: "Касса не включается."))
            let number = try #require(reply["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let row = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE kind = 'ticket_created'").first()
            let ack = try MIMEParser.parse(Array(try #require(row).decode(column: "raw", as: Data.self)))
            #expect(ack.subject == "Заявка \(number)")
            #expect(ack.text.contains("Заявка \(number) принята. Специалист поддержки рассмотрит его и ответит вам по электронной почте."),
                    "no SLA policy: the promise without a time\n\(ack.text)")
            #expect(ack.text.contains("/password/set?token="), "\(ack.text)")
        }
    }

    @Test("an event that commits after a later one is still mailed about, once (PostgreSQL: ids commit out of order)",
          arguments: TestDatabase.all.filter { if case .postgres = $0 { true } else { false } })
    func lateCommittedEvent(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let first = try await submit(server, mail(subject: "Первая заявка", body: "Текст."))
            let firstNumber = try #require(first["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            @Sendable func acks(_ number: Int) async throws -> Int {
                try await outbox(server).filter { ($0["ticket_number"] as? Int) == number && ($0["kind"] as? String) == "ticket_created" }.count
            }
            #expect(try await acks(firstNumber) == 1)
            // A transaction takes an event id (a copy of the first ticket's creation) and stays open
            // while another ticket is created, committed and mailed about: its event id is higher.
            let secondNumber = try await server.app.db.transaction { db in
                try await (db as! any SQLDatabase).raw("""
                    INSERT INTO ticket_events (ticket_id, actor_id, kind, field, "before", "after", reason, comment_id, is_public, created_at)
                    SELECT e.ticket_id, e.actor_id, e.kind, e.field, e."before", e."after", e.reason, e.comment_id, e.is_public, e.created_at
                    FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = \(bind: firstNumber) ORDER BY e.id LIMIT 1
                    """).run()
                let second = try await submit(server, mail(from: "Ольга <olga@client.ru>", subject: "Вторая заявка", body: "Текст."))
                let secondNumber = try #require(second["ticket_number"] as? Int)
                try await MailNotifier.run(app: server.app)
                #expect(try await acks(secondNumber) == 1)
                #expect(try await acks(firstNumber) == 1, "the open transaction's event is not visible yet")
                return secondNumber
            }
            // Committed now, with an id below one already mailed about: it is mailed about all the same.
            try await MailNotifier.run(app: server.app)
            #expect(try await acks(firstNumber) == 2, "the late event was skipped")
            try await MailNotifier.run(app: server.app)
            #expect(try await acks(firstNumber) == 2, "nothing twice")
            #expect(try await acks(secondNumber) == 1, "nothing twice")
        }
    }

    @Test("POST /mail/inbound answers with the outcome even when the background worker claimed the message first", arguments: TestDatabase.all)
    func submitWaitsForAnotherWorker(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let reply = try await submit(server, mail(subject: "Уже обработано", body: "Текст."))
            let id = try #require(reply["id"] as? Int)
            #expect(reply["status"] as? String == "processed")
            // As if another worker held it: `processing` until that worker finishes, 300 ms later.
            try await server.sql.raw("UPDATE mail_inbound SET status = 'processing' WHERE id = \(bind: id)").run()
            let context = try await server.context()
            let started = ContinuousClock.now
            async let settled = MailService.settledItem(id: id, context: context)
            try await Task.sleep(for: .milliseconds(300))
            try await server.sql.raw("UPDATE mail_inbound SET status = 'processed' WHERE id = \(bind: id)").run()
            let item = try await settled
            #expect(item.status == "processed")
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            // A From: that is no mailbox is quarantined with its reason, never left `processing`.
            let invalid = try await submit(server, mail(from: "x@y", subject: "Плохой адрес", body: "Текст."))
            #expect(invalid["status"] as? String == "quarantined", "\(invalid.text)")
            #expect((invalid["reason"] as? String ?? "").contains("not a valid mailbox"), "\(invalid.text)")
            // A message nobody finishes is answered as it stands once the wait is over.
            try await server.sql.raw("UPDATE mail_inbound SET status = 'processing' WHERE id = \(bind: id)").run()
            #expect(try await MailService.settledItem(id: id, timeout: .milliseconds(100), context: context).status == "processing")
        }
    }

    @Test("automatic mail gets no answer; a bounce is a note; duplicates, garbage and floods are kept but not filed twice",
          arguments: TestDatabase.all)
    func protection(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let auto = try await submit(server, mail(from: "Отпуск <boss@client.ru>", subject: "Я в отпуске", body: "Вернусь 10-го.",
                                                     headers: ["Auto-Submitted: auto-replied"]))
            #expect(auto["automatic"] as? Bool == true)
            try await MailNotifier.run(app: server.app)
            #expect(try await outbox(server).filter { ($0["to"] as? String) == "boss@client.ru" }.isEmpty, "no acknowledgement, no account mail")

            let normal = try await submit(server, mail(subject: "Обычное письмо", body: "Текст."))
            let number = try #require(normal["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let ackID = try #require(try await outbox(server).first { ($0["ticket_number"] as? Int) == number && ($0["kind"] as? String) == "ticket_created" }?["message_id"] as? String)
            let bounce = """
                From: MAILER-DAEMON@mx.client.ru\r\nTo: support@zayavka.test\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r
                Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r
                Mailbox full.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; ivan@client.ru\r
                Status: 5.2.2\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <\(ackID)>\r\nSubject: x\r\n--b--\r\n
                """
            let tickets = try await server.request(.GET, "/api/v1/tickets?limit=100", token: server.adminToken).items.count
            let bounced = try await submit(server, Data(bounce.utf8))
            #expect(bounced["ticket_number"] as? Int == number)
            #expect(try await server.request(.GET, "/api/v1/tickets?limit=100", token: server.adminToken).items.count == tickets)
            let notes = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: server.adminToken).items
            #expect(notes.contains { ($0["public"] as? Bool) == false && ($0["body"] as? String ?? "").contains("5.2.2") })

            let raw = mail(subject: "Дважды", body: "Одно и то же.")
            let once = try await submit(server, raw)
            let twice = try await submit(server, raw)
            #expect(once["status"] as? String == "processed")
            #expect(twice["status"] as? String == "duplicate")

            let garbage = try await submit(server, Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 3]))
            #expect(garbage["status"] as? String == "quarantined")
            #expect((garbage["reason"] as? String ?? "").contains("header"))

            // ZAYAVKA_MAIL_SENDER_LIMIT=3: the fourth new ticket in an hour waits in quarantine.
            var statuses: [String] = []
            for index in 1...4 {
                statuses.append(try await submit(server, mail(from: "Флуд <flood@spam.ru>", subject: "Флуд \(index)", body: "x"))["status"] as? String ?? "")
            }
            #expect(statuses == ["processed", "processed", "processed", "quarantined"])
            let quarantine = try await server.request(.GET, "/api/v1/mail/inbound?status=quarantined", token: server.adminToken).items
            #expect(quarantine.contains { ($0["reason"] as? String ?? "").contains("rate limit") })
        }
    }

    @Test("agents' replies, assignments and customers' replies are mailed to the right people, in their language; templates are editable",
          arguments: TestDatabase.all)
    func notifications(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let agent = try await server.makeUser("agent@zayavka.test", name: "Агент Смит", role: .agent, locale: .en)
            let saved = try await server.request(.PUT, "/api/v1/mail/templates/public_reply/ru", token: server.adminToken,
                                                 json: ["subject": "Ответ по заявке {{number}}: {{subject}}", "body": "{{body}}\n\nВаш {{actor}}"])
            #expect(saved.status == .ok)
            #expect(saved["customized"] as? Bool == true)
            let created = try await submit(server, mail(subject: "Вопрос", body: "Как выгрузить отчёт?"))
            let number = try #require(created["ticket_number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["assignee_id": agent.id])
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token,
                                         json: ["body": "Меню Отчёты → Выгрузка.", "public": true])
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token,
                                         json: ["body": "Секрет для своих", "public": false])
            _ = try await submit(server, mail(subject: "Re: [#\(number)]", body: "Спасибо, получилось!"))
            try await MailNotifier.run(app: server.app)
            let items = try await outbox(server)
            let kinds = Dictionary(grouping: items, by: { $0["kind"] as? String ?? "" })
            #expect(kinds["agent_assigned"]?.first?["to"] as? String == "agent@zayavka.test")
            #expect((kinds["agent_assigned"]?.first?["subject"] as? String ?? "").hasPrefix("[Support] Assigned to you"), "in the agent's English")
            #expect(kinds["public_reply"]?.first?["subject"] as? String == "Ответ по заявке \(number): Вопрос")
            #expect(kinds["agent_customer_reply"]?.first?["to"] as? String == "agent@zayavka.test")
            #expect(kinds["assignee_changed"]?.first?["to"] as? String == "ivan@client.ru")
            let raws = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE to_address = 'ivan@client.ru'").all()
            for row in raws {
                #expect(!String(decoding: try row.decode(column: "raw", as: Data.self), as: UTF8.self).contains("Секрет"), "an internal note never leaves")
            }
            let reset = try await server.request(.DELETE, "/api/v1/mail/templates/public_reply/ru", token: server.adminToken)
            #expect(reset["customized"] as? Bool == false)
            #expect((reset["subject"] as? String ?? "").contains("[#{{number}}]"))
        }
    }

    @Test("SLA warnings go to the assignee; a breach also goes up to the dispatchers and managers", arguments: TestDatabase.all)
    func slaEscalation(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            _ = try await server.request(.POST, "/api/v1/sla-policies/templates/seed002", token: server.adminToken)
            let agent = try await server.makeUser("agent@zayavka.test", name: "Агент", role: .agent)
            _ = try await server.makeUser("dispatcher@zayavka.test", name: "Диспетчер", role: .dispatcher, locale: .en)
            let assigned = try #require(try await submit(server, mail(subject: "Срочно", body: "Не работает."))["ticket_number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(assigned)", token: server.adminToken, json: ["assignee_id": agent.id])
            let unassigned = try #require(try await submit(server, mail(from: "Ольга <olga@client.ru>", subject: "Тоже срочно", body: "Помогите."))["ticket_number"] as? Int)
            try await MailNotifier.run(app: server.app)
            let before = try await outbox(server).count
            // A month on, every running clock is past its warning and its due time.
            let fired = try await SLATimerJob.run(context: .system(server.app, at: Date().addingTimeInterval(30 * 86_400)))
            #expect(fired.breaches >= 2)
            try await MailNotifier.run(app: server.app)
            let items = Array(try await outbox(server).prefix(try await outbox(server).count - before))
            var sent: [String] = []
            for item in items {
                sent.append("\(item["kind"] as? String ?? "") \(item["ticket_number"] as? Int ?? 0) \(item["to"] as? String ?? "")")
            }
            #expect(sent.contains("sla_warning \(assigned) agent@zayavka.test"), "\(sent)")
            #expect(sent.contains("sla_breached \(assigned) agent@zayavka.test"), "\(sent)")
            #expect(sent.contains("sla_breached \(assigned) dispatcher@zayavka.test"), "\(sent)")
            #expect(sent.contains("sla_warning \(unassigned) dispatcher@zayavka.test"), "\(sent)")
            #expect(!sent.contains { $0.contains("client.ru") }, "customers hear nothing of SLA: \(sent)")
            let row = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE kind = 'sla_breached' AND to_address = 'dispatcher@zayavka.test' ORDER BY id LIMIT 1").first()
            let text = try MIMEParser.parse(Array(try #require(row).decode(column: "raw", as: Data.self))).text
            #expect(text.contains("missed its deadline: first response"), "in the dispatcher's English: \(text)")
        }
    }

    @Test("the outbox delivers over real SMTP: sent, failed at once on 5xx, retried on connection errors")
    func delivery() async throws {
        let sink = CapturingReceiver(refuse: ["gone@client.ru"])
        let group = MultiThreadedEventLoopGroup.singleton
        let relay = try await SMTPServer.start(.init(host: "127.0.0.1", port: 0, hostname: "relay.test"), receiver: sink, group: group,
                                               logger: Logger(label: "relay"))
        defer { Task { await relay.stop() } }
        var environment = Self.environment
        environment["ZAYAVKA_MAIL_RELAY_URL"] = "smtp+plain://127.0.0.1:\(relay.port)"
        try await TestServer.with(.sqlite, environment: environment) { server in
            _ = try await submit(server, mail(subject: "Доставка", body: "Проверка доставки."))
            _ = try await submit(server, mail(from: "Ушёл <gone@client.ru>", subject: "Пропал", body: "Адрес удалён."))
            try await MailNotifier.run(app: server.app)
            try await MailDelivery.run(app: server.app)
            let items = try await outbox(server)
            #expect(items.filter { ($0["to"] as? String) == "ivan@client.ru" }.allSatisfy { ($0["status"] as? String) == "sent" })
            var failed: [[String: Any]] = []
            // A plain loop: `filter` with a closure here picked the wrong rows under Swift 6.3 debug builds.
            for item in items {
                let to = item["to"] as? String ?? ""
                if to == "gone@client.ru" { failed.append(item) }
            }
            var allFailed = !failed.isEmpty
            for item in failed {
                let status = item["status"] as? String ?? ""
                let error = item["last_error"] as? String ?? ""
                if status != "failed" || !error.contains("550") { allFailed = false }
            }
            #expect(allFailed, "\(failed)")
            let received = sink.parsed
            #expect(received.contains { $0.subject.hasPrefix("[Support] Re: Доставка [#") && $0.to.first?.address == "ivan@client.ru" })
        }
        // A relay that is not there: the message waits for a retry with the reason.
        environment["ZAYAVKA_MAIL_RELAY_URL"] = "smtp+plain://127.0.0.1:1"
        try await TestServer.with(.sqlite, environment: environment) { server in
            _ = try await submit(server, mail(subject: "Нет связи", body: "Сервер почты недоступен."))
            try await MailNotifier.run(app: server.app)
            try await MailDelivery.run(app: server.app)
            let items = try await outbox(server)
            let waiting = items.allSatisfy { item in (item["status"] as? String) == "queued" && (item["attempts"] as? Int) == 1 && item["last_error"] is String }
            #expect(!items.isEmpty && waiting, "\(items)")
        }
    }

    @Test("the built-in SMTP listener stores before it answers 250 and refuses unknown recipients")
    func listener() async throws {
        try await TestServer.with(.sqlite, environment: Self.environment) { server in
            let receiver = InboundReceiver(services: server.app.services, database: { [app = server.app] in app.db })
            let listener = try await SMTPServer.start(.init(host: "127.0.0.1", port: 0), receiver: receiver, group: MultiThreadedEventLoopGroup.singleton,
                                                      logger: Logger(label: "smtp"))
            let relay = SMTPRelay(host: "127.0.0.1", port: listener.port, security: .none)
            let message = Array(mail(subject: "По SMTP", body: "Через настоящий сокет."))
            let results = await SMTPClient.deliver([Envelope(sender: "ivan@client.ru", recipients: ["support@zayavka.test"], data: message),
                                                    Envelope(sender: "ivan@client.ru", recipients: ["nobody@zayavka.test"], data: message)],
                                                   via: relay, group: MultiThreadedEventLoopGroup.singleton)
            await listener.stop()
            guard case .success(let accepted) = results[0] else { Issue.record("refused: \(results[0])"); return }
            #expect(accepted.code == 250)
            guard case .failure(let refused) = results[1] else { Issue.record("accepted an unknown recipient"); return }
            #expect(refused.reply?.code == 550)
            let stored = try await server.sql.raw("SELECT status FROM mail_inbound").all()
            #expect(stored.count == 1, "stored before the 250")
            try await MailIntake.runBatch(app: server.app)
            #expect(try await server.sql.raw("SELECT status FROM mail_inbound").first()?.decode(column: "status", as: String.self) == "processed")
        }
    }

    @Test("forgotten password: the form mails a link (and says the same for unknown addresses); the link sets the password once",
          arguments: TestDatabase.all)
    func forgottenPassword(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            _ = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let web = WebClient(server)
            let form = try await web.get("/password/forgot")
            #expect(form.status == .ok)
            #expect(form.html.contains("Восстановление пароля"))
            let sent = try await web.post("/password/forgot", [("_csrf", form.csrf ?? ""), ("email", "olga@client.ru")])
            #expect(sent.status == .seeOther || sent.status == .found)
            let unknown = try await web.post("/password/forgot", [("_csrf", form.csrf ?? ""), ("email", "nobody@client.ru")])
            #expect(unknown.location == sent.location, "no hint which addresses exist")
            let rows = try await server.sql.raw("SELECT raw, to_address FROM mail_outbox WHERE kind = 'password_reset'").all()
            #expect(rows.count == 1)
            let text = try MIMEParser.parse(Array(try rows[0].decode(column: "raw", as: Data.self))).text
            let link = try #require(text.split(separator: "\n").first { $0.contains("/password/set?token=") })
            let path = String(link[link.range(of: "/password/set")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
            let page = try await web.get(path)
            #expect(page.status == .ok)
            let token = String(path.split(separator: "=")[1])
            let mismatch = try await web.post("/password/set", [("_csrf", page.csrf ?? ""), ("token", token), ("password", "new-pass-123"), ("password2", "other-pass")])
            #expect(mismatch.status == .unprocessableEntity)
            #expect(mismatch.html.contains("Пароли не совпадают"))
            let done = try await web.post("/password/set", [("_csrf", page.csrf ?? ""), ("token", token), ("password", "new-pass-123"), ("password2", "new-pass-123")])
            #expect(done.location?.hasPrefix("/sign-in") == true)
            #expect(try await server.token(email: "olga@client.ru", password: "new-pass-123").hasPrefix("zy_"))
            let again = try await web.get(path)
            #expect(again.status == .notFound)
            #expect(again.html.contains("Ссылка не действует"))
        }
    }

    @Test("admins see quarantine with its reason, the outbox and the templates; others may not", arguments: TestDatabase.all)
    func adminPages(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            _ = try await submit(server, Data("no headers at all, just text".utf8))
            let admin = WebClient(server)
            try await admin.signIn(TestServer.adminEmail, TestServer.adminPassword)
            let page = try await admin.get("/admin/mail")
            #expect(page.status == .ok)
            #expect(page.html.contains("карантин"))
            #expect(page.html.contains("no header section"))
            #expect(page.html.contains("id=\"no-relay\""))
            let html = "From: a@client.ru\r\nSubject: HTML\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                + "<p onclick=\"x()\">Привет, <b>жирный</b></p><script>alert(1)</script><img src=\"https://tracker.example/p.gif\">"
            let stored = try await submit(server, Data(html.utf8))
            let shown = try await admin.get("/admin/mail/inbound/\(try #require(stored["id"] as? Int))")
            #expect(shown.status == .ok)
            let start = try #require(shown.html.range(of: "class=\"mail-html\""))
            let shownMail = String(shown.html[start.upperBound...].prefix(400))
            #expect(shownMail.contains("<b>жирный</b>"))
            for bad in ["<script", "alert(", "onclick", "tracker.example"] { #expect(!shownMail.contains(bad), "\(bad) in \(shownMail)") }
            admin.acceptLanguage = "en"
            let templates = try await admin.get("/admin/mail/templates")
            #expect(templates.html.contains("template-ticket_created-ru"))
            let agent = try await server.makeUser("a2@zayavka.test", role: .agent)
            _ = agent
            let other = WebClient(server)
            try await other.signIn("a2@zayavka.test", "password-a2@zayavka.test")
            #expect(try await other.get("/admin/mail").status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/mail/stats", token: agent.token).status == .forbidden)
        }
    }
}
