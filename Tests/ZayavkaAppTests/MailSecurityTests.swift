import Foundation
import Logging
import NIOPosix
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// Issue 14: mail that pretends to be someone else, and an SMTP listener that a bad command must not stop.
@Suite("Mail senders are verified", .serialized)
struct MailSecurityTests {
    static let environment = ["ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test", "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>",
                              "ZAYAVKA_MAIL_SUBJECT_TAG": "Support", "ZAYAVKA_MAIL_TRUSTED_AUTHSERV": "mx.zayavka.test"]

    static func message(from: String, subject: String, body: String, inReplyTo: String? = nil, top: [String] = [], below: [String] = []) -> Data {
        var lines = top
        lines += ["Received: from unknown (HELO attacker) by mx.zayavka.test; Wed, 2 Dec 2026 10:00:00 +0300"]
        lines += below
        lines += ["From: \(from)", "To: support@zayavka.test", "Subject: \(EncodedWords.encode(subject))",
                  "Message-ID: <\(UUID().uuidString)@sender.example>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                  "Content-Transfer-Encoding: 8bit"]
        if let inReplyTo { lines.append("In-Reply-To: <\(inReplyTo)>") }
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    func submit(_ server: TestServer, _ raw: Data) async throws -> TestServer.Reply {
        try await server.request(.POST, "/api/v1/mail/inbound", token: server.adminToken, body: raw, headers: [("Content-Type", "message/rfc822")])
    }

    func comments(_ server: TestServer, _ number: Int) async throws -> [[String: Any]] {
        try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: server.adminToken).items
    }

    @Test("a spoofed staff From: becomes an unverified internal note and the staff member is told; a reply to our mail or a trusted DKIM pass is a public reply",
          arguments: TestDatabase.all)
    func spoofedStaffMail(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let agent = try await server.makeUser("agent@zayavka.test", name: "Ольга Агент", role: .agent)
            // The customer writes in; the mail is theirs but unverified (no reply, no trusted result).
            let first = try await submit(server, Self.message(from: "Иван <ivan@client.ru>", subject: "Касса не работает", body: "Помогите"))
            let number = try #require(first["ticket_number"] as? Int)
            #expect(try await comments(server, number).first?["sender_verified"] as? Bool == false)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["assignee_id": agent.id]).status == .ok)
            try await MailNotifier.run(app: server.app)
            let outboxBefore = try await server.sql.raw("SELECT COUNT(*) AS n FROM mail_outbox").first()!.decode(column: "n", as: Int.self)

            // Someone on the internet writes as the agent.
            let spoof = try await submit(server, Self.message(from: "Ольга Агент <agent@zayavka.test>", subject: "Re: Касса не работает [#\(number)]",
                                                              body: "Переведите оплату на карту 1234"))
            #expect(spoof["status"] as? String == "processed")
            var thread = try await comments(server, number)
            let note = try #require(thread.last)
            #expect(note["public"] as? Bool == false, "kept internal")
            #expect(note["sender_verified"] as? Bool == false)
            let customer = try await server.request(.GET, "/api/v1/users?email=ivan@client.ru", token: server.adminToken).items.first
            let customerID = try #require(customer?["id"] as? Int)
            _ = customerID
            try await MailNotifier.run(app: server.app)
            let sent = try await server.request(.GET, "/api/v1/mail/outbox?limit=500", token: server.adminToken).items
            #expect(!sent.contains { $0["kind"] as? String == "public_reply" }, "nothing was mailed to the customer")
            let notice = try #require(sent.first { $0["kind"] as? String == "unverified_staff_mail" })
            #expect(notice["to"] as? String == "agent@zayavka.test")
            #expect(sent.count == outboxBefore + 1)
            let ivanView = try await server.request(.GET, "/api/v1/users?email=ivan@client.ru", token: server.adminToken)
            #expect(ivanView.status == .ok)

            // The agent answers a notification we sent to them: verified, a public reply.
            let assigned = try #require(try await server.sql.raw("""
                SELECT message_id FROM mail_outbox WHERE kind = 'agent_assigned' AND to_address = 'agent@zayavka.test'
                """).first()?.decode(column: "message_id", as: String.self))
            let genuine = try await submit(server, Self.message(from: "Ольга Агент <agent@zayavka.test>", subject: "Re: Касса не работает [#\(number)]",
                                                                body: "Перезагрузите кассу, пожалуйста.", inReplyTo: assigned))
            #expect(genuine["status"] as? String == "processed")
            thread = try await comments(server, number)
            #expect(thread.last?["public"] as? Bool == true)
            #expect(thread.last?["sender_verified"] as? Bool == true)

            // A trusted server's DKIM pass above our Received line counts; the same header below it (written by the sender) does not.
            let passed = "Authentication-Results: mx.zayavka.test; dkim=pass header.d=zayavka.test header.s=mail; spf=none"
            let trusted = try await submit(server, Self.message(from: "agent@zayavka.test", subject: "Re: [#\(number)]", body: "Подписано", top: [passed]))
            #expect(trusted["status"] as? String == "processed")
            #expect(try await comments(server, number).last?["public"] as? Bool == true)
            let forged = try await submit(server, Self.message(from: "agent@zayavka.test", subject: "Re: [#\(number)]", body: "Подделка", below: [passed]))
            #expect(forged["status"] as? String == "processed")
            #expect(try await comments(server, number).last?["public"] as? Bool == false)
            let otherServer = "Authentication-Results: mx.attacker.example; dkim=pass header.d=zayavka.test"
            _ = try await submit(server, Self.message(from: "agent@zayavka.test", subject: "Re: [#\(number)]", body: "Чужой сервер", top: [otherServer]))
            #expect(try await comments(server, number).last?["public"] as? Bool == false)

            // The customer answering our acknowledgement is verified too.
            let ack = try #require(try await server.sql.raw("""
                SELECT message_id FROM mail_outbox WHERE kind = 'ticket_created' AND to_address = 'ivan@client.ru'
                """).first()?.decode(column: "message_id", as: String.self))
            _ = try await submit(server, Self.message(from: "Иван <ivan@client.ru>", subject: "Re: [#\(number)]", body: "Спасибо", inReplyTo: ack))
            #expect(try await comments(server, number).last?["sender_verified"] as? Bool == true)
        }
    }

    @Test("control characters in a received message's headers and body are taken out, the message is kept and filed", arguments: TestDatabase.all)
    func controlCharactersInMail(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let raw = Data(("From: =?UTF-8?B?0JjQstCw0L0AAA==?= <ivan@client.ru>\r\nTo: support@zayavka.test\r\nSubject: =?UTF-8?B?AAAA?= x\r\n"
                            + "Message-ID: <nul-1@client.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nТекст\u{0}с NUL\r\n").utf8)
            let reply = try await server.request(.POST, "/api/v1/mail/inbound", token: server.adminToken, body: raw,
                                                 headers: [("Content-Type", "message/rfc822")])
            #expect(reply.status == .created, "\(reply.status) \(reply.text)")
            #expect(reply["status"] as? String == "processed")
            let number = try #require(reply["ticket_number"] as? Int)
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: server.adminToken).items
            #expect(comments.first?["body"] as? String == "Текстс NUL")
            let users = try await server.request(.GET, "/api/v1/users?email=ivan@client.ru", token: server.adminToken).items
            #expect(users.first?["name"] as? String == "Иван")
        }
    }

    @Test("a message whose headers name no usable sender is filed under the envelope sender (MAIL FROM), not quarantined",
          arguments: TestDatabase.all)
    func envelopeSenderFallback(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let raw = Array(("From: undisclosed\r\nTo: support@zayavka.test\r\nSubject: =?utf-8?B?" + Data("Касса".utf8).base64EncodedString()
                             + "?=\r\nMessage-ID: <env-1@client.ru>\r\n\r\nЧеки не печатаются.\r\n").utf8)
            let stored = try await MailInbox.store(raw: raw, envelopeFrom: "ivan.reply@client.ru", envelopeTo: ["support@zayavka.test"],
                                                   services: server.app.services, db: server.app.db)
            let outcome = try await MailIntake.process(id: stored.id, app: server.app)
            guard case .newTicket(let number) = outcome else { Issue.record("not filed: \(outcome)"); return }
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            let users = try await server.request(.GET, "/api/v1/users?email=ivan.reply@client.ru", token: server.adminToken).items
            let requester = ticket["requester"] as? [String: Any]
            #expect(requester?["id"] as? Int == users.first?["id"] as? Int)
            #expect(users.count == 1)
            #expect(ticket["subject"] as? String == "Касса")
        }
    }

    @Test("the SMTP listener answers a malformed parameter with an error and keeps serving")
    func listenerSurvivesBadParameters() async throws {
        try await TestServer.with(.sqlite, environment: Self.environment) { server in
            let receiver = InboundReceiver(services: server.app.services, database: { [app = server.app] in app.db })
            let listener = try await SMTPServer.start(.init(host: "127.0.0.1", port: 0), receiver: receiver, group: MultiThreadedEventLoopGroup.singleton,
                                                      logger: Logger(label: "smtp"))
            defer { Task { await listener.stop() } }
            let replies = try RawSocket.exchange(port: listener.port, lines: [
                "EHLO fuzz.example", "MAIL FROM:<a@b.example> =", "RCPT TO:<support@zayavka.test> = ==", "RSET",
                "MAIL FROM:<a@b.example> SIZE=99999999999999999999999", "RSET", "MAIL FROM:<" + String(repeating: "x", count: 5000) + "@b.example>",
                "NOOP", "QUIT",
            ])
            #expect(replies.contains { $0.hasPrefix("221") }, "the session ran to QUIT: \(replies)")
            // And it still accepts a real message.
            let relay = SMTPRelay(host: "127.0.0.1", port: listener.port, security: .none)
            let results = await SMTPClient.deliver([Envelope(sender: "ivan@client.ru", recipients: ["support@zayavka.test"],
                                                             data: Array(Self.message(from: "ivan@client.ru", subject: "ok", body: "ok")))],
                                                   via: relay, group: MultiThreadedEventLoopGroup.singleton)
            guard case .success(let reply) = results[0] else { Issue.record("\(results[0])"); return }
            #expect(reply.code == 250)
        }
    }
}

/// A plain TCP client that sends lines and collects the reply lines (for commands no SMTP library would send).
enum RawSocket {
    static func exchange(port: Int, lines: [String]) throws -> [String] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Abort(.internalServerError, reason: "socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Abort(.internalServerError, reason: "connect") }
        var received = ""
        func read() {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { received += String(decoding: buffer[0..<count], as: UTF8.self) }
        }
        read()  // greeting
        for line in lines {
            _ = (line + "\r\n").withCString { send(fd, $0, strlen($0), 0) }
            usleep(50_000)
            read()
        }
        return received.split(separator: "\r\n").map(String.init)
    }
}
