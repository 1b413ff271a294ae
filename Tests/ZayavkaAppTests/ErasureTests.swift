import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore
import ZayavkaMail

@Suite("Personal data erasure", .serialized)
struct ErasureTests {
    static let environment = ["ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test", "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>"]

    /// Every value in every table (blobs read as UTF-8), with where it is: what "no trace" is checked against.
    static func everyValue(_ sql: any SQLDatabase, postgres: Bool) async throws -> [(String, String)] {
        let tables = try await sql.raw(postgres
            ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
            .map { try $0.decode(column: "name", as: String.self) }
        var values: [(String, String)] = []
        for table in tables {
            for row in try await sql.raw("SELECT * FROM \(ident: table)").all() {
                for column in row.allColumns {
                    if let text = try? row.decode(column: column, as: String?.self) {
                        values.append(("\(table).\(column)", text))
                    } else if let data = try? row.decode(column: column, as: Data?.self) {
                        values.append(("\(table).\(column)", String(decoding: data, as: UTF8.self)))
                    }
                }
            }
        }
        return values
    }

    @Test("erasing a customer leaves no trace of their name, email, phone or text in any table or file; their tickets and the statistics stay",
          arguments: TestDatabase.all)
    func erase(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let admin = server.adminToken
            let zina = try await server.makeUser("zinaida.unique@erase.ru", name: "Зинаида Уникальная", role: .customer)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(zina.id)", token: admin, json: ["phone": "+7 999 123-45-67"]).status == .ok)
            let ticket = try await server.makeTicket(token: zina.token, subject: "Кот Барсик не печатает",
                                                     extra: ["body": "Звоните на +7 999 123-45-67, спросите про Барсика."])
            let number = try #require(ticket["number"] as? Int)
            let upload = try await server.request(.POST, "/api/v1/attachments?filename=barsik.txt", token: zina.token,
                                                  body: Data("фото Барсика".utf8), headers: [("Content-Type", "text/plain")])
            let attachment = try #require((upload["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: zina.token,
                                             json: ["body": "Вот фото Барсика", "attachments": [attachment]]).status == .created)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: admin,
                                             json: ["body": "Зинаида Уникальная, здравствуйте! Проверили принтер.", "public": true]).status == .created)
            // The history holds her words too: a subject changed, and a field with her phone.
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: admin,
                                             json: ["subject": "Кот Барсик не печатает (Зинаида Уникальная, 79991234567)"]).status == .ok)
            // Mail from her, filed as a new ticket.
            let raw = Array(("From: =?utf-8?B?" + Data("Зинаида Уникальная".utf8).base64EncodedString() + "?= <zinaida.unique@erase.ru>\r\n"
                             + "To: support@zayavka.test\r\nSubject: Barsik again\r\nMessage-ID: <erase-1@erase.ru>\r\n"
                             + "Content-Type: text/plain; charset=utf-8\r\n\r\nБарсик опять, мой номер 79991234567\r\n").utf8)
            let stored = try await MailInbox.store(raw: raw, envelopeFrom: "zinaida.unique@erase.ru", envelopeTo: ["support@zayavka.test"],
                                                   services: server.app.services, db: server.app.db)
            _ = try await MailIntake.process(id: stored.id, app: server.app)
            // Someone else's ticket and file stay as they are.
            let petr = try await server.makeUser("petr@other.ru", name: "Пётр Обычный", role: .customer)
            let other = try await server.makeTicket(token: petr.token, subject: "Принтер Пети")
            let otherUpload = try await server.request(.POST, "/api/v1/attachments?filename=petr.txt", token: petr.token,
                                                       body: Data("файл Пети".utf8), headers: [("Content-Type", "text/plain")])
            let otherFile = try #require((otherUpload["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(try #require(other["number"] as? Int))/comments", token: petr.token,
                                             json: ["body": "Файл", "attachments": [otherFile]]).status == .created)
            _ = try await MailNotifier.run(app: server.app)
            let tickets = try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self)
            let needles = ["zinaida.unique", "Зинаида Уникальная", "Барсик", "999 123-45-67", "79991234567", "фото Барсика"]
            let postgres: Bool = { if case .postgres = database { return true } else { return false } }()
            #expect(try await Self.everyValue(server.sql, postgres: postgres).contains { value in needles.contains { value.1.contains($0) } },
                    "the data is there before")

            // Refused: not an admin, a staff member, no reason, an unknown person; nothing changes.
            let agent = try await server.makeUser("agent@erase.ru", role: .agent)
            #expect(try await server.request(.POST, "/api/v1/users/\(zina.id)/erase", token: agent.token, json: ["reason": "x"]).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/users/\(agent.id)/erase", token: admin, json: ["reason": "x"]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/users/\(zina.id)/erase", token: admin, json: ["reason": " "]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/users/999999/erase", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/users/\(zina.id)", token: admin)["email"] as? String == "zinaida.unique@erase.ru")

            let erased = try await server.request(.POST, "/api/v1/users/\(zina.id)/erase", token: admin,
                                                  json: ["reason": "Заявление клиента № 15 от 01.12.2026"])
            #expect(erased.status == .ok, "\(erased.text)")
            server.expectConforms(erased.object, to: "Erasure")
            #expect((erased["user"] as? [String: Any])?["email"] as? String == "erased-\(zina.id)@erased.invalid")
            #expect(erased["attachments"] as? Int == 1 && erased["tickets"] as? Int == 2)

            // No trace in any table…
            let traces = try await Self.everyValue(server.sql, postgres: postgres).filter { value in needles.contains { value.1.contains($0) } }
            #expect(traces.isEmpty, "left: \(traces.map { "\($0.0): \($0.1.prefix(120))" })")
            // …or file: her attachment is gone, Petr's stays; SQLite's file and log hold none of it.
            let files = Backup.attachmentKeys(in: server.dataDirectory.appendingPathComponent("attachments"))
            #expect(files.count == 1)
            if !postgres {
                for name in ["zayavka.sqlite", "zayavka.sqlite-wal"] {
                    let path = server.dataDirectory.appendingPathComponent(name).path
                    guard let bytes = FileManager.default.contents(atPath: path) else { continue }
                    for needle in needles {
                        #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(name) still holds «\(needle)»")
                    }
                }
            }
            // Her tickets and the statistics stay; Petr's are untouched; the act is audited.
            #expect(try await server.sql.raw("SELECT COUNT(*) AS n FROM tickets").first()!.decode(column: "n", as: Int.self) == tickets)
            let kept = try await server.request(.GET, "/api/v1/tickets/\(number)", token: admin)
            #expect(kept.status == .ok && (kept["requester"] as? [String: Any])?["id"] as? Int == zina.id)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(try #require(other["number"] as? Int))", token: admin)["subject"] as? String == "Принтер Пети")
            let audit = try await server.request(.GET, "/api/v1/audit-events", token: admin)
            server.expectConforms(audit.object, to: "AuditEventList")
            let event = try #require(audit.items.first)
            #expect(event["action"] as? String == "personal_data_erased" && event["subject_user_id"] as? Int == zina.id)
            #expect(event["reason"] as? String == "Заявление клиента № 15 от 01.12.2026")
            #expect(try await server.request(.GET, "/api/v1/audit-events", token: agent.token).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/audit-events?limit=0", token: admin).status == .unprocessableEntity)
            // The history may be emptied, never rewritten or deleted.
            for statement: SQLQueryString in ["UPDATE ticket_events SET kind = 'other'", "UPDATE ticket_events SET after = 'rewritten' WHERE after IS NOT NULL",
                                              "DELETE FROM ticket_events"] {
                await #expect(throws: (any Error).self, "\(statement)") { try await server.sql.raw(statement).run() }
            }
            // She cannot sign in, and a second erasure is refused.
            #expect(try await server.request(.POST, "/api/v1/auth/token", json: ["email": "zinaida.unique@erase.ru", "password": "password-zinaida.unique@erase.ru"]).status == .unauthorized)
            #expect(try await server.request(.POST, "/api/v1/users/\(zina.id)/erase", token: admin, json: ["reason": "again"]).status == .unprocessableEntity)
        }
    }

    @Test("a legal hold on a customer or their organization refuses the erasure with its reason until it is released; placing and releasing are audit events",
          arguments: TestDatabase.all)
    func legalHolds(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let organization = try await server.request(.POST, "/api/v1/organizations", token: admin, json: ["name": "ООО Спор"])
            let organizationID = try #require(organization["id"] as? Int)
            let vera = try await server.makeUser("vera@hold.ru", name: "Вера Держимая", role: .customer, organizationID: organizationID)
            let agent = try await server.makeUser("agent@hold.ru", role: .agent)
            _ = try await server.makeTicket(token: vera.token, subject: "Спорная заявка")

            // Bad input changes nothing.
            #expect(try await server.request(.POST, "/api/v1/users/\(vera.id)/legal-holds", token: agent.token, json: ["reason": "x"]).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/users/\(vera.id)/legal-holds", token: admin, json: ["reason": "  "]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/users/\(agent.id)/legal-holds", token: admin, json: ["reason": "x"]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/users/999999/legal-holds", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/organizations/999999/legal-holds", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/legal-holds/abc/release", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/legal-holds?limit=0", token: admin).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/legal-holds", token: admin).items.isEmpty)

            // A hold on her organization: her erasure is refused, with the hold's reason, and nothing changes.
            let onOrganization = try await server.request(.POST, "/api/v1/organizations/\(organizationID)/legal-holds", token: admin,
                                                          json: ["reason": "Дело А40-12345-2026, запрос суда от 01.12.2026"])
            #expect(onOrganization.status == .created, "\(onOrganization.text)")
            let organizationHold = try #require(onOrganization["id"] as? Int)
            #expect(onOrganization["active"] as? Bool == true)
            let refused = try await server.request(.POST, "/api/v1/users/\(vera.id)/erase", token: admin, json: ["reason": "Запрос клиента"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("legal_hold") && refused.text.contains("А40-12345-2026"), "\(refused.text)")
            #expect((try await server.request(.GET, "/api/v1/users/\(vera.id)", token: admin))["email"] as? String == "vera@hold.ru")

            // A second hold, on her: releasing the organization's is not enough.
            let onHer = try await server.request(.POST, "/api/v1/users/\(vera.id)/legal-holds", token: admin, json: ["reason": "Проверка Роскомнадзора"])
            let herHold = try #require(onHer["id"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/legal-holds?active=true&user_id=\(vera.id)", token: admin).items.count == 2)
            let released = try await server.request(.POST, "/api/v1/legal-holds/\(organizationHold)/release", token: admin, json: ["reason": "Дело закрыто"])
            #expect(released.status == .ok && released["active"] as? Bool == false && released["release_reason"] as? String == "Дело закрыто")
            #expect(try await server.request(.POST, "/api/v1/legal-holds/\(organizationHold)/release", token: admin, json: ["reason": "ещё раз"]).status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/legal-holds/\(herHold)/release", token: admin, json: [:]).status == .unprocessableEntity)
            let stillRefused = try await server.request(.POST, "/api/v1/users/\(vera.id)/erase", token: admin, json: ["reason": "Запрос клиента"])
            #expect(stillRefused.status == .unprocessableEntity && stillRefused.text.contains("Роскомнадзора"), "\(stillRefused.text)")
            #expect(!stillRefused.text.contains("А40-12345"), "a released hold no longer counts")

            // Released: the erasure goes through.
            #expect(try await server.request(.POST, "/api/v1/legal-holds/\(herHold)/release", token: admin, json: ["reason": "Проверка завершена"]).status == .ok)
            let erased = try await server.request(.POST, "/api/v1/users/\(vera.id)/erase", token: admin, json: ["reason": "Запрос клиента"])
            #expect(erased.status == .ok, "\(erased.text)")
            let all = try await server.request(.GET, "/api/v1/legal-holds", token: admin).items
            #expect(all.count == 2 && all.allSatisfy { $0["active"] as? Bool == false })
            // The audit log: two placed, two released, one erasure, newest first.
            let actions = try await server.request(.GET, "/api/v1/audit-events", token: admin).items.compactMap { $0["action"] as? String }
            #expect(actions == ["personal_data_erased", "legal_hold_released", "legal_hold_released", "legal_hold_placed", "legal_hold_placed"])
        }
    }
}
