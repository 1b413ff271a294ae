import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

/// The knowledge base and search through the API (issue 17), on SQLite and PostgreSQL alike.
@Suite("Knowledge base and search", .serialized)
struct KnowledgeBaseTests {
    func q(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    func article(_ server: TestServer, _ fields: [String: Any], token: String? = nil) async throws -> [String: Any] {
        let reply = try await server.request(.POST, "/api/v1/kb/articles", token: token ?? server.adminToken, json: fields)
        #expect(reply.status == .created, "\(reply.text)")
        server.expectConforms(reply.json, to: "Article")
        return reply.object
    }

    func titles(_ reply: TestServer.Reply) -> [String] { reply.items.compactMap { $0["title"] as? String } }

    @Test("inflected forms find each other; each reader finds only what they may read; title matches rank first", arguments: TestDatabase.all)
    func articleSearch(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let category = try await server.request(.POST, "/api/v1/kb/categories", token: server.adminToken,
                                                    json: ["name_ru": "Касса", "name_en": "Till"])
            #expect(category.status == .created, "\(category.text)")
            server.expectConforms(category.json, to: "ArticleCategory")
            let categoryID = try #require(category["id"] as? Int)

            let shift = try await article(server, ["title": "Как закрыть кассовую смену", "category_id": categoryID, "status": "published",
                                                   "body": "Откройте меню **Смена** и нажмите «Закрыть». Отчёт о закрытии печатается сам.",
                                                   "tags": ["касса", "смена"]])
            #expect(shift["slug"] as? String == "kak-zakryt-kassovuyu-smenu")
            #expect((shift["html"] as? String)?.contains("<strong>Смена</strong>") == true)
            _ = try await article(server, ["title": "Настройка принтеров", "status": "published",
                                           "body": "Если принтер не печатает отчёты, проверьте кабель. Кассовая смена тут ни при чём."])
            _ = try await article(server, ["title": "Тарифы для клиентов", "status": "published", "audience": "customers",
                                           "body": "Цены на принтеры и обслуживание."])
            let staffOnly = try await article(server, ["title": "Пароль сервисного инженера для принтеров", "status": "published", "audience": "staff",
                                                       "body": "Внутренняя инструкция: пароль 1234."])
            let draft = try await article(server, ["title": "Черновик про принтер", "body": "Ещё не готово."])
            #expect(draft["status"] as? String == "draft")

            // «кассовой смены» finds «кассовую смену» (title) before the body mention.
            let anonymous = try await server.request(.GET, "/api/v1/search/articles?q=\(q("кассовой смены"))")
            #expect(anonymous.status == .ok, "\(anonymous.text)")
            server.expectConforms(anonymous.json, to: "ArticleSearchResult")
            #expect(titles(anonymous) == ["Как закрыть кассовую смену", "Настройка принтеров"])
            let snippet = try #require(anonymous.items.last?["snippet"] as? String)
            #expect(snippet.contains("<mark>Кассовая</mark> <mark>смена</mark>"), "\(snippet)")
            // ё = е, plural genitive finds singular.
            let reports = try await server.request(.GET, "/api/v1/search/articles?q=\(q("отчетов"))")
            #expect(Set(titles(reports)) == ["Как закрыть кассовую смену", "Настройка принтеров"])

            // Audiences: anonymous sees public, the customer also customers', staff everything published.
            let forAnonymous = titles(try await server.request(.GET, "/api/v1/search/articles?q=\(q("принтеры"))"))
            #expect(forAnonymous == ["Настройка принтеров"])
            let forCustomer = titles(try await server.request(.GET, "/api/v1/search/articles?q=\(q("принтеры"))", token: customer.token))
            #expect(Set(forCustomer) == ["Настройка принтеров", "Тарифы для клиентов"])
            let forStaff = titles(try await server.request(.GET, "/api/v1/search/articles?q=\(q("принтеры"))", token: server.adminToken))
            #expect(Set(forStaff) == ["Настройка принтеров", "Тарифы для клиентов", "Пароль сервисного инженера для принтеров"])
            #expect(forStaff.first == "Настройка принтеров" || forStaff.first == "Пароль сервисного инженера для принтеров")

            // A staff-only article or a draft is not found for a customer or a visitor.
            for id in [staffOnly["id"] as! Int, draft["id"] as! Int] {
                #expect(try await server.request(.GET, "/api/v1/kb/articles/\(id)").status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/kb/articles/\(id)", token: customer.token).status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/kb/articles/\(id)", token: server.adminToken).status == .ok)
            }
            // The listing follows the same rule.
            let listed = try await server.request(.GET, "/api/v1/kb/articles")
            server.expectConforms(listed.json, to: "ArticleSummaryList")
            #expect(Set(titles(listed)) == ["Как закрыть кассовую смену", "Настройка принтеров"])
            let categories = try await server.request(.GET, "/api/v1/kb/categories")
            #expect(categories.items.first?["articles"] as? Int == 1)

            // Query syntax is text, long and empty queries are answered, never an error.
            for raw in ["\"принтер", "принт*", "-принтер", "принтер OR смена", "(принтер", "NEAR(a b)", "a:b", "' OR 1=1 --", "🙂", "",
                        String(repeating: "принтер ", count: 1250)] {
                let reply = try await server.request(.GET, "/api/v1/search/articles?q=\(q(raw))")
                #expect(reply.status == .ok, "\(raw.prefix(30)): \(reply.text.prefix(200))")
            }
            #expect(titles(try await server.request(.GET, "/api/v1/search/articles?q=")) == [])
            // Typing: an unfinished word matches as a beginning.
            let typing = try await server.request(.GET, "/api/v1/search/articles?q=\(q("как закры"))&prefix=true&mode=any")
            #expect(titles(typing).first == "Как закрыть кассовую смену")
            let bad = try await server.request(.GET, "/api/v1/search/articles?q=x&limit=0&mode=some")
            #expect(bad.status == .unprocessableEntity)
        }
    }

