import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import Logging
import NIOPosix
import ZayavkaMail

/// A throwaway Dovecot (Debian's `dovecot-imapd`) started by `scripts/dovecot-sandbox` with its
/// own configuration and TLS certificate.
struct Dovecot {
    static let user = "support@example.test"
    static let password = "secret"
    let dir: String
    let imapPort: Int
    let imapsPort: Int
    let caPEM: String

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/dovecot-sandbox").path
    }

    @discardableResult
    static func run(_ arguments: [String], input: Data? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Abort(.internalServerError, reason: "dovecot-sandbox \(arguments.first ?? ""): " + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func with(capabilities: String? = nil, _ body: (Dovecot) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dovecot-\(UUID().uuidString.prefix(8))").path
        let json = try run(["start", dir, "--user", user, "--password", password] + (capabilities.map { ["--capabilities", $0] } ?? []))
        let info = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let dovecot = Dovecot(dir: dir, imapPort: try #require(info["imap_port"] as? Int), imapsPort: try #require(info["imaps_port"] as? Int),
                              caPEM: try String(contentsOfFile: try #require(info["ca"] as? String), encoding: .utf8))
        do {
            try await body(dovecot)
        } catch {
            _ = try? run(["stop", dir, "--remove"])
            throw error
        }
        _ = try? run(["stop", dir, "--remove"])
    }

    func deliver(_ message: String, folder: String = "INBOX") throws {
        try Self.run(["deliver", dir, Self.user, "--folder", folder, "-"], input: Data(message.utf8))
    }

    func generate(_ count: Int, first: Int = 1) throws {
        try Self.run(["deliver", dir, Self.user, "--generate", String(count), "--first", String(first)])
    }

    func count(_ folder: String = "INBOX", seen: Bool = false) throws -> Int {
        Int(try Self.run(["count", dir, Self.user, "--folder", folder] + (seen ? ["--seen"] : []))) ?? -1
    }

    func resetUIDValidity() throws { try Self.run(["reset-uidvalidity", dir, Self.user]) }

    /// The settings of a mailbox on this server over implicit TLS, trusting its CA.
    func mailbox(_ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["address": "help@firm.test", "sender_name": "Служба поддержки", "imap_host": "127.0.0.1", "imap_port": imapsPort,
                                   "imap_security": "tls", "imap_user": Self.user, "imap_password": Self.password, "imap_ca_pem": caPEM]
        body.merge(extra) { _, new in new }
        return body
    }
}

func message(id: String, from: String = "client@customer.test", subject: String, body: String, inReplyTo: String? = nil) -> String {
    var text = "From: Клиент <\(from)>\r\nTo: help@firm.test\r\nSubject: \(subject)\r\nMessage-ID: <\(id)>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0300\r\n"
    if let inReplyTo { text += "In-Reply-To: <\(inReplyTo)>\r\nReferences: <\(inReplyTo)>\r\n" }
    return text + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\(body)\r\n"
}

@Suite("IMAP: hosted mailboxes fetched into tickets (real Dovecot)", .serialized)
struct IMAPTests {
    static let environment = ["ZAYAVKA_SECRET_KEY": "test-key-test-key-test-key-test-key-0123", "ZAYAVKA_IMAP_IDLE_SECONDS": "5"]

    /// Waits (up to `seconds`) until `condition` holds, running mail intake meanwhile.
    static func eventually(_ server: TestServer, seconds: Double = 30, intake: Bool = true, _ condition: () async throws -> Bool) async throws -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if intake { try await MailIntake.runBatch(app: server.app) }
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func count(_ server: TestServer, _ query: String) async throws -> Int {
        try await server.sql.raw(SQLQueryString(stringLiteral: query)).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test("messages in a mailbox become tickets in its group through IDLE; a reply threads; they move to Archive; replies go out from the address with its name and signature",
          arguments: TestDatabase.all)
    func fetchesIntoTickets(database: TestDatabase) async throws {
        try await Dovecot.with { dovecot in
            try await TestServer.with(database, environment: Self.environment) { server in
                let admin = server.adminToken
                let group = try #require(try await server.request(.POST, "/api/v1/groups", token: admin, json: ["name": "Бухгалтерия"]).object["id"] as? Int)
                let created = try await server.request(.POST, "/api/v1/mailboxes", token: admin, json: dovecot.mailbox([
                    "group_id": group, "after_import": "move", "move_folder": "Archive", "signature": "С уважением,\nслужба поддержки",
                ]))
                #expect(created.status == .created, "\(created.text)")
                let id = try #require(created.object["id"] as? Int)
                #expect(created.object["has_imap_password"] as? Bool == true)
                #expect(!created.text.contains(Dovecot.password))
                // Stored encrypted, never in the clear.
                let stored = try #require(try await server.sql.raw("SELECT imap_password FROM mailboxes WHERE id = \(bind: id)").first()?
                    .decode(column: "imap_password", as: String.self))
                #expect(stored.hasPrefix("v1:") && !stored.contains(Dovecot.password))
                let test = try await server.request(.POST, "/api/v1/mailboxes/\(id)/test", token: admin)
                #expect(test.object["ok"] as? Bool == true, "\(test.text)")
                #expect((test.object["capabilities"] as? [String] ?? []).contains("IDLE"))

                let supervisor = MailboxSupervisor()
                try await supervisor.reconcile(app: server.app)
                // Wait until the fetcher holds the mailbox and idles, then deliver.
                #expect(try await Self.eventually(server, intake: false) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mailboxes WHERE last_checked_at IS NOT NULL") == 1
                })
                try dovecot.deliver(message(id: "first@customer.test", subject: "Не проходит оплата", body: "Оплата картой не проходит."))
                try dovecot.deliver(message(id: "second@customer.test", from: "other@customer.test", subject: "Сверка", body: "Нужен акт сверки."))
                #expect(try await Self.eventually(server) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE channel = 'email'") == 2
                })
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE group_id = \(group)") == 2)
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM ticket_mailboxes WHERE mailbox_id = \(id)") == 2)
                // Moved to Archive only after their bytes were committed.
                #expect(try await Self.eventually(server, intake: false) { try dovecot.count("Archive") == 2 })
                #expect(try dovecot.count("INBOX") == 0)

                // The customer's reply threads into the first ticket.
                try dovecot.deliver(message(id: "third@customer.test", subject: "Re: Не проходит оплата", body: "Всё ещё не проходит.",
                                            inReplyTo: "first@customer.test"))
                #expect(try await Self.eventually(server) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM comments c JOIN mail_inbound m ON m.comment_id = c.id WHERE m.mailbox_id = \(id)") == 3
                })
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE channel = 'email'") == 2)

                // The agent's answer leaves from the address the customer wrote to, with its name and signature.
                let number = try #require(try await server.sql.raw("""
                    SELECT t.number FROM tickets t JOIN mail_inbound m ON m.ticket_id = t.id WHERE m.message_id = 'first@customer.test'
                    """).first()?.decode(column: "number", as: Int.self))
                #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin,
                                                 json: ["body": "Проверили, платёж прошёл.", "public": true]).status == .created)
                try await MailNotifier.run(app: server.app)
                let out = try #require(try await server.sql.raw("""
                    SELECT raw, mailbox_id FROM mail_outbox WHERE kind = 'public_reply' ORDER BY id DESC LIMIT 1
                    """).first())
                #expect(try out.decode(column: "mailbox_id", as: Int?.self) == id)
                let sent = try MIMEParser.parse(Array(try out.decode(column: "raw", as: Data.self)))
                #expect(sent.from?.address == "help@firm.test")
                #expect(sent.from?.name == "Служба поддержки")
                #expect(sent.text.contains("С уважением,\nслужба поддержки"), "\(sent.text)")
                // Through the mailbox's own SMTP (here a local one), as its address, with a copy in its Sent folder.
                let sink = CapturingReceiver(refuse: [])
                let relay = try await SMTPServer.start(.init(host: "127.0.0.1", port: 0, hostname: "smtp.firm.test"), receiver: sink,
                                                       group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "relay"))
                let patched = try await server.request(.PATCH, "/api/v1/mailboxes/\(id)", token: admin, json: [
                    "smtp_host": "127.0.0.1", "smtp_port": relay.port, "smtp_security": "none", "save_sent": true, "sent_folder": "Sent",
                ])
                #expect(patched.status == .ok, "\(patched.text)")
                server.app.services.mailboxes.invalidate()
                #expect(try await MailDelivery.run(app: server.app) >= 1)
                let delivered = sink.messages.withLockedValue { $0 }
                #expect(delivered.contains { $0.sender == "help@firm.test" }, "\(delivered.map(\.sender))")
                #expect(try await Self.eventually(server, intake: false) { try dovecot.count("Sent") >= 1 })
                await relay.stop()
                await supervisor.stopAll(app: server.app)
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM mailboxes WHERE lease_owner IS NOT NULL") == 0)
            }
        }
    }

    @Test("stopping in the middle of a batch and starting again imports every message once; a changed UIDVALIDITY reads the folder again without new tickets",
          arguments: TestDatabase.all)
    func restartAndUIDValidity(database: TestDatabase) async throws {
        try await Dovecot.with { dovecot in
            try await TestServer.with(database, environment: Self.environment) { server in
                let admin = server.adminToken
                let created = try await server.request(.POST, "/api/v1/mailboxes", token: admin, json: dovecot.mailbox(["after_import": "seen"]))
                let id = try #require(created.object["id"] as? Int, "\(created.text)")
                try dovecot.generate(300)
                let first = MailboxSupervisor()
                try await first.reconcile(app: server.app)
                #expect(try await Self.eventually(server, seconds: 60, intake: false) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)") > 0
                })
                await first.stopAll(app: server.app)
                let partial = try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)")
                let second = MailboxSupervisor()
                try await second.reconcile(app: server.app)
                #expect(try await Self.eventually(server, seconds: 60, intake: false) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)") == 300
                })
                #expect(try await Self.eventually(server, seconds: 30, intake: false) { try dovecot.count(seen: true) == 300 })
                #expect(try await Self.count(server, "SELECT COUNT(DISTINCT message_id) AS n FROM mail_inbound WHERE mailbox_id = \(id)") == 300)
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE status = 'duplicate'") == 0)
                #expect(partial <= 300)
                #expect(try await Self.eventually(server, seconds: 90) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE channel = 'email'") == 300
                })

                // The server renumbers the folder: everything is read again and recognized by Message-ID.
                let before = try await Self.count(server, "SELECT uid_validity AS n FROM mailboxes WHERE id = \(id)")
                await second.stopAll(app: server.app)
                try dovecot.resetUIDValidity()
                let third = MailboxSupervisor()
                try await third.reconcile(app: server.app)
                #expect(try await Self.eventually(server, seconds: 60) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE status = 'duplicate'") == 300
                })
                #expect(try await Self.count(server, "SELECT uid_validity AS n FROM mailboxes WHERE id = \(id)") != before)
                #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE channel = 'email'") == 300)
                await third.stopAll(app: server.app)
            }
        }
    }

    @Test("delete after import; a wrong password, an untrusted certificate, an unknown host and a missing folder each name their step; bad settings are refused whole",
          arguments: TestDatabase.all)
    func deleteAndErrors(database: TestDatabase) async throws {
        try await Dovecot.with { dovecot in
            try await TestServer.with(database, environment: Self.environment) { server in
                let admin = server.adminToken
                let created = try await server.request(.POST, "/api/v1/mailboxes", token: admin,
                                                       json: dovecot.mailbox(["after_import": "delete", "imap_security": "starttls", "imap_port": dovecot.imapPort]))
                let id = try #require(created.object["id"] as? Int, "\(created.text)")
                try dovecot.generate(5)
                let supervisor = MailboxSupervisor()
                try await supervisor.reconcile(app: server.app)
                #expect(try await Self.eventually(server, intake: false) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)") == 5
                })
                #expect(try await Self.eventually(server, intake: false) { try dovecot.count("INBOX") == 0 })
                #expect(try dovecot.count("Archive") == 0)
                await supervisor.stopAll(app: server.app)

                func test(_ patch: [String: Any]) async throws -> [String: Any] {
                    let changed = try await server.request(.PATCH, "/api/v1/mailboxes/\(id)", token: admin, json: patch)
                    #expect(changed.status == .ok, "\(changed.text)")
                    return try await server.request(.POST, "/api/v1/mailboxes/\(id)/test", token: admin,
                                                    headers: [("Accept-Language", "ru")]).object
                }
                let wrong = try await test(["imap_password": "wrong"])
                #expect(wrong["ok"] as? Bool == false)
                #expect(wrong["step"] as? String == "login")
                #expect((wrong["message"] as? String ?? "").contains("пароль"))
                let untrusted = try await test(["imap_password": Dovecot.password, "imap_ca_pem": NSNull()])
                #expect(untrusted["step"] as? String == "tls", "\(untrusted)")
                let unknown = try await test(["imap_host": "no-such-host.invalid", "imap_ca_pem": dovecot.caPEM])
                #expect(unknown["step"] as? String == "dns", "\(unknown)")
                let folder = try await test(["imap_host": "127.0.0.1", "folder": "Нет такой"])
                #expect(folder["step"] as? String == "folder", "\(folder)")
                let working = try await test(["folder": "INBOX"])
                #expect(working["ok"] as? Bool == true, "\(working)")

                // Refused whole, with every problem named, and nothing changed.
                let bad = try await server.request(.PATCH, "/api/v1/mailboxes/\(id)", token: admin, json: [
                    "address": "not an address", "imap_port": 70000, "imap_security": "ssl3", "after_import": "move", "language": "de",
                ])
                #expect(bad.status == .unprocessableEntity)
                let fields = Set(((bad.object["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields.isSuperset(of: ["address", "imap_port", "imap_security", "move_folder", "language"]), "\(bad.text)")
                let after = try await server.request(.GET, "/api/v1/mailboxes/\(id)", token: admin).object
                #expect(after["address"] as? String == "help@firm.test")
                #expect(after["after_import"] as? String == "delete")
                // Customers and agents cannot see or change mailboxes.
                let agent = try await server.makeUser("agent@zayavka.test", name: "Агент", role: .agent)
                #expect(try await server.request(.GET, "/api/v1/mailboxes", token: agent.token).status == .forbidden)
                #expect(try await server.request(.GET, "/api/v1/mailboxes/999999", token: admin).status == .notFound)
            }
        }
    }

    @Test("a server without IDLE or MOVE is polled, and moving goes by COPY and UID EXPUNGE", arguments: TestDatabase.all)
    func pollingWithoutIdleOrMove(database: TestDatabase) async throws {
        try await Dovecot.with(capabilities: "IMAP4rev1 SASL-IR LITERAL+ UIDPLUS") { dovecot in
            var environment = Self.environment
            environment["ZAYAVKA_IMAP_POLL_SECONDS"] = "1"
            try await TestServer.with(database, environment: environment) { server in
                let created = try await server.request(.POST, "/api/v1/mailboxes", token: server.adminToken,
                                                       json: dovecot.mailbox(["after_import": "move", "move_folder": "Archive"]))
                let id = try #require(created.object["id"] as? Int, "\(created.text)")
                let test = try await server.request(.POST, "/api/v1/mailboxes/\(id)/test", token: server.adminToken)
                #expect(!((test.object["capabilities"] as? [String]) ?? ["IDLE"]).contains("IDLE"), "\(test.text)")
                let supervisor = MailboxSupervisor()
                try await supervisor.reconcile(app: server.app)
                #expect(try await Self.eventually(server, intake: false) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM mailboxes WHERE last_checked_at IS NOT NULL") == 1
                })
                try dovecot.generate(3)
                #expect(try await Self.eventually(server) {
                    try await Self.count(server, "SELECT COUNT(*) AS n FROM tickets WHERE channel = 'email'") == 3
                })
                #expect(try await Self.eventually(server, intake: false) { try dovecot.count("Archive") == 3 })
                #expect(try dovecot.count("INBOX") == 0)
                await supervisor.stopAll(app: server.app)
            }
        }
    }

    @Test("two instances on PostgreSQL fetch one mailbox: each message is imported once")
    func twoInstances() async throws {
        guard let database = TestDatabase.all.first(where: { if case .postgres = $0 { true } else { false } }) else { return }
        try await Dovecot.with { dovecot in
            try await TestServer.with(database, environment: Self.environment) { server in
                let created = try await server.request(.POST, "/api/v1/mailboxes", token: server.adminToken, json: dovecot.mailbox())
                let id = try #require(created.object["id"] as? Int, "\(created.text)")
                try await TestServer.with(database, environment: Self.environment, sharing: server) { other in
                    let one = MailboxSupervisor()
                    let two = MailboxSupervisor()
                    try await one.reconcile(app: server.app)
                    try await two.reconcile(app: other.app)
                    try dovecot.generate(200)
                    #expect(try await Self.eventually(server, seconds: 60, intake: false) {
                        try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)") >= 200
                    })
                    // The holder stops; the other takes over when the hold expires is covered by the lease query;
                    // here both ran the whole time and the count must be exact.
                    try await Task.sleep(for: .seconds(2))
                    #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE mailbox_id = \(id)") == 200)
                    #expect(try await Self.count(server, "SELECT COUNT(*) AS n FROM mail_inbound WHERE status = 'duplicate'") == 0)
                    await one.stopAll(app: server.app)
                    await two.stopAll(app: other.app)
                }
            }
        }
    }
}
