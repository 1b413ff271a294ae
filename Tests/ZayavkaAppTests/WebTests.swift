import Foundation
import Plot
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// A browser stand-in: keeps cookies, reads the form token from pages, posts forms.
final class WebClient: @unchecked Sendable {
    // Used from one test at a time.
    let server: TestServer
    var cookies: [String: String] = [:]
    var acceptLanguage = "ru"

    init(_ server: TestServer) { self.server = server }

    struct Page {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let html: String
        var location: String? { headers.first(name: .location) }
        /// The value of the first `_csrf` field on the page.
        var csrf: String? {
            guard let range = html.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
            return String(html[range].dropFirst(#"name="_csrf" value=""#.count).dropLast())
        }
    }

    private func remember(_ headers: HTTPHeaders) {
        for header in headers[.setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            if header.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
    }

    private var cookieHeader: (String, String) { ("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }

    func get(_ path: String) async throws -> Page {
        let reply = try await server.request(.GET, path, headers: [cookieHeader, ("Accept", "text/html"), ("Accept-Language", acceptLanguage)])
        remember(reply.headers)
        return Page(status: reply.status, headers: reply.headers, html: reply.text)
    }

    /// Posts a multipart form (files as (field, filename, bytes)).
    func post(_ path: String, _ fields: [(String, String)], files: [(String, String, Data)] = []) async throws -> Page {
        let boundary = "----zayavka\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (name, filename, data) in files {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        let reply = try await server.request(.POST, path, body: body, headers: [
            cookieHeader, ("Accept", "text/html"), ("Accept-Language", acceptLanguage), ("Content-Type", "multipart/form-data; boundary=\(boundary)"),
        ])
        remember(reply.headers)
        return Page(status: reply.status, headers: reply.headers, html: reply.text)
    }

    /// Signs in through the form; returns the redirect target.
    @discardableResult
    func signIn(_ email: String, _ password: String) async throws -> Page {
        let form = try await get("/sign-in")
        return try await post("/sign-in", [("_csrf", form.csrf ?? ""), ("email", email), ("password", password)])
    }
}

@Suite("Web pages: sessions, forms, errors", .serialized)
struct WebTests {
    @Test("sign-in needs the form token; sessions are HTTP-only cookies that end on sign-out and on expiry", arguments: TestDatabase.all)
    func sessions(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            _ = try await server.makeUser("anna@a.ru", name: "Анна", role: .customer)
            let web = WebClient(server)
            let forged = try await web.post("/sign-in", [("_csrf", "not-the-token"), ("email", "anna@a.ru"), ("password", "password-anna@a.ru")])
            #expect(forged.status == .forbidden)
            #expect(forged.html.contains("Форма устарела"))
            #expect(web.cookies[WebCookies.session] == nil)

            let wrong = try await web.signIn("anna@a.ru", "wrong-password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.html.contains("Неверная почта или пароль"))

            let signedIn = try await web.signIn("anna@a.ru", "password-anna@a.ru")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.location == "/portal")
            let cookie = try #require(signedIn.headers[.setCookie].first { $0.hasPrefix(WebCookies.session + "=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            let stored = try await server.sql.raw("SELECT token_hash FROM web_sessions").all()
            #expect(stored.count == 1)
            #expect(try stored[0].decode(column: "token_hash", as: String.self) != web.cookies[WebCookies.session], "only a hash is stored")
            let portal = try await web.get("/portal")
            #expect(portal.status == .ok)
            #expect(portal.html.contains("Мои заявки") && portal.html.contains("0 заявок"))

            // A form from the session needs the session's token, not the visitor's.
            let page = try await web.get("/portal/new")
            let noToken = try await web.post("/portal/new", [("subject", "x"), ("body", "y")])
            #expect(noToken.status == .forbidden)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self) == 0)
            #expect(page.csrf != nil)

            // Expired: the page sends the person to sign in, saying why.
            try await server.sql.raw("UPDATE web_sessions SET expires_at = \(bind: Date().addingTimeInterval(-1))").run()
            let expired = try await web.get("/portal")
            #expect(expired.status == .seeOther)
            #expect(expired.location?.contains("/sign-in") == true && expired.location?.contains("notice=expired") == true)
            let signInPage = try await web.get(expired.location!)
            #expect(signInPage.html.contains("Сеанс истёк"))

            // Sign-out removes the session.
            try await web.signIn("anna@a.ru", "password-anna@a.ru")
            let portalAgain = try await web.get("/portal")
            let out = try await web.post("/sign-out", [("_csrf", portalAgain.csrf ?? "")])
            #expect(out.status == .seeOther)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM web_sessions WHERE expires_at > \(bind: Date())").first()!
                .decode(column: "n", as: Int.self) == 0)
            #expect(try await web.get("/portal").status == .seeOther)
        }
    }

