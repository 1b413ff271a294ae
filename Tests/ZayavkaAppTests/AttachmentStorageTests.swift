import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Attachments in the database", .serialized)
struct AttachmentStorageTests {
    static let environment = ["ZAYAVKA_ATTACHMENTS": "database", "ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test",
                              "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>"]

    static func chunks(_ server: TestServer, key: String? = nil) async throws -> Int {
        let condition: SQLQueryString = key.map { "WHERE storage_key = \(bind: $0)" } ?? ""
        return try await server.sql.raw("SELECT COUNT(*) AS n FROM attachment_chunks " + condition).first()!.decode(column: "n", as: Int.self)
    }

    static func key(_ server: TestServer, publicID: String) async throws -> String {
        try await server.sql.raw("SELECT storage_key FROM attachments WHERE public_id = \(bind: publicID)").first()!
            .decode(column: "storage_key", as: String.self)
    }

    @Test("ZAYAVKA_ATTACHMENTS=database: uploads, web forms and mail files are stored as chunks and read back exactly; nothing stays in the folder; the sweep and erasure remove the chunks",
          arguments: TestDatabase.all)
    func inDatabase(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: Self.environment) { server in
            let customer = try await server.makeUser("chunks@client.ru", name: "Клиент Чанков", role: .customer)
            // 700 KiB: three chunks of at most 256 KiB.
            let big = Data((0..<(700 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let upload = try await server.request(.POST, "/api/v1/attachments?filename=big.bin", token: customer.token, body: big,
                                                  headers: [("Content-Type", "application/octet-stream")])
            #expect(upload.status == .created, "\(upload.text)")
            let id = try #require((upload["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await Self.chunks(server, key: try await Self.key(server, publicID: id)) == 3)
            #expect(Backup.attachmentKeys(in: server.dataDirectory.appendingPathComponent("attachments")).isEmpty)

            let ticket = try await server.makeTicket(token: customer.token, extra: ["attachments": [id]])
            let number = try #require(ticket["number"] as? Int)
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: customer.token)
            let url = try #require((comments.items.first?["attachments"] as? [[String: Any]])?.first?["url"] as? String)
            let download = try await server.request(.GET, url, token: customer.token)
            #expect(download.status == .ok && download.body == big)
            #expect(try await server.request(.GET, url, token: try await server.makeUser("other@client.ru", role: .customer).token).status == .notFound)

            // A file that came by mail.
            let pdf = Data("%PDF-1.4 счёт из письма".utf8)
            let raw = Array(("From: Клиент Чанков <chunks@client.ru>\r\nTo: support@zayavka.test\r\nSubject: Invoice\r\n"
                             + "Message-ID: <chunks-1@client.ru>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                             + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСчёт во вложении.\r\n"
                             + "--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                             + pdf.base64EncodedString() + "\r\n--b--\r\n").utf8)
            let stored = try await MailInbox.store(raw: raw, envelopeFrom: "chunks@client.ru", envelopeTo: ["support@zayavka.test"],
                                                   services: server.app.services, db: server.app.db)
            guard case .newTicket(let mailed) = try await MailIntake.process(id: stored.id, app: server.app) else {
                Issue.record("the mail was not filed")
                return
            }
            let mailComments = try await server.request(.GET, "/api/v1/tickets/\(mailed)/comments", token: server.adminToken)
            let mailURL = try #require((mailComments.items.first?["attachments"] as? [[String: Any]])?.first?["url"] as? String)
            #expect(try await server.request(.GET, mailURL, token: server.adminToken).body == pdf)
            #expect(Backup.attachmentKeys(in: server.dataDirectory.appendingPathComponent("attachments")).isEmpty)

            // An upload never attached goes after a day, with its chunks.
            let orphan = try await server.request(.POST, "/api/v1/attachments?filename=orphan.txt", token: customer.token,
                                                  body: Data("never attached".utf8), headers: [("Content-Type", "text/plain")])
            let orphanID = try #require((orphan["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            let orphanKey = try await Self.key(server, publicID: orphanID)
            #expect(try await Self.chunks(server, key: orphanKey) == 1)
            try await server.sql.raw("UPDATE attachments SET created_at = \(bind: Date().addingTimeInterval(-2 * 86_400)) WHERE public_id = \(bind: orphanID)").run()
            #expect(try await PendingUploads.sweep(context: .system(server.app)) == 1)
            #expect(try await Self.chunks(server, key: orphanKey) == 0)

            // Erasing the customer removes her files' chunks.
            #expect(try await Self.chunks(server) == 4)
            let erased = try await server.request(.POST, "/api/v1/users/\(customer.id)/erase", token: server.adminToken, json: ["reason": "Заявление"])
            #expect(erased.status == .ok && erased["attachments"] as? Int == 2)
            #expect(try await Self.chunks(server) == 0)
        }
    }
}
