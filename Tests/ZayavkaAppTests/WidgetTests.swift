import Foundation
import JWTKit
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// A WebSocket client that keeps what it receives, for the chat tests.
final class SocketProbe: Sendable {
    let socket: WebSocket
    private let received = NIOLockedValueBox<[String]>([])

    private init(_ socket: WebSocket) { self.socket = socket }

    static func connect(_ server: TestServer, _ path: String, headers: HTTPHeaders = [:]) async throws -> SocketProbe {
        let box = NIOLockedValueBox<SocketProbe?>(nil)
        try await WebSocket.connect(to: server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + path, headers: headers,
                                    on: server.app.eventLoopGroup) { socket in
            let probe = SocketProbe(socket)
            socket.onText { _, text in probe.received.withLockedValue { $0.append(text) } }
            box.withLockedValue { $0 = probe }
        }
        // The client's upgrade callback may run just after `connect` returns.
        for _ in 0..<100 where box.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        return try #require(box.withLockedValue { $0 })
    }

    var frames: [[String: Any]] {
        received.withLockedValue { $0 }.map { text in (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["raw": text] }
    }

    func send(_ object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await socket.send(String(decoding: data, as: UTF8.self))
    }

    /// Waits until a received frame matches (5 s); returns it.
    @discardableResult
    func wait(for what: String, timeout: Double = 8, _ match: @escaping ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let frame = frames.first(where: match) { return frame }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what); frames: \(frames)")
        throw CancellationError()
    }

    func waitClosed(timeout: Double = 8) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if socket.isClosed { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return socket.isClosed
    }
}

