import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Auth, people, attachments, OpenAPI and operations", .serialized)
struct PlatformTests {
    @Test("tokens: sign in, list, revoke; wrong passwords are 401 and then rate-limited", arguments: TestDatabase.all)
    func tokens(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: ["ZAYAVKA_TOKEN_CACHE_SECONDS": "60"]) { server in
            let wrong = try await server.request(.POST, "/api/v1/auth/token", json: ["email": TestServer.adminEmail, "password": "nope"],
                                                 headers: [("Accept-Language", "en")])
            #expect(wrong.status == .unauthorized && wrong.errorCode == "unauthenticated")
            #expect(wrong.errorMessage?.hasPrefix("Please sign in") == true)

            let second = try await server.token(email: TestServer.adminEmail, password: TestServer.adminPassword)
            let list = try await server.request(.GET, "/api/v1/auth/tokens", token: second)
            server.expectConforms(list.json, to: "TokenList")
            #expect(list.items.count == 2)
            let secondID = try #require(list.items.last?["id"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/me", token: second).status == .ok)
            #expect(try await server.request(.DELETE, "/api/v1/auth/tokens/\(secondID)", token: server.adminToken).status == .noContent)
            let revoked = try await server.request(.GET, "/api/v1/me", token: second)
            #expect(revoked.status == .unauthorized)
            #expect(revoked.headers.first(name: .wwwAuthenticate) == "Bearer")
            #expect(try await server.request(.GET, "/api/v1/tickets", token: "zy_made_up").status == .unauthorized)
            #expect(try await server.request(.GET, "/api/v1/tickets").status == .unauthorized)

            for _ in 0..<10 {
                _ = try await server.request(.POST, "/api/v1/auth/token", json: ["email": "victim@x.ru", "password": "guess"])
            }
            let limited = try await server.request(.POST, "/api/v1/auth/token", json: ["email": "victim@x.ru", "password": "guess"])
            #expect(limited.status == .tooManyRequests)
        }
    }

    @Test("admins manage users, groups and organizations; other roles may not", arguments: TestDatabase.all)
    func people(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: ["ZAYAVKA_TOKEN_CACHE_SECONDS": "60"]) { server in
            let agent = try await server.makeUser("agent@support.ru", name: "Ольга", role: .agent)
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let group = try await server.request(.POST, "/api/v1/groups", token: server.adminToken,
                                                 json: ["name": "Вторая линия", "description": "Специалисты"])
            #expect(group.status == .created)
            let groupID = try #require(group["id"] as? Int)
            let member = try await server.request(.PUT, "/api/v1/groups/\(groupID)/members/\(agent.id)", token: server.adminToken)
            server.expectConforms(member.json, to: "Group")
            #expect(member["member_ids"] as? [Int] == [agent.id])
            let customerMember = try await server.request(.PUT, "/api/v1/groups/\(groupID)/members/\(customer.id)", token: server.adminToken)
            #expect(customerMember.status == .unprocessableEntity)
            #expect(try await server.request(.POST, "/api/v1/groups", token: server.adminToken, json: ["name": "Вторая линия"]).status == .conflict)

            #expect(try await server.request(.POST, "/api/v1/groups", token: agent.token, json: ["name": "x"]).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/users", token: agent.token,
                                             json: ["email": "boss@x.ru", "name": "B", "role": "admin"]).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/users", token: customer.token).status == .forbidden)
            let users = try await server.request(.GET, "/api/v1/users?role=agent", token: agent.token)
            server.expectConforms(users.json, to: "UserList")
            #expect(users.items.compactMap { $0["email"] as? String } == ["agent@support.ru"])

            let duplicate = try await server.request(.POST, "/api/v1/users", token: server.adminToken,
                                                     json: ["email": "AGENT@support.ru", "name": "Дубль"])
            #expect(duplicate.status == .conflict)
            let badOrg = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken, json: ["name": "X", "inn": "12ab"])
            #expect(badOrg.status == .unprocessableEntity)

            // People change their own profile; a deactivated user's token stops working.
            let me = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["locale": "en", "name": "Carl"])
            #expect(me["locale"] as? String == "en")
            #expect(try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: customer.token, json: ["role": "admin"]).status == .unprocessableEntity)
            _ = try await server.request(.PATCH, "/api/v1/users/\(customer.id)", token: server.adminToken, json: ["is_active": false])
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .unauthorized)

            // Assignment: group and assignee must exist and be staff.
            let number = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            let assigned = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: agent.token,
                                                    json: ["group_id": groupID, "assignee_id": agent.id])
            #expect((assigned["group"] as? [String: Any])?["name"] as? String == "Вторая линия")
            let bad = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: agent.token, json: ["assignee_id": customer.id])
            #expect(bad.status == .unprocessableEntity)
            let reassigned = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: agent.token, json: ["assignee_id": NSNull()])
            #expect(reassigned["assignee"] == nil)
            let history = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: agent.token)
            #expect(history.items.filter { $0["kind"] as? String == "assigned" }.count == 2)
        }
    }

    @Test("directory lists page by id without gaps or repeats", arguments: TestDatabase.all)
    func directoryPaging(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            var expected = [1]  // the admin
            for index in 0..<4 { expected.append(try await server.makeUser("c\(index)@x.ru", role: .customer).id) }
            for index in 0..<3 {
                _ = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken, json: ["name": "Org \(index)"])
            }
            for (path, count) in [("/api/v1/users", expected.count), ("/api/v1/organizations", 3)] {
                #expect(try await server.request(.GET, path + "?limit=2", token: server.adminToken).items.count == 2)
                let seen = try await server.collect(path + "?limit=2", token: server.adminToken).compactMap { $0["id"] as? Int }
                #expect(seen.count == count && seen == seen.sorted() && Set(seen).count == count, "\(path): \(seen)")
                if path.hasSuffix("users") { #expect(seen == expected) }
            }
        }
    }

    @Test("hand-off statuses and intake questions are configurable", arguments: TestDatabase.all)
    func configuration(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let statuses = try await server.request(.GET, "/api/v1/statuses", token: server.adminToken)
            server.expectConforms(statuses.json, to: "StatusList")
            #expect(statuses.items.contains { $0["name_ru"] as? String == "Требует передачи на ОС" })
            let created = try await server.request(.POST, "/api/v1/statuses", token: server.adminToken,
                                                   json: ["key": "to_accounting", "name_ru": "В бухгалтерию", "name_en": "To accounting"])
            #expect(created.status == .created)
            let number = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            let moved = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "to_accounting"])
            #expect(moved["status_name"] as? String == "В бухгалтерию")

            let field = try await server.request(.POST, "/api/v1/intake-fields", token: server.adminToken,
                                                 json: ["key": "cash_register", "kind": "choice", "label_ru": "Модель кассы",
                                                        "label_en": "Cash register model", "options": ["АТОЛ", "Штрих-М"], "required": true])
            #expect(field.status == .created)
            server.expectConforms(field.json, to: "IntakeField")
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            let missing = try await server.makeTicket(token: customer.token)
            #expect(missing.status == .unprocessableEntity)
            let ok = try await server.makeTicket(token: customer.token, extra: ["fields": ["cash_register": "АТОЛ"]])
            #expect(ok.status == .created)
            let filtered = try await server.request(.GET, "/api/v1/tickets?field.cash_register=%D0%90%D0%A2%D0%9E%D0%9B", token: server.adminToken)
            #expect(filtered.items.count == 1)
            let urgencies = try await server.request(.GET, "/api/v1/urgencies")
            server.expectConforms(urgencies.json, to: "UrgencyList")
            #expect(urgencies.items.count == 4)
        }
    }

    @Test("attachments stream to disk, keep their bytes, and the size limit is a clean 413", arguments: TestDatabase.all)
    func attachments(database: TestDatabase) async throws {
        try await TestServer.with(database, environment: ["ZAYAVKA_MAX_ATTACHMENT_MB": "1"]) { server in
            let customer = try await server.makeUser("c@x.ru", role: .customer)
            var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            png.append(Data((0..<300_000).map { UInt8($0 % 251) }))
            let boundary = "zyBoundary42"
            var multipart = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"скриншот.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            multipart.append(png)
            multipart.append(Data("\r\n--\(boundary)--\r\n".utf8))
            let upload = try await server.request(.POST, "/api/v1/attachments", token: customer.token, body: multipart,
                                                  headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
            #expect(upload.status == .created)
            server.expectConforms(upload.json, to: "AttachmentList")
            let item = try #require((upload["attachments"] as? [[String: Any]])?.first)
            #expect(item["filename"] as? String == "скриншот.png")
            #expect(item["size"] as? Int == png.count)
            let id = try #require(item["id"] as? String)

            let ticket = try await server.makeTicket(token: customer.token, extra: ["attachments": [id]])
            let number = try #require(ticket["number"] as? Int)
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: customer.token)
            #expect((comments.items.first?["attachments"] as? [[String: Any]])?.first?["id"] as? String == id)
            let download = try await server.request(.GET, "/api/v1/attachments/\(id)", token: server.adminToken)
            #expect(download.status == .ok && download.body == png)
            #expect(download.headers.first(name: .contentType) == "image/png")
            #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff")
            // An upload can be attached once only.
            let again = try await server.makeTicket(token: customer.token, extra: ["attachments": [id]])
            #expect(again.status == .unprocessableEntity)

            let filesBefore = try Self.storedFiles(server)
            let big = Data(repeating: 0x41, count: 1_400_000)
            let tooBig = try await server.request(.POST, "/api/v1/attachments?filename=big.bin", token: customer.token, body: big,
                                                  headers: [("Content-Type", "application/octet-stream")])
            #expect(tooBig.status == .payloadTooLarge && tooBig.errorCode == "payload_too_large")
            #expect(tooBig.errorMessage == "Файл слишком большой: не более 1 МБ.")
            #expect(try Self.storedFiles(server) == filesBefore)
            let rows = try await server.sql.raw("SELECT COUNT(*) AS n FROM attachments").first()!.decode(column: "n", as: Int.self)
            #expect(rows == 1)
            let noName = try await server.request(.POST, "/api/v1/attachments", token: customer.token, body: Data("x".utf8))
            #expect(noName.status == .unprocessableEntity)
        }
    }

    static func storedFiles(_ server: TestServer) throws -> Int {
        let root = server.dataDirectory.appendingPathComponent("attachments")
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return 0 }
        return enumerator.allObjects.compactMap { $0 as? String }.filter { $0.split(separator: "/").count == 3 }.count
    }

    @Test("the OpenAPI document describes exactly the routes the server has")
    func openAPIMatchesRoutes() async throws {
        try await TestServer.with(.sqlite) { server in
            let reply = try await server.request(.GET, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply["openapi"] as? String == "3.1.0")
            let paths = try #require(reply["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) /api/v1\(path)") }
            }
            let registered = Set(server.app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                guard path.hasPrefix("/api/v1/"), path != "/api/v1/openapi.json" else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
            #expect(documented == registered)
            // Every schema reference resolves.
            let schemas = try #require((reply["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let refs = Set(reply.text.matches(of: /#\/components\/schemas\/(\w+)/).map { String($0.1) })
            #expect(!refs.isEmpty && refs.isSubset(of: Set(schemas.keys)))
        }
    }

    @Test("health, metrics and a readable 404", arguments: TestDatabase.all)
    func operations(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let health = try await server.request(.GET, "/healthz")
            #expect(health.status == .ok && health["database"] as? String == "ok")
            _ = try await server.makeTicket(token: server.adminToken)
            let metrics = try await server.request(.GET, "/metrics")
            #expect(metrics.text.contains("zayavka_tickets_created_total"))
            #expect(metrics.text.contains("http_requests_total"))
            let missing = try await server.request(.GET, "/api/v1/nowhere", headers: [("Accept-Language", "ru-RU,ru;q=0.9")])
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            #expect(missing.errorMessage?.contains("не найден") == true)
        }
    }

    @Test("configuration problems are reported all at once")
    func configurationErrors() {
        #expect(throws: ConfigurationError.self) {
            _ = try AppConfiguration.load(environment: ["DATABASE_URL": "mysql://x", "ZAYAVKA_BCRYPT_COST": "99"])
        }
        do {
            _ = try AppConfiguration.load(environment: ["DATABASE_URL": "mysql://x", "ZAYAVKA_BCRYPT_COST": "99", "ZAYAVKA_LOG_FORMAT": "xml"])
        } catch let error as ConfigurationError {
            #expect(error.problems.count == 3)
        } catch {
            Issue.record("unexpected \(error)")
        }
        let defaults = try? AppConfiguration.load(environment: [:])
        #expect(defaults?.usesPostgres == false && defaults?.maxAttachmentBytes == 50 * 1_048_576)
    }

    @Test("CI runs every API test on PostgreSQL too")
    func postgresInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(TestDatabase.all.count == 2, "CI must set ZAYAVKA_TEST_DATABASE_URL")
        }
    }
}

@Suite("Keyset bounds")
struct TimestampKeyTests {
    @Test("PostgreSQL cursor timestamps are exact literals")
    func literals() {
        #expect(TimestampKey.literal(microseconds: 0) == "1970-01-01 00:00:00.000000+00")
        #expect(TimestampKey.literal(microseconds: 1_790_000_000_123_456) == "2026-09-21 14:13:20.123456+00")  // as Python's datetime gives
        #expect(TimestampKey.literal(microseconds: -1) == "1969-12-31 23:59:59.999999+00")
    }
}