    @Test("a refused form keeps what was typed; too large a file is a 413 page and leaves nothing", arguments: TestDatabase.all)
    func forms(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: ["ZAYAVKA_MAX_ATTACHMENT_MB": "1"]) { server in
            _ = try await server.makeUser("anna@a.ru", name: "Анна", role: .customer)
            let web = WebClient(server)
            try await web.signIn("anna@a.ru", "password-anna@a.ru")
            let form = try await web.get("/portal/new")
            let token = try #require(form.csrf)
            let refused = try await web.post("/portal/new", [("_csrf", token), ("subject", ""), ("body", "Текст, который нельзя терять <b>")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Текст, который нельзя терять &lt;b&gt;"))
            #expect(refused.html.contains("обязательное поле"))

            let big = Data(repeating: 0x41, count: 1_048_576 + 10)
            let tooLarge = try await web.post("/portal/new", [("_csrf", token), ("subject", "Файл"), ("body", "Большой файл")],
                                              files: [("files", "big.bin", big)])
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.html.contains("Файл слишком большой"))
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self) == 0)
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM attachments").first()!.decode(column: "n", as: Int.self) == 0)
            let files = FileManager.default.enumerator(atPath: server.dataDirectory.appendingPathComponent("attachments").path)?
                .compactMap { $0 as? String }.filter { !$0.hasSuffix("/") && $0.split(separator: "/").count == 3 } ?? []
            #expect(files.isEmpty, "no file left behind: \(files)")

            let accepted = try await web.post("/portal/new", [("_csrf", token), ("subject", "Снимок"), ("body", "См. файл"), ("urgency", "3")],
                                              files: [("files", "снимок.txt", Data("hello".utf8))])
            #expect(accepted.status == .seeOther)
            let number = try #require(accepted.location?.split(separator: "/").last?.split(separator: "?").first.flatMap { Int($0) })
            #expect(accepted.location == "/portal/requests/\(number)?notice=created")
            let page = try await web.get(accepted.location!)
            #expect(page.html.contains("снимок.txt · 5 Б"))
            #expect(page.html.contains("Заявка создана"))
        }
    }

    @Test("pages escape hostile text; customers are kept out of the console; errors are pages in the reader's language",
          arguments: TestDatabase.all)
    func hostileAndErrors(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("anna@a.ru", name: "<img src=x onerror=alert(1)>", role: .customer)
            _ = try await server.makeUser("agent@s.ru", name: "Агент", role: .agent)
            let hostile = #"<script>alert("x")</script> "quoted" &lt;kept&gt;"#
            let number = try #require(try await server.makeTicket(token: customer.token, subject: hostile)["number"] as? Int)
            let agent = WebClient(server)
            try await agent.signIn("agent@s.ru", "password-agent@s.ru")
            let ticket = try await agent.get("/agent/tickets/\(number)")
            #expect(ticket.status == .ok)
            #expect(!ticket.html.contains("<script>alert"))
            #expect(!ticket.html.contains("<img src=x"))
            #expect(ticket.html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &quot;quoted&quot; &amp;lt;kept&amp;gt;"))
            let queue = try await agent.get("/agent/queues/unassigned")
            #expect(queue.html.contains("id=\"ticket-\(number)\""))
            #expect(!queue.html.contains("<script>alert"))

            let anna = WebClient(server)
            try await anna.signIn("anna@a.ru", "password-anna@a.ru")
            let console = try await anna.get("/agent/queues/open")
            #expect(console.status == .forbidden)
            #expect(console.html.contains("Нет доступа"))
            anna.acceptLanguage = "en"
            let missing = try await anna.get("/portal/requests/999999")
            #expect(missing.status == .notFound)
            #expect(missing.html.contains("Страница не найдена"), "the person's own setting (ru) wins over the browser")
            let visitor = WebClient(server)
            visitor.acceptLanguage = "en-US,en;q=0.9"
            let unknown = try await visitor.get("/no/such/page")
            #expect(unknown.status == .notFound)
            #expect(unknown.html.contains("Page not found"))
            let signIn = try await visitor.get("/sign-in")
            #expect(signIn.html.contains("Sign in to the help desk"))
        }
    }
}

