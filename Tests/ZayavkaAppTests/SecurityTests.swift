import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// Issue 14: each hole found by trying the server as an attacker would, through the real HTTP stack
/// (and the mail intake), on SQLite and PostgreSQL. After each the server must still be up and healthy.
@Suite("Security and bad input", .serialized)
struct SecurityTests {
    static func expectAlive(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let health = try await server.request(.GET, "/healthz")
        #expect(health.status == .ok, "the server must survive", sourceLocation: sourceLocation)
    }

    static let forgedCursors = [
        #"{"v":1e300,"n":1}"#, #"{"v":-1e308,"n":1}"#, #"{"v":-9223372036854775808,"n":1}"#, #"{"v":9.3e18,"n":2}"#,
        #"{"v":1,"n":9223372036854775807}"#, #"{"v":1e17,"n":-1}"#, #"{"v":"NaN","n":1}"#,
    ]

    @Test("a forged list cursor is 422 with a clear message on every sort, in the API, the agent's queue and the portal", arguments: TestDatabase.all)
    func forgedCursors(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            for _ in 0..<3 { _ = try await server.makeTicket(token: customer.token) }
            for sort in TicketQueries.SortKey.allCases {
                for json in Self.forgedCursors {
                    let order = sort == .due ? "asc" : "desc"
                    let reply = try await server.request(.GET, "/api/v1/tickets?sort=\(sort.rawValue)&order=\(order)&cursor=\(HostileValues.cursor(json))",
                                                         token: customer.token, headers: [("Accept-Language", "en")])
                    #expect(reply.status == .unprocessableEntity, "\(sort) \(json): \(reply.status)")
                    #expect(reply.errorMessage?.contains("cursor") == true)
                }
            }
            // A genuine cursor still pages.
            let first = try await server.request(.GET, "/api/v1/tickets?sort=priority&limit=1", token: customer.token)
            let next = try #require(first["next_cursor"] as? String)
            #expect(try await server.request(.GET, "/api/v1/tickets?sort=priority&limit=1&cursor=\(next)", token: customer.token).status == .ok)

            let web = WebClient(server)
            try await web.signIn(TestServer.adminEmail, TestServer.adminPassword)
            let portal = WebClient(server)
            try await portal.signIn("c@client.ru", "password-c@client.ru")
            for json in Self.forgedCursors {
                // The pages answer with a page (or back to the first one), never a crash or a 500.
                let queue = try await web.get("/agent/queues/open?sort=priority&cursor=\(HostileValues.cursor(json))")
                #expect(queue.status.code < 500, "queue: \(queue.status)")
                let page = try await portal.get("/portal?cursor=\(HostileValues.cursor(json))")
                #expect(page.status.code < 500, "portal: \(page.status)")
            }
            try await Self.expectAlive(server)
        }
    }

    @Test("call forms refuse a call length past a day before multiplying (minutes = Int64.max)", arguments: TestDatabase.all)
    func callMinutes(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let callback = try await server.request(.POST, "/api/v1/tickets/\(number)/callbacks", token: server.adminToken,
                                                    json: ["number": "+7 913 919-90-99", "due_at": "2030-01-01T10:00:00Z"])
            let callbackID = try #require(callback["id"] as? Int)
            let web = WebClient(server)
            try await web.signIn(TestServer.adminEmail, TestServer.adminPassword)
            let csrf = try #require(try await web.get("/agent/call").csrf)
            for minutes in ["9223372036854775807", "-9223372036854775808", "1441", "99999999999999999999999", "1e300", "-1"] {
                let call = try await web.post("/agent/call", [("_csrf", csrf), ("number", "+79139199099"), ("minutes", minutes), ("ticket_number", "new"),
                                                              ("subject", "Звонок"), ("body", "Звонок")])
                #expect(call.status == .unprocessableEntity, "\(minutes): \(call.status)")
                let onTicket = try await web.post("/agent/tickets/\(number)/call", [("_csrf", csrf), ("number", "+79139199099"), ("minutes", minutes)])
                #expect((400..<500).contains(Int(onTicket.status.code)) || onTicket.location?.contains("error") == true, "\(minutes): \(onTicket.status)")
                let attempt = try await web.post("/agent/callbacks/\(callbackID)/attempt", [("_csrf", csrf), ("outcome", "busy"), ("minutes", minutes)])
                #expect(attempt.location?.contains("callback-invalid") == true, "\(minutes): \(attempt.status) \(attempt.location ?? "")")
            }
            let calls = try await server.request(.GET, "/api/v1/tickets/\(number)/calls", token: server.adminToken)
            #expect(calls.items.isEmpty, "no refused call was logged")
            // In range it works.
            let fine = try await web.post("/agent/tickets/\(number)/call", [("_csrf", csrf), ("number", "+79139199099"), ("minutes", "5")])
            #expect(fine.status == .seeOther)
            let logged = try await server.request(.GET, "/api/v1/tickets/\(number)/calls", token: server.adminToken)
            #expect(logged.items.first?["duration_seconds"] as? Int == 300)
            try await Self.expectAlive(server)
        }
    }

    @Test("addresses with CR/LF or control characters are refused at every entry; the mail builder and SMTP client refuse them too", arguments: TestDatabase.all)
    func headerInjection(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let injected = ["a@b.ru\r\nBcc: victim@evil.example", "a@b.ru\nRCPT TO:<x@evil.example>", "a\u{0}@b.ru", "a b@c.ru", "<a@b.ru>",
                            "\"quoted\"@b.ru", "a@b", String(repeating: "a", count: 65) + "@b.ru", "a@" + String(repeating: "b", count: 64) + ".ru"]
            for address in injected {
                let user = try await server.request(.POST, "/api/v1/users", token: server.adminToken,
                                                    json: ["email": address, "name": "X", "role": "customer"])
                #expect(user.status == .unprocessableEntity, "users: \(address.debugDescription)")
                let ticket = try await server.makeTicket(token: server.adminToken, extra: ["requester_email": address, "requester_name": "X"])
                #expect(ticket.status == .unprocessableEntity, "requester_email: \(address.debugDescription)")
                let reset = try await server.request(.POST, "/api/v1/auth/password-reset", json: ["email": address])
                #expect(reset.status == .unprocessableEntity, "reset: \(address.debugDescription)")
            }
            // Valid ones, Cyrillic included, still pass.
            for address in ["ivan.petrov+tag@mail.ru", "иван@почта.рф", "o'neil@example.com"] {
                let user = try await server.request(.POST, "/api/v1/users", token: server.adminToken, json: ["email": address, "name": "X", "role": "customer"])
                #expect(user.status == .created, "\(address): \(user.text)")
            }
            let contacts = "email;name\nok@client.ru;Анна\n\"bad@client.ru\r\nBcc: x@evil.example\";Иван\n"
            let imported = try await server.request(.POST, "/api/v1/contacts/import", token: server.adminToken, body: Data(contacts.utf8),
                                                    headers: [("Content-Type", "text/csv")])
            #expect(imported["created"] as? Int == 1)
            #expect((imported["rejected"] as? [[String: Any]])?.count == 1)
            let outbox = try await server.request(.GET, "/api/v1/mail/outbox?limit=500", token: server.adminToken).items
            #expect(!outbox.contains { ($0["to"] as? String ?? "").contains("evil") })

            // The last lines: nothing with a control character reaches a header or an SMTP command.
            var mail = OutgoingMail(from: MailAddress(name: "Поддержка", address: "support@zayavka.test"),
                                    to: [MailAddress(name: "Иван\r\nBcc: x@evil.example", address: "ivan@client.ru")],
                                    subject: "Тема\r\nBcc: x@evil.example", text: "текст", messageID: "zy.1.abc@zayavka.test")
            #expect(mail.hasSafeHeaders)
            let rendered = String(decoding: mail.render(), as: UTF8.self)
            #expect(!rendered.contains("\r\nBcc:"), "a name or subject cannot start a header line")
            mail.to = [MailAddress(address: "ivan@client.ru\r\nBcc: x@evil.example")]
            #expect(!mail.hasSafeHeaders)
            #expect(!Envelope.isSafeAddress("a@b.ru>\r\nRCPT TO:<x@evil.example"))
            #expect(Envelope.isSafeAddress("ivan@client.ru"))
            try await Self.expectAlive(server)
        }
    }

    @Test("after sign-in only a path of this site is followed", arguments: [TestDatabase.sqlite])
    func openRedirect(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let hostile = ["/%09/example.invalid/", "//example.invalid", "/\\example.invalid", "https://example.invalid", "/\t/example.invalid",
                           "/%0d%0a/example.invalid", "/%5cexample.invalid", "javascript:alert(1)", "/\u{200B}/example.invalid"]
            for next in hostile {
                let web = WebClient(server)
                let form = try await web.get("/sign-in")
                let decoded = next.removingPercentEncoding ?? next
                let page = try await web.post("/sign-in", [("_csrf", form.csrf ?? ""), ("email", TestServer.adminEmail),
                                                           ("password", TestServer.adminPassword), ("next", decoded)])
                #expect(page.status == .seeOther)
                #expect(page.location == "/agent", "\(next.debugDescription) → \(page.location ?? "")")
            }
            let web = WebClient(server)
            let form = try await web.get("/sign-in")
            let page = try await web.post("/sign-in", [("_csrf", form.csrf ?? ""), ("email", TestServer.adminEmail),
                                                       ("password", TestServer.adminPassword), ("next", "/agent/queues/mine?q=1")])
            #expect(page.location == "/agent/queues/mine?q=1")
            for path in ["/", "/agent", "/portal/requests/1", "/a?b=/c"] { #expect(LocalRedirect.path(path) == path) }
        }
    }

    @Test("password guessing: counted before checking, locked per email and address, hashing off the shared pool, dummy hash for unknown emails", arguments: TestDatabase.all)
    func signInFloods(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            _ = try await server.makeUser("anna@client.ru", role: .customer)
            // 60 concurrent wrong guesses at one email from one address: at most 10 are evaluated.
            let replies = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for i in 0..<60 {
                    group.addTask {
                        try await server.request(.POST, "/api/v1/auth/token", json: ["email": "anna@client.ru", "password": "wrong-\(i)"]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponseStatus]()) { $0.append($1) }
            }
            #expect(replies.filter { $0 == .unauthorized }.count <= 10, "\(replies.filter { $0 == .unauthorized }.count) guesses were evaluated")
            #expect(replies.filter { $0 == .tooManyRequests }.count >= 50)
            #expect(!replies.contains(.internalServerError))
            // Now locked, even with the right password, from this address...
            let locked = try await server.request(.POST, "/api/v1/auth/token", json: ["email": "anna@client.ru", "password": "password-anna@client.ru"],
                                                  headers: [("Accept-Language", "ru")])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers.first(name: .retryAfter) != nil)
            #expect(locked.errorMessage?.contains("Слишком много попыток") == true)
            // ...but not for another email from the same address.
            _ = try await server.makeUser("boris@client.ru", role: .customer)
            // The owner gets in from the mailed link: setting a password lifts the lock.
            let guardian = server.app.services.signIns
            guardian.clear(email: "anna@client.ru")
            #expect(try await server.request(.POST, "/api/v1/auth/token", json: ["email": "anna@client.ru", "password": "password-anna@client.ru"]).status == .created)

            // The lock is per email *and* address: another address is not locked out by this one's guesses.
            let ticket = try guardian.begin(email: "boris@client.ru", address: "203.0.113.7", now: Date())
            guardian.finish(ticket, succeeded: true)
            for _ in 0..<10 { guardian.finish(try guardian.begin(email: "boris@client.ru", address: "198.51.100.1", now: Date()), succeeded: false) }
            #expect(throws: ZayavkaError.self) { _ = try guardian.begin(email: "boris@client.ru", address: "198.51.100.1", now: Date()) }
            _ = try guardian.begin(email: "boris@client.ru", address: "203.0.113.7", now: Date())

            // Unknown emails cost a hash check too (no timing oracle): the dummy hash is made and checked.
            let unknown = try await server.request(.POST, "/api/v1/auth/token", json: ["email": "nobody@client.ru", "password": "whatever-1"])
            #expect(unknown.status == .unauthorized)
            #expect(try await server.app.services.passwords.verify("x", hash: nil) == false)
            try await Self.expectAlive(server)
        }
    }

    @Test("a signed-in user is served while a flood of wrong passwords is hashed (bcrypt on its own bounded threads)")
    func hashingDoesNotBlockOthers() async throws {
        try await TestServer.with(.sqlite, environment: ["ZAYAVKA_BCRYPT_COST": "8"]) { server in
            let customer = try await server.makeUser("anna@client.ru", role: .customer)
            let flood = Task {
                try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for i in 0..<30 {
                        group.addTask {
                            try await server.request(.POST, "/api/v1/auth/token", json: ["email": "user\(i % 20)@client.ru", "password": "wrong-\(i)"]).status
                        }
                    }
                    return try await group.reduce(into: [HTTPResponseStatus]()) { $0.append($1) }
                }
            }
            // Meanwhile the signed-in customer files and reads tickets: all of them succeed.
            for _ in 0..<5 {
                #expect(try await server.makeTicket(token: customer.token).status == .created)
                #expect(try await server.request(.GET, "/api/v1/tickets", token: customer.token).status == .ok)
            }
            let statuses = try await flood.value
            #expect(!statuses.contains(.internalServerError), "no pool timeouts: \(statuses)")
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests })
        }
    }

    @Test("text limits count bytes, scalars and characters; combining marks are cut; one limit on every write path", arguments: TestDatabase.all)
    func textLimits(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let zalgo = "a" + String(repeating: "\u{0301}", count: 100_000)
            let ticket = try await server.makeTicket(token: customer.token, subject: zalgo)
            #expect(ticket.status == .created)
            let subject = try #require(ticket["subject"] as? String)
            #expect(subject.unicodeScalars.count <= 1 + TextInput.maxCombiningMarks, "the marks were cut")
            // 251 characters of 4 bytes each is over, even though each byte count alone looks fine.
            let long = try await server.makeTicket(token: customer.token, subject: String(repeating: "😀", count: 251))
            #expect(long.status == .unprocessableEntity)
            // One name limit for create and update (a 900,000-character name was accepted by PATCH).
            let me = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token,
                                              json: ["name": String(repeating: "я", count: 900_000)])
            #expect(me.status == .unprocessableEntity || me.status == .payloadTooLarge)
            let tooLong = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token,
                                                   json: ["name": String(repeating: "я", count: 201)])
            #expect(tooLong.status == .unprocessableEntity)
            let lineBreak = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["name": "Иван\r\nBcc: x"])
            #expect(lineBreak.status == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["name": "Иван"]).status == .ok)
            // The web form goes through the same screening.
            let web = WebClient(server)
            try await web.signIn("c@client.ru", "password-c@client.ru")
            let form = try await web.get("/portal/new")
            let filed = try await web.post("/portal/new", [("_csrf", form.csrf ?? ""), ("subject", zalgo), ("body", "Текст")])
            #expect(filed.status == .seeOther, "\(filed.status)")
            try await Self.expectAlive(server)
        }
    }

    @Test("a NUL byte in any text is 422 on both databases and nothing is stored", arguments: TestDatabase.all)
    func nulBytes(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let before = try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self)
            let nul = "до\u{0}после"
            let attempts: [(HTTPMethod, String, [String: Any], String?)] = [
                (.POST, "/api/v1/tickets", ["subject": nul, "body": "x"], customer.token),
                (.POST, "/api/v1/tickets", ["subject": "x", "body": nul], customer.token),
                (.POST, "/api/v1/tickets", ["subject": "x", "body": "y", "fields": [nul: "z"]], customer.token),
                (.POST, "/api/v1/tickets/\(number)/comments", ["body": nul], customer.token),
                (.PATCH, "/api/v1/users/\(customer.id)", ["name": nul], customer.token),
                (.POST, "/api/v1/organizations", ["name": nul], server.adminToken),
                (.POST, "/api/v1/auth/token", ["email": nul, "password": "x"], nil),
                (.POST, "/api/v1/auth/password-reset", ["email": nul], nil),
            ]
            for (method, path, json, token) in attempts {
                let reply = try await server.request(method, path, token: token, json: json)
                #expect(reply.status == .unprocessableEntity, "\(path): \(reply.status) \(reply.text)")
                #expect(reply.text.contains("control_characters"))
            }
            for query in ["q=%00", "status=new%00", "field.category=a%00b", "organization_id=1%00"] {
                let reply = try await server.request(.GET, "/api/v1/tickets?\(query)", token: server.adminToken)
                #expect(reply.status == .unprocessableEntity, "\(query): \(reply.status)")
            }
            let web = WebClient(server)
            try await web.signIn(TestServer.adminEmail, TestServer.adminPassword)
            #expect(try await web.get("/agent/queues/open?q=%00").status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/calendars/%00", token: server.adminToken).status == .notFound)
            let csv = try await server.request(.POST, "/api/v1/organizations/import", token: server.adminToken,
                                               body: Data("name;inn\nООО\u{0}Ромашка;\n".utf8), headers: [("Content-Type", "text/csv")])
            #expect(csv.status == .unprocessableEntity)
            let after = try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self)
            #expect(after == before)
            let organizations = try await server.sql.raw("SELECT COUNT(*) AS n FROM organizations").first()!.decode(column: "n", as: Int.self)
            #expect(organizations == 0)
            try await Self.expectAlive(server)
        }
    }

    @Test("error answers: malformed multipart 422, empty body 422 in the reader's language, wrong type 415, bad query parameters 422", arguments: TestDatabase.all)
    func errorAnswers(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let broken = Data("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello".utf8)
            let multipart = try await server.request(.POST, "/api/v1/attachments", token: customer.token, body: broken,
                                                     headers: [("Content-Type", "multipart/form-data; boundary=XYZ")])
            #expect(multipart.status == .unprocessableEntity, "\(multipart.status) \(multipart.text)")
            let garbage = try await server.request(.POST, "/api/v1/attachments", token: customer.token, body: Data("--\r\n\r\n--X".utf8),
                                                   headers: [("Content-Type", "multipart/form-data; boundary=\"\"")])
            #expect((400..<500).contains(Int(garbage.status.code)))
            let empty = try await server.request(.POST, "/api/v1/tickets", token: customer.token, body: Data(),
                                                 headers: [("Content-Type", "application/json"), ("Accept-Language", "ru")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.errorMessage?.contains("обязательное поле") == true, "\(empty.errorMessage ?? "")")
            let plain = try await server.request(.POST, "/api/v1/tickets", token: customer.token, body: Data("subject=x".utf8),
                                                 headers: [("Content-Type", "text/plain"), ("Accept-Language", "en")])
            #expect(plain.status == .unsupportedMediaType)
            #expect(plain.errorMessage?.contains("application/json") == true)
            for query in ["organization_id=abc", "limit=abc", "organization_id=99999999999999999999", "role=admin&limit=-5x", "cursor=abc", "cursor=-1"] {
                let users = try await server.request(.GET, "/api/v1/users?\(query)", token: server.adminToken)
                #expect(users.status == .unprocessableEntity, "\(query): \(users.status)")
            }
            #expect(try await server.request(.GET, "/api/v1/callbacks?due=maybe", token: server.adminToken).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/tickets?created_after=400000-01-01T00:00:00Z", token: server.adminToken).status
                    == .unprocessableEntity)
            let farFuture = try await server.makeTicket(token: server.adminToken, extra: ["requester_id": customer.id, "due_at": "400000-01-01T00:00:00Z"])
            #expect(farFuture.status == .unprocessableEntity)
            let huge = try await server.request(.POST, "/api/v1/canned-responses", token: server.adminToken,
                                                json: ["title": "t", "body": "b", "position": 9_223_372_036_854_775_807 as Int64])
            #expect(huge.status == .unprocessableEntity)
            try await Self.expectAlive(server)
        }
    }

    @Test("a password change or reset ends every other session and token; your own change needs the current password", arguments: TestDatabase.all)
    func sessionsEnd(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let second = try await server.token(email: "c@client.ru", password: "password-c@client.ru")
            let browser = WebClient(server)
            try await browser.signIn("c@client.ru", "password-c@client.ru")
            #expect(try await browser.get("/portal").status == .ok)

            let noCurrent = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["password": "new-password-1"])
            #expect(noCurrent.status == .unprocessableEntity && noCurrent.text.contains("current_password"))
            let wrong = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token,
                                                 json: ["password": "new-password-1", "current_password": "wrong-password"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/me", token: second).status == .ok, "a refused change ends nothing")
            let changed = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token,
                                                   json: ["password": "new-password-1", "current_password": "password-c@client.ru"])
            #expect(changed.status == .ok)
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .ok, "the token it was changed from stays")
            #expect(try await server.request(.GET, "/api/v1/me", token: second).status == .unauthorized)
            #expect(try await browser.get("/portal").status == .seeOther, "the browser session ended")

            // An admin resetting it ends every session, including the one it was changed from.
            let reset = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: server.adminToken, json: ["password": "admin-set-pass-2"])
            #expect(reset.status == .ok)
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .unauthorized)

            // The mailed link: every session and token ends.
            let third = try await server.token(email: "c@client.ru", password: "admin-set-pass-2")
            let token = try await PasswordTokens.issue(userID: customer.id, purpose: .reset, on: server.sql)
            let set = try await server.request(.POST, "/api/v1/auth/password", json: ["token": token, "password": "from-the-link-3"])
            #expect(set.status == .noContent, "\(set.text)")
            #expect(try await server.request(.GET, "/api/v1/me", token: third).status == .unauthorized)
        }
    }

    @Test("what a customer sees of their organization and may set of intake answers", arguments: TestDatabase.all)
    func customerExposure(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let org = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken, json: [
                "name": "ООО Ромашка", "inn": "7707083893", "contract_number": "ЕО-1", "notes": "Должник, не давать кредит", "quota": 10,
                "usage": 12, "plan": "paid", "logins": ["romashka"], "email_domains": ["romashka.ru"], "contract_ends_on": "2020-01-01"])
            let orgID = try #require(org["id"] as? Int)
            let customer = try await server.makeUser("c@romashka.ru", role: .customer, organizationID: orgID)
            let seen = try await server.request(.GET, "/api/v1/organizations/\(orgID)", token: customer.token)
            #expect(seen.status == .ok)
            server.expectConforms(seen.json, to: "Organization")
            #expect(seen["name"] as? String == "ООО Ромашка")
            for hidden in ["notes", "quota", "usage", "plan", "logins", "email_domains", "contract_ends_on", "members_see_all_tickets"] {
                #expect(seen[hidden] == nil, "\(hidden) is the team's")
            }
            #expect(!seen.text.contains("Должник"))
            let staff = try await server.request(.GET, "/api/v1/organizations/\(orgID)", token: server.adminToken)
            #expect(staff["notes"] as? String == "Должник, не давать кредит")

            let field = try await server.request(.POST, "/api/v1/intake-fields", token: server.adminToken, json: [
                "key": "internal_score", "kind": "text", "label_ru": "Оценка", "label_en": "Score", "customer_visible": false])
            #expect(field.status == .created)
            let sneaky = try await server.makeTicket(token: customer.token, extra: ["fields": ["internal_score": "VIP"]])
            #expect(sneaky.status == .unprocessableEntity)
            #expect(sneaky.text.contains("fields.internal_score"))
            let byStaff = try await server.makeTicket(token: server.adminToken, extra: ["requester_id": customer.id, "fields": ["internal_score": "5"]])
            #expect(byStaff.status == .created)
        }
    }

    @Test("/metrics answers only the configured addresses or the token", arguments: [TestDatabase.sqlite])
    func metrics(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let open = try await server.request(.GET, "/metrics")
            #expect(open.status == .ok, "loopback is allowed by default")
        }
        try await TestServer.with(database, environment: ["ZAYAVKA_METRICS_ALLOW": "none", "ZAYAVKA_METRICS_TOKEN": "metrics-token-0123456789"]) { server in
            #expect(try await server.request(.GET, "/metrics").status == .forbidden)
            #expect(try await server.request(.GET, "/metrics", token: "wrong-token-0123456789").status == .forbidden)
            let allowed = try await server.request(.GET, "/metrics", token: "metrics-token-0123456789")
            #expect(allowed.status == .ok && allowed.text.contains("# TYPE"))
        }
        try await TestServer.with(database, environment: ["ZAYAVKA_METRICS_ALLOW": "192.0.2.1"]) { server in
            let elsewhere = try await server.request(.GET, "/metrics")
            #expect(elsewhere.status == .forbidden)
        }
    }

    @Test("uploads never attached are capped per person and removed after a day with their files", arguments: TestDatabase.all)
    func orphanUploads(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            var ids: [String] = []
            for i in 0..<PendingUploads.quota(for: .customer).files {
                let upload = try await server.request(.POST, "/api/v1/attachments?filename=f\(i).txt", token: customer.token, body: Data("x\(i)".utf8),
                                                      headers: [("Content-Type", "application/octet-stream")])
                #expect(upload.status == .created)
                if let id = (upload["attachments"] as? [[String: Any]])?.first?["id"] as? String { ids.append(id) }
            }
            let over = try await server.request(.POST, "/api/v1/attachments?filename=more.txt", token: customer.token, body: Data("y".utf8),
                                                headers: [("Content-Type", "application/octet-stream")])
            #expect(over.status == .unprocessableEntity && over.text.contains("quota_exceeded"))
            // Attaching one frees a place.
            let ticket = try await server.makeTicket(token: customer.token, extra: ["attachments": [ids[0]]])
            #expect(ticket.status == .created)
            let keys = try await server.sql.raw("SELECT storage_key FROM attachments WHERE comment_id IS NULL").all()
                .map { try $0.decode(column: "storage_key", as: String.self) }
            #expect(keys.count == ids.count - 1)
            // A day later the sweep removes the rest, rows and files; the attached one stays.
            let removed = try await PendingUploads.sweep(context: .system(server.app, at: Date().addingTimeInterval(PendingUploads.maxAge + 60)))
            #expect(removed == ids.count - 1)
            for key in keys { #expect(!FileManager.default.fileExists(atPath: server.app.services.files.path(forKey: key))) }
            let left = try await server.sql.raw("SELECT COUNT(*) AS n FROM attachments").first()!.decode(column: "n", as: Int.self)
            #expect(left == 1)
            #expect(try await server.request(.POST, "/api/v1/attachments?filename=again.txt", token: customer.token, body: Data("z".utf8),
                                             headers: [("Content-Type", "application/octet-stream")]).status == .created)
        }
    }
}
