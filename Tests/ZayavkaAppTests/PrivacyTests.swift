import Foundation
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Customers see only their own tickets and never an internal note", .serialized)
struct PrivacyTests {
    @Test("another customer's ticket is 404 on every endpoint; internal notes never reach a customer", arguments: TestDatabase.all)
    func isolation(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let anna = try await server.makeUser("anna@a.ru", role: .customer)
            let boris = try await server.makeUser("boris@b.ru", role: .customer)
            let agent = try await server.makeUser("agent@support.ru", role: .agent)
            let number = try #require(try await server.makeTicket(token: anna.token)["number"] as? Int)

            // An internal note with a file, and a public reply.
            let upload = try await server.request(.POST, "/api/v1/attachments?filename=log.txt", token: agent.token,
                                                  body: Data("секретный журнал".utf8), headers: [("Content-Type", "text/plain")])
            let noteFile = try #require((upload["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            let note = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token,
                                                json: ["body": "СЕКРЕТ: клиент должен за два месяца", "public": false, "attachments": [noteFile]])
            #expect(note.status == .created)
            server.expectConforms(note.json, to: "Comment")
            let reply = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: agent.token,
                                                 json: ["body": "Переустановите драйвер кассы."])
            #expect(reply.status == .created)

            // Boris: everything about Anna's ticket is "not found", indistinguishable from a missing number.
            for (method, path) in [(HTTPMethod.GET, "/api/v1/tickets/\(number)"), (.GET, "/api/v1/tickets/\(number)/comments"),
                                   (.GET, "/api/v1/tickets/\(number)/events"), (.GET, "/api/v1/attachments/\(noteFile)")] {
                let probe = try await server.request(method, path, token: boris.token)
                #expect(probe.status == .notFound, "\(path)")
            }
            let patch = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: boris.token, json: ["status": "solved"])
            #expect(patch.status == .notFound)
            let comment = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: boris.token, json: ["body": "hi"])
            #expect(comment.status == .notFound)
            let borisList = try await server.request(.GET, "/api/v1/tickets?requester_id=\(anna.id)", token: boris.token)
            #expect(borisList.items.isEmpty)
            let missing = try await server.request(.GET, "/api/v1/tickets/\(number + 1000)", token: boris.token)
            #expect(missing.status == .notFound && missing.errorCode == "not_found")

            // Anna sees the reply, not the note, not its file, not its event.
            let comments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: anna.token)
            server.expectConforms(comments.json, to: "CommentList")
            let bodies = comments.items.compactMap { $0["body"] as? String }
            #expect(bodies.contains("Переустановите драйвер кассы."))
            #expect(!comments.text.contains("СЕКРЕТ"))
            #expect(!comments.text.contains(noteFile))
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: anna.token)
            #expect(!events.items.contains { ["note_added"].contains($0["kind"] as? String ?? "") })
            #expect(!events.text.contains("log.txt"))
            let file = try await server.request(.GET, "/api/v1/attachments/\(noteFile)", token: anna.token)
            #expect(file.status == .notFound)
            let list = try await server.request(.GET, "/api/v1/tickets", token: anna.token)
            #expect(list.items.count == 1 && !list.text.contains("СЕКРЕТ"))

            // Staff see both.
            let staffComments = try await server.request(.GET, "/api/v1/tickets/\(number)/comments", token: agent.token)
            #expect(staffComments.text.contains("СЕКРЕТ"))
            let staffFile = try await server.request(.GET, "/api/v1/attachments/\(noteFile)", token: agent.token)
            #expect(staffFile.status == .ok && staffFile.text == "секретный журнал")

            // Customers cannot write internal notes or change fields.
            let sneaky = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: anna.token,
                                                  json: ["body": "x", "public": false])
            #expect(sneaky.status == .unprocessableEntity)
            let escalate = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: anna.token, json: ["priority": "urgent"])
            #expect(escalate.status == .forbidden)
        }
    }

    @Test("an organization may let its members see each other's tickets", arguments: TestDatabase.all)
    func organizationSharing(database: TestDatabase) async throws {
        // With the token cache on, as in production: the change must still take effect at once.
        try await TestServer.with(database, environment: ["ZAYAVKA_TOKEN_CACHE_SECONDS": "60"]) { server in
            let org = try await server.request(.POST, "/api/v1/organizations", token: server.adminToken,
                                               json: ["name": "ООО «Ромашка»", "inn": "7707083893", "plan": "paid"])
            #expect(org.status == .created)
            server.expectConforms(org.json, to: "Organization")
            let orgID = try #require(org["id"] as? Int)
            let anna = try await server.makeUser("anna@romashka.ru", role: .customer, organizationID: orgID)
            let vera = try await server.makeUser("vera@romashka.ru", role: .customer, organizationID: orgID)
            let number = try #require(try await server.makeTicket(token: anna.token)["number"] as? Int)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(number)", token: vera.token).status == .notFound)

            let shared = try await server.request(.PATCH, "/api/v1/organizations/\(orgID)", token: server.adminToken,
                                                  json: ["members_see_all_tickets": true])
            #expect(shared["members_see_all_tickets"] as? Bool == true)
            let seen = try await server.request(.GET, "/api/v1/tickets/\(number)", token: vera.token)
            #expect(seen.status == .ok)
            #expect((seen["organization"] as? [String: Any])?["name"] as? String == "ООО «Ромашка»")
            #expect(try await server.request(.GET, "/api/v1/tickets", token: vera.token).items.count == 1)
        }
    }

    @Test("a customer's reply reopens a solved ticket; a closed ticket takes no comments", arguments: TestDatabase.all)
    func reopen(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let anna = try await server.makeUser("anna@a.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: anna.token)["number"] as? Int)
            let solved = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: server.adminToken,
                                                  json: ["body": "Исправили, проверьте.", "status": "solved"])
            #expect(solved.status == .created)
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(number)", token: anna.token)
            #expect(ticket["status"] as? String == "solved" && ticket["solved_at"] != nil)
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: anna.token, json: ["body": "Нет, снова падает."])
            let reopened = try await server.request(.GET, "/api/v1/tickets/\(number)", token: anna.token)
            #expect(reopened["status"] as? String == "open" && reopened["solved_at"] == nil)

            // "It is solved" from the customer, then the desk closes it.
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: anna.token, json: ["status": "solved"]).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: anna.token, json: ["status": "closed"]).status == .conflict)
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "closed"]).status == .ok)
            let late = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: anna.token, json: ["body": "И ещё…"])
            #expect(late.status == .conflict && late.errorCode == "ticket_closed")
        }
    }
}