@Suite("Canned responses", .serialized)
struct CannedResponseTests {
    @Test("seed 002's phrases are shipped; agents read them, managers edit them, customers get 403", arguments: TestDatabase.all)
    func api(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let agent = try await server.makeUser("agent@s.ru", role: .agent)
            let manager = try await server.makeUser("boss@s.ru", role: .manager)
            let customer = try await server.makeUser("anna@a.ru", role: .customer)
            let list = try await server.request(.GET, "/api/v1/canned-responses", token: agent.token)
            #expect(list.status == .ok)
            #expect(list.items.count == 5)
            #expect(list.items.contains { ($0["body"] as? String)?.hasPrefix("Передали заявку программистам") == true })
            #expect(try await server.request(.GET, "/api/v1/canned-responses", token: customer.token).status == .forbidden)
            let refused = try await server.request(.POST, "/api/v1/canned-responses", token: agent.token, json: ["title": "x", "body": "y"])
            #expect(refused.status == .forbidden)
            let invalid = try await server.request(.POST, "/api/v1/canned-responses", token: manager.token, json: ["title": "Пусто"])
            #expect(invalid.status == .unprocessableEntity)
            let created = try await server.request(.POST, "/api/v1/canned-responses", token: manager.token,
                                                   json: ["title": "Приветствие", "body": "Здравствуйте! Разбираемся."])
            #expect(created.status == .created)
            let id = try #require(created["id"] as? Int)
            #expect(created["position"] as? Int == 6)
            let changed = try await server.request(.PATCH, "/api/v1/canned-responses/\(id)", token: manager.token, json: ["body": "Добрый день!"])
            #expect(changed["body"] as? String == "Добрый день!" && changed["title"] as? String == "Приветствие")
            #expect(try await server.request(.DELETE, "/api/v1/canned-responses/\(id)", token: manager.token).status == .noContent)
            #expect(try await server.request(.DELETE, "/api/v1/canned-responses/\(id)", token: manager.token).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/canned-responses", token: agent.token).items.count == 5)
        }
    }
}

@Suite("Web views: model to HTML")
struct WebViewTests {
    let ctx = PageContext(l: L(.ru), signedIn: nil, csrf: "token", path: "/portal", now: Date(timeIntervalSince1970: 1_800_000_000))

    @Test("large numbers and capped queue counts read naturally in both languages")
    func numbers() {
        #expect(L(.ru).number(10_000) == "10\u{00A0}000" && L(.en).number(1_234_567) == "1,234,567" && L(.en).number(999) == "999")
        #expect(QueueController.countLabel(10_001, L(.ru)) == "10\u{00A0}000+" && QueueController.countLabel(42, L(.en)) == "42")
    }

    @Test("every typed path matches its own route pattern")
    func paths() {
        let samples: [SitePath] = [.home, .signIn, .signOut, .language, .portal, .portalNew, .portalRequest(12), .portalReply(12),
                                   .portalSolved(12), .portalReopen(12), .agent, .queue("mine"), .agentTicket(7), .agentComment(7),
                                   .agentFields(7), .agentNew, .agentBulk, .file("abc"), .adminCanned, .adminCannedSave,
                                   .adminCannedDelete(3), .adminUsers, .adminUserSave, .asset("app.css"), .agentPlan(7), .workload,
                                   .adminWorkingTime, .adminCalendarSave, .adminCalendarDays, .adminPolicySave, .adminPolicyTemplate]
        for path in samples {
            let parts = path.path.split(separator: "/").map(String.init)
            let pattern = path.route.map(\.description)
            #expect(parts.count == pattern.count, "\(path)")
            for (part, component) in zip(parts, pattern) {
                #expect(component.hasPrefix(":") || component == part, "\(path): \(part) vs \(component)")
            }
        }
    }