    @Test("ticket search: subjects, descriptions and replies in any form; notes for staff only; a customer finds only their own", arguments: TestDatabase.all)
    func ticketSearch(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let olga = try await server.makeUser("olga@client.ru", name: "Ольга", role: .customer)
            let ivan = try await server.makeUser("ivan@other.ru", name: "Иван", role: .customer)
            let agent = try await server.makeUser("agent@desk.ru", name: "Агент", role: .agent)
            let mine = try await server.request(.POST, "/api/v1/tickets", token: olga.token,
                                                json: ["subject": "Не работают принтеры в бухгалтерии", "body": "Оба аппарата молчат с утра."])
            let mineNumber = try #require(mine["number"] as? Int)
            let theirs = try await server.request(.POST, "/api/v1/tickets", token: ivan.token,
                                                  json: ["subject": "Вопрос по счёту", "body": "Принтер в офисе тоже не печатает."])
            let theirsNumber = try #require(theirs["number"] as? Int)
            let note = try await server.request(.POST, "/api/v1/tickets/\(mineNumber)/comments", token: agent.token,
                                                json: ["body": "Внутреннее: сервисный пароль от принтера — у Петрова.", "public": false])
            #expect(note.status == .created, "\(note.text)")

            // Staff: subject match first, then the newer body match.
            let staff = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("принтер"))", token: agent.token)
            #expect(staff.status == .ok, "\(staff.text)")
            server.expectConforms(staff.json, to: "TicketSearchResult")
            #expect(staff.items.map { $0["number"] as? Int } == [mineNumber, theirsNumber])
            #expect(staff.items.first?["matched_in"] as? String == "subject")
            #expect((staff.items.first?["subject_html"] as? String)?.contains("<mark>принтеры</mark>") == true)
            #expect((staff.items.last?["snippet"] as? String)?.contains("<mark>Принтер</mark>") == true)
            // The internal note: staff find it, the customer does not.
            let secret = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("паролем"))", token: agent.token)
            #expect(secret.items.map { $0["number"] as? Int } == [mineNumber])
            #expect(try await server.request(.GET, "/api/v1/search/tickets?q=\(q("пароль"))", token: olga.token).items.isEmpty)
            // A customer finds only their own request.
            let own = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("принтеры"))", token: olga.token)
            #expect(own.items.map { $0["number"] as? Int } == [mineNumber])
            // A public reply is found as soon as it is written.
            _ = try await server.request(.POST, "/api/v1/tickets/\(theirsNumber)/comments", token: agent.token,
                                         json: ["body": "Замените картридж и перезагрузите аппарат.", "public": true])
            #expect(try await server.request(.GET, "/api/v1/search/tickets?q=\(q("картриджи"))", token: ivan.token).items.map { $0["number"] as? Int } == [theirsNumber])
            // A changed subject is searched at once, the old one no longer.
            let patched = try await server.request(.PATCH, "/api/v1/tickets/\(theirsNumber)", token: agent.token, json: ["subject": "Сканер не сканирует"])
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(try await server.request(.GET, "/api/v1/search/tickets?q=\(q("сканеры"))", token: agent.token).items.first?["matched_in"] as? String == "subject")
            #expect(try await server.request(.GET, "/api/v1/search/tickets?q=\(q("счет"))", token: agent.token).items.isEmpty)
            // Filters of the ticket list apply.
            let filtered = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("принтер"))&status=closed", token: agent.token)
            #expect(filtered.status == .ok && filtered.items.isEmpty)

            // Rebuilding the index gives the same answers.
            let before = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("принтер"))", token: agent.token).items.map { $0["number"] as? Int }
            try await SearchIndex.rebuild(on: server.sql)
            let after = try await server.request(.GET, "/api/v1/search/tickets?q=\(q("принтер"))", token: agent.token).items.map { $0["number"] as? Int }
            #expect(before == after && !after.isEmpty)

            // Erasure: the customer's words leave the index.
            let erased = try await server.request(.POST, "/api/v1/users/\(olga.id)/erase", token: server.adminToken, json: ["reason": "запрос клиента"])
            #expect(erased.status == .ok, "\(erased.text)")
            #expect(try await server.request(.GET, "/api/v1/search/tickets?q=\(q("бухгалтерии"))", token: agent.token).items.isEmpty)
        }
    }

    @Test("every save is a revision; a diff shows what changed; restore makes an old one current as a new revision", arguments: TestDatabase.all)
    func revisions(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let agent = try await server.makeUser("agent@desk.ru", name: "Агент", role: .agent)
            let created = try await article(server, ["title": "Печать чека", "body": "Шаг 1\nШаг 2\nШаг 3", "status": "published"], token: agent.token)
            let id = try #require(created["id"] as? Int)
            let first = try await server.request(.PATCH, "/api/v1/kb/articles/\(id)", token: agent.token,
                                                 json: ["body": "Шаг 1\nШаг 2 исправлен\nШаг 3", "note": "уточнил второй шаг"])
            #expect(first["revision"] as? Int == 2)
            // A save that changes nothing makes no revision.
            let same = try await server.request(.PATCH, "/api/v1/kb/articles/\(id)", token: agent.token, json: ["body": "Шаг 1\nШаг 2 исправлен\nШаг 3"])
            #expect(same["revision"] as? Int == 2)
            _ = try await server.request(.PATCH, "/api/v1/kb/articles/\(id)", token: agent.token, json: ["title": "Печать чека на кассе"])
            let list = try await server.request(.GET, "/api/v1/kb/articles/\(id)/revisions", token: agent.token)
            server.expectConforms(list.json, to: "ArticleRevisionList")
            #expect(list.items.map { $0["number"] as? Int } == [3, 2, 1])
            #expect(list.items[1]["note"] as? String == "уточнил второй шаг")
            let diff = try await server.request(.GET, "/api/v1/kb/articles/\(id)/revisions/2", token: agent.token)
            server.expectConforms(diff.json, to: "ArticleRevisionDiff")
            let lines = try #require(diff["body"] as? [[String: Any]])
            #expect(lines.filter { $0["kind"] as? String == "added" }.map { $0["text"] as? String } == ["Шаг 2 исправлен"])
            #expect(lines.filter { $0["kind"] as? String == "removed" }.map { $0["text"] as? String } == ["Шаг 2"])
            let restored = try await server.request(.POST, "/api/v1/kb/articles/\(id)/revisions/1/restore", token: agent.token)
            #expect(restored.status == .ok, "\(restored.text)")
            #expect(restored["revision"] as? Int == 4)
            #expect(restored["body"] as? String == "Шаг 1\nШаг 2\nШаг 3")
            #expect(restored["title"] as? String == "Печать чека")
            // The restored text is what search finds.
            let found = try await server.request(.GET, "/api/v1/search/articles?q=\(q("кассе"))")
            #expect(found.items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/kb/articles/\(id)/revisions/9", token: agent.token).status == .notFound)
            // Customers see no revisions.
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            #expect(try await server.request(.GET, "/api/v1/kb/articles/\(id)/revisions", token: customer.token).status == .notFound)
        }
    }

    @Test("bad input is refused with reasons and writes nothing; translations, votes, images, the bot menu, deflection", arguments: TestDatabase.all)
    func writingRules(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let invalid = try await server.request(.POST, "/api/v1/kb/articles", token: admin,
                                                   json: ["title": "", "body": " ", "audience": "everyone", "slug": "Not A Slug", "category_id": 999])
            #expect(invalid.status == .unprocessableEntity)
            let fields = Set(((invalid["error"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["title", "body", "audience", "slug", "category_id"])
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM kb_articles").first()!.decode(column: "n", as: Int.self) == 0)
            #expect(try await server.request(.POST, "/api/v1/kb/articles", token: customer.token, json: ["title": "x", "body": "y"]).status == .forbidden)

            let ru = try await article(server, ["title": "Как сбросить пароль", "body": "Нажмите «Забыли пароль?».", "status": "published"])
            let ruID = try #require(ru["id"] as? Int)
            let taken = try await server.request(.POST, "/api/v1/kb/articles", token: admin, json: ["title": "Другое", "body": "x", "slug": "kak-sbrosit-parol"])
            #expect(taken.status == .conflict)
            let en = try await article(server, ["title": "How to reset a password", "body": "Press “Forgot password?”.", "language": "en",
                                                "translation_of": ruID, "status": "published"])
            #expect((en["translations"] as? [[String: Any]])?.first?["id"] as? Int == ruID)
            let second = try await server.request(.POST, "/api/v1/kb/articles", token: admin,
                                                  json: ["title": "Another English", "body": "x", "language": "en", "translation_of": ruID])
            #expect(second.status == .unprocessableEntity)
            // English morphology.
            let english = try await server.request(.GET, "/api/v1/search/articles?q=\(q("resetting passwords"))&language=en")
            #expect(titles(english) == ["How to reset a password"])

            // The acknowledgement of a new request lists the articles that may answer it.
            let asked = try await server.request(.POST, "/api/v1/tickets", token: customer.token, json: ["subject": "Не могу сбросить пароль", "body": "Помогите."])
            #expect(asked.status == .created)
            try await MailNotifier.run(app: server.app)
            let row = try await server.sql.raw("SELECT raw FROM mail_outbox WHERE kind = 'ticket_created' AND to_address = 'c@client.ru'").first()
            let ack = try MIMEParser.parse(Array(try #require(row).decode(column: "raw", as: Data.self)))
            #expect(ack.text.contains("Возможно, ответ уже есть в базе знаний:\n— Как сбросить пароль\n"), "\(ack.text)")
            #expect(ack.text.contains("/kb/articles/kak-sbrosit-parol"))

            // Votes from anyone who may read it.
            let vote = try await server.request(.POST, "/api/v1/kb/articles/\(ruID)/vote", json: ["helpful": true])
            #expect(vote.status == .ok && vote["helpful_yes"] as? Int == 1)
            #expect(try await server.request(.POST, "/api/v1/kb/articles/999999/vote", json: ["helpful": true]).status == .notFound)

            // Images: real ones only.
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)
            let image = try await server.request(.POST, "/api/v1/kb/images?filename=shot.png", token: admin, body: Data(png),
                                                 headers: [("Content-Type", "image/png")])
            #expect(image.status == .created, "\(image.text)")
            let url = try #require(image["url"] as? String)
            let fetched = try await server.request(.GET, url)
            #expect(fetched.status == .ok && fetched.headers.first(name: .contentType) == "image/png" && fetched.body == Data(png))
            let notImage = try await server.request(.POST, "/api/v1/kb/images", token: admin, body: Data("<script>".utf8),
                                                    headers: [("Content-Type", "application/octet-stream")])
            #expect(notImage.status == .unprocessableEntity)
            // Bodies bigger than one read: answered, not left waiting (CI's fuzzer found a 200 KB one hanging).
            let bigPNG = try await server.request(.POST, "/api/v1/kb/images?filename=big.png", token: admin,
                                                  body: Data(png + Array(repeating: 7, count: 400_000)), headers: [("Content-Type", "image/png")])
            #expect(bigPNG.status == .created, "\(bigPNG.text)")
            let bigJunk = try await server.request(.POST, "/api/v1/kb/images?filename=x", token: admin,
                                                   body: Data(repeating: 0xCC, count: 200_001), headers: [("Content-Type", "image/webp")])
            #expect(bigJunk.status == .unprocessableEntity)
            let tooBig = try await server.request(.POST, "/api/v1/kb/images?filename=huge.png", token: admin,
                                                  body: Data(png + Array(repeating: 1, count: KnowledgeBaseService.maxImageBytes)), headers: [("Content-Type", "image/png")])
            #expect(tooBig.status == .payloadTooLarge)
            // An article keeps its uploaded image and drops a foreign one and scripts.
            let withImage = try await article(server, ["title": "Скриншот", "body": "![экран](\(url))\n\n<script>alert(1)</script>![чужой](http://evil.example/x.png)"])
            let html = try #require(withImage["html"] as? String)
            #expect(html.contains("src=\"\(url)\""), "\(html)")
            #expect(!html.contains("<script") && !html.contains("evil.example"))

            // The bot menu.
            let root = try await server.request(.POST, "/api/v1/bot/nodes", token: admin, json: ["label_ru": "Касса", "message_ru": "Что случилось с кассой?"])
            #expect(root.status == .created, "\(root.text)")
            server.expectConforms(root.json, to: "BotNode")
            let rootID = try #require(root["id"] as? Int)
            let leaf = try await server.request(.POST, "/api/v1/bot/nodes", token: admin,
                                                json: ["parent_id": rootID, "label_ru": "Сбросить пароль", "action": "article", "article_id": ruID])
            #expect(leaf.status == .created)
            let handover = try await server.request(.POST, "/api/v1/bot/nodes", token: admin,
                                                    json: ["parent_id": rootID, "label_ru": "Позвать человека", "action": "handover", "ticket_type": "problem"])
            #expect(handover.status == .created)
            #expect(try await server.request(.POST, "/api/v1/bot/nodes", token: admin, json: ["label_ru": "x", "action": "article"]).status == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/bot/nodes/\(rootID)", token: admin, json: ["parent_id": leaf["id"] as! Int]).status == .unprocessableEntity)
            #expect(try await server.request(.DELETE, "/api/v1/bot/nodes/\(rootID)", token: admin).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/bot/nodes", token: customer.token, json: ["label_ru": "x"]).status == .forbidden)
            let menu = try await server.request(.GET, "/api/v1/bot/nodes")
            server.expectConforms(menu.json, to: "BotNodeList")
            #expect(menu.items.count == 3)
            let path = try await BotService.describe(path: [rootID, handover["id"] as! Int], language: .ru, on: server.sql)
            #expect(path == "Касса → Позвать человека")
            #expect(try await BotService.describe(path: [handover["id"] as! Int], language: .ru, on: server.sql) == nil)

            // Deflection: a visitor who opened an article and filed nothing was answered by it.
            let context = try await server.context()
            await DeflectionService.record(.shown, visitor: "a1b2c3d4e5f6a7b8c9d0", context: context)
            await DeflectionService.record(.shown, visitor: "a1b2c3d4e5f6a7b8c9d0", context: context)
            await DeflectionService.record(.opened, visitor: "a1b2c3d4e5f6a7b8c9d0", articleID: ruID, context: context)
            await DeflectionService.record(.shown, visitor: "ffffffffffffffff0000", context: context)
            await DeflectionService.record(.opened, visitor: "ffffffffffffffff0000", articleID: ruID, context: context)
            await DeflectionService.record(.filed, visitor: "ffffffffffffffff0000", context: context.at(Date().addingTimeInterval(5)))
            let stats = try await server.request(.GET, "/api/v1/kb/deflection", token: admin)
            server.expectConforms(stats.json, to: "Deflection")
            #expect(stats["shown"] as? Int == 2 && stats["opened"] as? Int == 2 && stats["filed_after_opening"] as? Int == 1 && stats["deflected"] as? Int == 1)
            #expect(try await server.request(.GET, "/api/v1/kb/deflection", token: customer.token).status == .forbidden)
        }
    }
}