@Suite("Background work", .serialized)
struct BackgroundTests {
    @Test("solved tickets close after the set time, once, with a history event", arguments: TestDatabase.all)
    func autoClose(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let old = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            let fresh = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            let open = try #require(try await server.makeTicket(token: server.adminToken)["number"] as? Int)
            // One was solved eight days ago, one just now: the time comes from the context.
            let now = Date()
            var solve = TicketPatchInput()
            solve.status = "solved"
            _ = try await TicketService.update(number: old, input: solve, context: try await server.context(at: now.addingTimeInterval(-8 * 86_400)))
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(fresh)", token: server.adminToken, json: ["status": "solved"])
            let policy = AutoClosePolicy(days: 7)
            let closed = try await AutoCloseJob.run(policy: policy, context: .system(server.app, at: now))
            #expect(closed == [old])
            let again = try await AutoCloseJob.run(policy: policy, context: .system(server.app, at: now))
            #expect(again.isEmpty)
            let ticket = try await server.request(.GET, "/api/v1/tickets/\(old)", token: server.adminToken)
            #expect(ticket["status"] as? String == "closed" && ticket["closed_at"] != nil)
            #expect(try await server.request(.GET, "/api/v1/tickets/\(fresh)", token: server.adminToken)["status"] as? String == "solved")
            #expect(try await server.request(.GET, "/api/v1/tickets/\(open)", token: server.adminToken)["status"] as? String == "new")
            let events = try await server.request(.GET, "/api/v1/tickets/\(old)/events", token: server.adminToken)
            let closes = events.items.filter { $0["after"] as? String == "closed" }
            #expect(closes.count == 1 && closes.first?["actor"] == nil)
        }
    }
}