/// A multipart/form-data body: text fields and files (field, filename, bytes).
func multipart(_ fields: [(String, String)], files: [(String, String, Data)] = []) -> (body: Data, contentType: String) {
    let boundary = "----zw\(UUID().uuidString)"
    var body = Data()
    for (name, value) in fields { body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8) }
    for (name, filename, data) in files {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += data + Data("\r\n".utf8)
    }
    body += Data("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

@Suite("The widget and live chat (SPEC C4): host identity, visitors, requests, chats over WebSockets", .serialized)
struct WidgetTests {
    static let secret = "go-crm-widget-secret-0123456789abcdef"
    static let environment = ["ZAYAVKA_WIDGET_SECRET": secret, "ZAYAVKA_WIDGET_ORIGINS": "https://app.go-crm.ru"]

    static func identity(_ email: String, name: String = "Анна Смирнова", organization: String? = nil, expires: Date = Date().addingTimeInterval(3600),
                         secret: String = secret) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: Data(secret.utf8)), digestAlgorithm: .sha256)
        return try await keys.sign(WidgetIdentity(email: email, name: name, organization: organization, exp: ExpirationClaim(value: expires)))
    }

    func session(_ server: TestServer, _ json: [String: Any]) async throws -> TestServer.Reply {
        try await server.request(.POST, "/api/v1/widget/sessions", json: json)
    }

    func count(_ server: TestServer, _ query: String) async throws -> Int {
        try await server.sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test("the host's signed token opens a verified session in the host's organization; forged, expired, too long-lived tokens and staff addresses are refused with a clear error and create nothing",
          arguments: TestDatabase.all)
    func identityTokens(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let organization = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken, json: ["name": "ООО Ромашка"])
            let opened = try await session(server, ["identity": try await Self.identity("Anna@Romashka.ru", organization: "ООО Ромашка")])
            #expect(opened.status == .created, "\(opened.text)")
            server.expectConforms(opened.object, to: "WidgetSession")
            #expect(opened["verified"] as? Bool == true && opened["email"] as? String == "anna@romashka.ru" && opened["name"] as? String == "Анна Смирнова")
            let token = try #require(opened["token"] as? String)
            #expect(token.hasPrefix("zw_"))
            let users = try await server.request(.GET, "/api/v1/users?email=anna@romashka.ru", token: server.adminToken).items
            #expect(users.count == 1 && users.first?["organization_id"] as? Int == organization["id"] as? Int && users.first?["role"] as? String == "customer")

            // The widget's token is for the widget's operations only, and an API token is not a widget token.
            #expect(try await server.request(.GET, "/api/v1/widget/requests", token: token).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/tickets", token: token).status == .unauthorized)
            let apiRefused = try await server.request(.GET, "/api/v1/widget/requests", token: server.adminToken, headers: [("Accept-Language", "ru")])
            #expect(apiRefused.status == .unauthorized && apiRefused.errorCode == "widget_session_invalid")

            _ = try await server.makeUser("agent@zayavka.test", name: "Пётр", role: .agent)
            let before = try await count(server, "SELECT COUNT(*) AS n FROM users")
            let forged = try await session(server, ["identity": try await Self.identity("boss@romashka.ru", secret: "another-secret-another-secret-0000")])
            #expect(forged.status == .unauthorized && forged.errorCode == "widget_token_invalid")
            #expect(forged.errorMessage?.contains("Подпись пользователя недействительна") == true, "\(forged.text)")
            let garbage = try await session(server, ["identity": "not.a.token"])
            #expect(garbage.status == .unauthorized && garbage.errorCode == "widget_token_invalid")
            let expired = try await session(server, ["identity": try await Self.identity("old@romashka.ru", expires: Date().addingTimeInterval(-60))])
            #expect(expired.status == .unauthorized && expired.errorCode == "widget_token_expired")
            let tooLong = try await session(server, ["identity": try await Self.identity("long@romashka.ru", expires: Date().addingTimeInterval(3 * 86_400))])
            #expect(tooLong.status == .unauthorized && tooLong.errorCode == "widget_token_expired")
            let staff = try await session(server, ["identity": try await Self.identity("agent@zayavka.test")])
            #expect(staff.status == .forbidden && staff.errorCode == "widget_staff_account")
            let staffVisitor = try await session(server, ["name": "Пётр", "email": "agent@zayavka.test"])
            #expect(staffVisitor.status == .forbidden && staffVisitor.errorCode == "widget_staff_account")
            let invalid = try await session(server, ["name": "", "email": "not-an-address"])
            #expect(invalid.status == .unprocessableEntity && Set(((invalid.object["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }) == ["name", "email"])
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM users") == before)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM widget_sessions") == 1)

            // The panel may be framed only by the configured host; CORS answers that host alone.
            let panel = try await server.request(.GET, "/widget/panel?lang=en")
            #expect(panel.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'self' https://app.go-crm.ru;") == true)
            #expect(panel.headers.first(name: "X-Frame-Options") == nil && panel.text.contains("data-mode=\"widget\""))
            let preflight = try await server.request(.OPTIONS, "/api/v1/widget/sessions", headers: [("Origin", "https://app.go-crm.ru"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == .noContent && preflight.headers.first(name: .accessControlAllowOrigin) == "https://app.go-crm.ru")
            let stranger = try await server.request(.POST, "/api/v1/widget/sessions", json: ["name": "X", "email": "x@evil.ru"], headers: [("Origin", "https://evil.example")])
            #expect(stranger.headers.first(name: .accessControlAllowOrigin) == nil)
            let loader = try await server.request(.GET, "/widget.js")
            #expect(loader.status == .ok && loader.text.contains("zayavka:init") && loader.headers.first(name: .contentType)?.hasPrefix("text/javascript") == true)
        }
        // With no secret the desk takes no identity tokens; with anonymous visitors off it takes no introductions.
        try await TestServer.with(database, environment: ["ZAYAVKA_WIDGET_ANONYMOUS": "false"]) { server in
            let identity = try await session(server, ["identity": try await Self.identity("anna@romashka.ru")])
            #expect(identity.status == .forbidden && identity.errorCode == "widget_identity_off")
            let visitor = try await session(server, ["name": "Анна", "email": "anna@romashka.ru", "language": "en"])
            #expect(visitor.status == .forbidden && visitor.errorCode == "widget_anonymous_off")
        }
    }

    @Test("a visitor is registered, files a request with a screenshot and intake answers, and sees only what this session filed; the host-identified user sees all their requests; bad forms change nothing",
          arguments: TestDatabase.all)
    func visitorsRequests(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            _ = try await server.request(.POST, "/api/v1/intake-fields", token: server.adminToken,
                                         json: ["key": "crm_section", "kind": "text", "label_ru": "Раздел CRM", "label_en": "CRM section", "customer_visible": true])
            let customer = try await server.makeUser("anna@romashka.ru", name: "Анна", role: .customer)
            let old = try #require(try await server.makeTicket(token: customer.token, subject: "Старая заявка с личным")["number"] as? Int)

            // Someone typing Anna's address in the widget is not Anna: they see nothing of hers.
            let visitor = try #require(try await session(server, ["name": "Кто-то", "email": "anna@romashka.ru"])["token"] as? String)
            #expect(try await server.request(.GET, "/api/v1/widget/requests", token: visitor).items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/widget/requests/\(old)", token: visitor).status == .notFound)
            let config = try await server.request(.GET, "/api/v1/widget/config", token: visitor)
            server.expectConforms(config.object, to: "WidgetConfig")
            #expect((config["fields"] as? [[String: Any]])?.contains { $0["key"] as? String == "crm_section" && $0["label"] as? String == "Раздел CRM" } == true)

            let tickets = try await count(server, "SELECT COUNT(*) AS n FROM tickets")
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 200))
            for (fields, field) in [([("subject", ""), ("body", "Текст")], "subject"), ([("subject", "Тема"), ("body", "Текст"), ("urgency", "9")], "urgency"),
                                    ([("subject", "Тема"), ("body", "Текст"), ("type", "incident")], "type")] {
                let form = multipart(fields, files: [("files", "screen.png", png)])
                let refused = try await server.request(.POST, "/api/v1/widget/requests", token: visitor, body: form.body, headers: [("Content-Type", form.contentType)])
                #expect(refused.status == .unprocessableEntity && refused.text.contains("\"\(field)\""), "\(refused.text)")
            }
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM tickets") == tickets)
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM attachments") == 0)

            let form = multipart([("subject", "Отчёт не грузится"), ("body", "Скриншот приложен."), ("type", "problem"), ("urgency", "2"),
                                  ("fields.crm_section", "Сделки")], files: [("files", "screen.png", png)])
            let filed = try await server.request(.POST, "/api/v1/widget/requests", token: visitor, body: form.body, headers: [("Content-Type", form.contentType)])
            #expect(filed.status == .created, "\(filed.text)")
            server.expectConforms(filed.object, to: "WidgetRequest")
            let number = try #require(filed["number"] as? Int)
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)
            #expect(ticket["channel"] as? String == "widget" && ticket["type"] as? String == "problem" && (ticket["fields"] as? [String: String])?["crm_section"] == "Сделки")
            #expect((ticket["requester"] as? [String: Any])?["id"] as? Int == customer.id)
            let listed = try await server.request(.GET, "/api/v1/widget/requests", token: visitor).items
            #expect(listed.map { $0["number"] as? Int } == [number])
            let reply = multipart([("body", "Ещё одна деталь")])
            #expect(try await server.request(.POST, "/api/v1/widget/requests/\(number)/comments", token: visitor, body: reply.body,
                                             headers: [("Content-Type", reply.contentType)]).status == .created)
            let shown = try await server.request(.GET, "/api/v1/widget/requests/\(number)", token: visitor)
            let messages = shown["messages"] as? [[String: Any]] ?? []
            #expect(messages.map { $0["text"] as? String } == ["Скриншот приложен.", "Ещё одна деталь"] && messages.first?["attachments"] as? [String] == ["screen.png"])

            // The host vouches for Anna: she sees both.
            let anna = try #require(try await session(server, ["identity": try await Self.identity("anna@romashka.ru")])["token"] as? String)
            #expect(Set(try await server.request(.GET, "/api/v1/widget/requests", token: anna).items.compactMap { $0["number"] as? Int }) == [old, number])

            // An expired session is refused; a password change ends them all.
            try await server.sql.raw("UPDATE widget_sessions SET expires_at = \(bind: Date().addingTimeInterval(-1)) WHERE user_id = \(bind: customer.id) AND verified = \(bind: false)").run()
            #expect(try await server.request(.GET, "/api/v1/widget/requests", token: visitor).errorCode == "widget_session_invalid")
            #expect(try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: server.adminToken, json: ["password": "another-password-1"]).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/widget/requests", token: anna).status == .unauthorized)
        }
    }

    @Test("chat: refused while nobody is on shift; then a ticket (channel chat) where customer and agent talk over WebSockets; forged sockets, oversized and flooding messages are refused; a ban shuts it; the transcript stays",
          arguments: TestDatabase.all)
    func liveChat(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let agent = try await server.makeUser("petr@zayavka.test", name: "Пётр", role: .agent)
            let manager = try await server.makeUser("boss@zayavka.test", name: "Ольга", role: .manager)
            let opened = try await session(server, ["identity": try await Self.identity("anna@romashka.ru")])
            let token = try #require(opened["token"] as? String)
            #expect(opened["chat_available"] as? Bool == false)
            let offline = try await server.request(.POST, "/api/v1/widget/chats", token: token, json: ["text": "Есть кто?"], headers: [("Accept-Language", "ru")])
            #expect(offline.status == .unprocessableEntity && offline.text.contains("\"offline\"") && offline.text.contains("никого нет"), "\(offline.text)")
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM tickets") == 0)

            #expect(try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: server.adminToken, json: ["on_shift": true]).status == .ok)
            let started = try await server.request(.POST, "/api/v1/widget/chats", token: token, json: ["text": "Здравствуйте! Не открывается отчёт."])
            #expect(started.status == .created, "\(started.text)")
            server.expectConforms(started.object, to: "Chat")
            let number = try #require(started["number"] as? Int)
            #expect(started["state"] as? String == "waiting")
            // A second start while it is open returns the same chat.
            #expect(try await server.request(.POST, "/api/v1/widget/chats", token: token, json: ["text": "Алло?"])["number"] as? Int == number)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)["channel"] as? String == "chat")
            let waiting = try await server.request(.GET, "/api/v1/chats?state=waiting", token: agent.token)
            server.expectConforms(waiting.object, to: "ChatList")
            #expect(waiting.items.map { $0["number"] as? Int } == [number])
            #expect(try await server.request(.GET, "/api/v1/chats", token: token).status == .unauthorized)

            // A socket with a wrong token is told why and closed.
            let forged = try await SocketProbe.connect(server, "/widget/socket")
            try await forged.send(["type": "auth", "token": "zw_forged", "ticket": number])
            try await forged.wait(for: "the refusal") { $0["code"] as? String == "widget_session_invalid" }
            #expect(try await forged.waitClosed())

            let customer = try await SocketProbe.connect(server, "/widget/socket")
            try await customer.send(["type": "auth", "token": token, "ticket": number])
            try await customer.wait(for: "ready") { $0["type"] as? String == "ready" }
            try await customer.wait(for: "the first message") { ($0["message"] as? [String: Any])?["text"] as? String == "Здравствуйте! Не открывается отчёт." }
            try await customer.wait(for: "the waiting state") { $0["type"] as? String == "state" && $0["state"] as? String == "waiting" }

            // The agent answers through the API: the customer's socket shows it, and who took the chat.
            let answer = try await server.request(.POST, "/api/v1/chats/\(number)/messages", token: agent.token, json: ["text": "Добрый день! Смотрю."])
            #expect(answer.status == .created)
            server.expectConforms(answer.object, to: "ChatMessage")
            try await customer.wait(for: "the agent's answer") { ($0["message"] as? [String: Any]).map { $0["text"] as? String == "Добрый день! Смотрю." && $0["from"] as? String == "agent" } ?? false }
            try await customer.wait(for: "the active state") { $0["state"] as? String == "active" && $0["agent"] as? String == "Пётр" }
            #expect(try await server.request(.POST, "/api/v1/chats/\(number)/accept", token: manager.token).status == .conflict)

            try await customer.send(["type": "message", "text": "Отчёт за ноябрь"])
            try await customer.send(["type": "message", "text": String(repeating: "я", count: ChatLimits.maxCharacters + 1)])
            try await customer.wait(for: "too long") { $0["code"] as? String == "too_long" }
            try await customer.wait(for: "the echo") { ($0["message"] as? [String: Any])?["text"] as? String == "Отчёт за ноябрь" }
            let chat = try await server.request(.GET, "/api/v1/chats/\(number)", token: agent.token)
            let transcript = (chat["messages"] as? [[String: Any]] ?? []).map { "\($0["from"] ?? "")|\($0["text"] ?? "")" }
            #expect(transcript == ["customer|Здравствуйте! Не открывается отчёт.", "agent|Добрый день! Смотрю.", "customer|Отчёт за ноябрь"])
            #expect((try await server.request(.GET, "/api/v1/tickets/\(number)", token: server.adminToken)["assignee"] as? [String: Any])?["id"] as? Int == agent.id)

            // A flood: refused beyond the burst, and the socket closed.
            let before = try await count(server, "SELECT COUNT(*) AS n FROM comments")
            let flood = Date()
            for index in 0..<60 { try? await customer.send(["type": "message", "text": "спам \(index)"]) }
            try await customer.wait(for: "too fast") { $0["code"] as? String == "too_fast" }
            #expect(try await customer.waitClosed())
            try await Task.sleep(for: .milliseconds(300))
            // At most the burst and what the rate refilled while the flood was handled (one at a time; slow on a loaded machine).
            let stored = try await count(server, "SELECT COUNT(*) AS n FROM comments") - before
            let allowance = Int(ChatLimits.rate.burst + ChatLimits.rate.rate * Date().timeIntervalSince(flood)) + 1
            #expect(stored >= 1 && stored < 60 && stored <= allowance, "stored \(stored) of a flood of 60 (allowance \(allowance))")

            // A frame over 64 KiB closes the socket; nothing is stored.
            let big = try await SocketProbe.connect(server, "/widget/socket")
            try await big.send(["type": "auth", "token": token, "ticket": number])
            try await big.wait(for: "ready") { $0["type"] as? String == "ready" }
            let comments = try await count(server, "SELECT COUNT(*) AS n FROM comments")
            try? await big.socket.send(String(repeating: "x", count: ChatLimits.maxFrameBytes + 10))
            #expect(try await big.waitClosed())
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM comments") == comments)

            // A ban refuses the chat and the widget; the transcript stays.
            let ban = try await server.request(.POST, "/api/v1/bans", token: manager.token, json: ["scope": "email", "value": "anna@romashka.ru", "reason": "Хамство в чате"])
            #expect(ban.status == .created, "\(ban.text)")
            #expect(try await server.request(.POST, "/api/v1/widget/chats/\(number)/messages", token: token, json: ["text": "Ну?"]).errorCode == "banned")
            #expect(try await session(server, ["identity": try await Self.identity("anna@romashka.ru")]).errorCode == "banned")
            let again = try await SocketProbe.connect(server, "/widget/socket")
            try await again.send(["type": "auth", "token": token, "ticket": number])
            try await again.wait(for: "the ban") { $0["code"] as? String == "banned" }
            #expect(try await again.waitClosed())
            // Lifting it restores the widget and the chat at once.
            let banID = try #require(ban["id"] as? Int)
            #expect(try await server.request(.POST, "/api/v1/bans/\(banID)/lift", token: manager.token, json: ["reason": "Извинилась"]).status == .ok)
            #expect(try await session(server, ["identity": try await Self.identity("anna@romashka.ru")]).status == .created)
            #expect(try await server.request(.POST, "/api/v1/widget/chats/\(number)/messages", token: token, json: ["text": "Извините"]).status == .created)

            let ended = try await server.request(.POST, "/api/v1/chats/\(number)/end", token: agent.token)
            #expect(ended["state"] as? String == "ended")
            #expect(try await server.request(.POST, "/api/v1/chats/\(number)/messages", token: agent.token, json: ["text": "Ещё?"]).status == .conflict)
            #expect((try await server.request(.GET, "/api/v1/chats/\(number)", token: agent.token)["messages"] as? [[String: Any]])?.count == 4 + stored)
            // Chat lines are not mailed one by one.
            #expect(try await count(server, "SELECT COUNT(*) AS n FROM mail_outbox WHERE subject LIKE '%Смотрю%'") == 0)
        }
    }

    @Test("the agents' console gets a new waiting chat live over its socket (same origin only); the portal's chat page carries a session for the signed-in customer",
          arguments: TestDatabase.all)
    func consoleAndPortal(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let agent = try await server.makeUser("petr@zayavka.test", name: "Пётр", role: .agent)
            _ = try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: server.adminToken, json: ["on_shift": true])
            _ = try await server.makeUser("anna@romashka.ru", name: "Анна", role: .customer)
            let web = WebClient(server)
            try await web.signIn("petr@zayavka.test", "password-petr@zayavka.test")
            let page = try await web.get("/agent/chats")
            #expect(page.status == .ok && page.html.contains("id=\"chat-console\""))
            let cookie = web.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            // WebSocketKit's client sends `Host` without the port (browsers send both with it): the Origin matches that.
            let host = "127.0.0.1"
            // Another site cannot open the agents' socket with their cookie.
            await #expect(throws: (any Error).self) {
                _ = try await SocketProbe.connect(server, "/agent/chats/socket", headers: ["Cookie": cookie, "Origin": "https://evil.example"])
            }
            let console = try await SocketProbe.connect(server, "/agent/chats/socket", headers: ["Cookie": cookie, "Origin": "http://" + host])
            try await console.wait(for: "the empty list") { $0["type"] as? String == "chats" }

            let portal = WebClient(server)
            try await portal.signIn("anna@romashka.ru", "password-anna@romashka.ru")
            let chatPage = try await portal.get("/portal/chat")
            #expect(chatPage.status == .ok && chatPage.html.contains("data-mode=\"portal\"") && chatPage.html.contains("data-token=\"zw_"))
            let token = try #require(chatPage.html.range(of: #"zw_[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(chatPage.html[$0]) })
            let started = try await server.request(.POST, "/api/v1/widget/chats", token: token, json: ["text": "Вопрос с портала"])
            let number = try #require(started["number"] as? Int)
            try await console.wait(for: "the waiting chat") { frame in
                (frame["items"] as? [[String: Any]])?.contains { $0["number"] as? Int == number && $0["state"] as? String == "waiting" && $0["customer"] as? String == "Анна" } ?? false
            }
            try await console.send(["type": "watch", "ticket": number])
            try await console.wait(for: "the transcript") { ($0["message"] as? [String: Any])?["text"] as? String == "Вопрос с портала" }
            try await console.send(["type": "message", "ticket": number, "text": "Отвечаю из консоли"])
            try await console.wait(for: "the echo") { ($0["message"] as? [String: Any])?["text"] as? String == "Отвечаю из консоли" }
            #expect(try await web.get("/agent/chats").html.contains("№\(number)"))
            #expect(try await portal.get("/agent/chats").status == .forbidden)
            try await console.socket.close()
        }
    }

    @Test("two instances on PostgreSQL: the customer's socket on one gets the agent's message written on the other")
    func twoInstances() async throws {
        guard let postgres = TestDatabase.all.first(where: { if case .postgres = $0 { true } else { false } }) else { return }
        try await TestServer.with(postgres, environment: Self.environment) { first in
            try await TestServer.with(postgres, environment: Self.environment, sharing: first) { second in
                let agent = try await first.makeUser("petr@zayavka.test", name: "Пётр", role: .agent)
                _ = try await first.request(.PATCH, "/api/v1/users/\(agent.id)", token: first.adminToken, json: ["on_shift": true])
                let token = try #require(try await session(first, ["identity": try await Self.identity("anna@romashka.ru")])["token"] as? String)
                let number = try #require(try await first.request(.POST, "/api/v1/widget/chats", token: token, json: ["text": "Привет"])["number"] as? Int)
                let customer = try await SocketProbe.connect(first, "/widget/socket")
                try await customer.send(["type": "auth", "token": token, "ticket": number])
                try await customer.wait(for: "ready") { $0["type"] as? String == "ready" }
                #expect(try await second.request(.POST, "/api/v1/chats/\(number)/messages", token: agent.token, json: ["text": "С другого экземпляра"]).status == .created)
                try await customer.wait(for: "the other instance's message") { ($0["message"] as? [String: Any])?["text"] as? String == "С другого экземпляра" }
                try await customer.wait(for: "the active state") { $0["state"] as? String == "active" }
                try await customer.socket.close()
            }
        }
    }
}