    @Test("the escaper leaves nothing a browser would read as markup")
    func escaping() {
        #expect(Escape.html(#"<a href="x">'&amp;'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;amp;&#39;&lt;/a&gt;")
        let node: Node<HTML.BodyContext> = .div(.attr("title", #"" onmouseover="alert(1)"#), .t("<b>"))
        let html = node.render()
        #expect(html == #"<div title="&quot; onmouseover=&quot;alert(1)">&lt;b&gt;</div>"#)
    }

    @Test("the request form asks every customer-visible intake question and no agent-only one")
    func requestForm() {
        let intake = IntakeFieldDefinition.seedDefaults + [IntakeFieldDefinition(key: "internal_code", kind: .text, labelRu: "Внутренний код",
                                                                                 labelEn: "Internal code", customerVisible: false)]
        let html = RequestFormView.render(RequestFormModel(intake: intake), ctx).render()
        for field in intake where field.customerVisible { #expect(html.contains(#"name="fields.\#(field.key)""#), "\(field.key)") }
        #expect(!html.contains("internal_code"))
        #expect(html.contains(#"enctype="multipart/form-data""#))
        #expect(html.contains(#"name="_csrf" value="token""#))
        for urgency in Urgency.all { #expect(html.contains(Escape.html(urgency.definition(.ru)))) }
    }

    @Test("lists count tickets with Russian plurals")
    func plurals() {
        let l = L(.ru)
        #expect(l.tickets(1) == "1 заявка")
        #expect(l.tickets(2) == "2 заявки")
        #expect(l.tickets(5) == "5 заявок")
        #expect(l.tickets(21) == "21 заявка")
        #expect(l.tickets(111) == "111 заявок")
        #expect(L(.en).tickets(1) == "1 ticket")
        let model = PortalListModel(items: [], total: 3, nextCursor: nil, showAll: false)
        #expect(PortalListView.render(model, ctx).render().contains("3 заявки"))
    }

    @Test("dates are shown in the reader's time zone")
    func dates() {
        let date = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15 08:00 UTC
        #expect(L(.ru).dateTime(date) == "15.01.2027 11:00")
        #expect(L(.en, timeZone: TimeZone(identifier: "Asia/Vladivostok")!).dateTime(date) == "15 Jan 2027 18:00")
        #expect(L(.ru).due(date.addingTimeInterval(-300), now: date) == "просрочено на 5 минут")
        #expect(L(.en).due(date.addingTimeInterval(7200), now: date) == "in 2 hours")
    }

    @Test("the conversation shows internal notes as notes and folds events in by time")
    func timeline() {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let reply = CommentDTO(id: 1, body: "Ответ", public: true, author: PersonRef(id: 2, name: "Агент"), source: .web, createdAt: t0, attachments: [])
        let note = CommentDTO(id: 2, body: "Заметка", public: false, author: PersonRef(id: 2, name: "Агент"), source: .web,
                              createdAt: t0.addingTimeInterval(120), attachments: [])
        let event = EventDTO(id: 1, kind: "status_changed", field: "status", before: "new", after: "open", actor: PersonRef(id: 2, name: "Агент"),
                             commentId: nil, createdAt: t0.addingTimeInterval(60))
        let model = TimelineModel(comments: [note, reply], events: [event], statusNames: ["new": "Новая", "open": "В работе"], peopleNames: [:])
        let html = TimelineView.render(model, ctx).render()
        let replyAt = html.range(of: "Ответ")!.lowerBound
        let eventAt = html.range(of: "«Новая» → «В работе»")!.lowerBound
        let noteAt = html.range(of: "Заметка")!.lowerBound
        #expect(replyAt < eventAt && eventAt < noteAt)
        #expect(html.contains(#"class="entry note" id="comment-2""#))
        #expect(html.contains(#"class="entry reply" id="comment-1""#))
    }
}
