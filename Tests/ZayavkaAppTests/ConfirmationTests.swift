import Foundation
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("The customer's confirmation of a solution", .serialized)
struct ConfirmationTests {
    @Test("«Да, решено» is recorded once per solution, seen by the agent, and only a solved ticket can be confirmed", arguments: TestDatabase.all)
    func confirm(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let other = try await server.makeUser("d@client.ru", role: .customer)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let early = try await server.request(.POST, "/api/v1/tickets/\(number)/confirm-solution", token: customer.token)
            #expect(early.status == .conflict, "an open ticket has no solution to confirm")
            #expect(try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "solved"]).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/confirm-solution", token: other.token).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/tickets/\(number)/confirm-solution", token: server.adminToken).status == .forbidden)
            for _ in 0..<2 {
                let confirmed = try await server.request(.POST, "/api/v1/tickets/\(number)/confirm-solution", token: customer.token)
                #expect(confirmed.status == .ok)
                server.expectConforms(confirmed.json, to: "Ticket")
            }
            let events = try await server.request(.GET, "/api/v1/tickets/\(number)/events", token: server.adminToken).items
            #expect(events.filter { $0["kind"] as? String == "solution_confirmed" }.count == 1, "recorded once")
            // The portal stops asking.
            let web = WebClient(server)
            try await web.signIn("c@client.ru", "password-c@client.ru")
            let page = try await web.get("/portal/requests/\(number)")
            #expect(!page.html.contains("confirm-solved") && page.html.contains("solution-confirmed"))
            // The agent's ticket page shows it.
            let agent = WebClient(server)
            try await agent.signIn(TestServer.adminEmail, TestServer.adminPassword)
            #expect(try await agent.get("/agent/tickets/\(number)").html.contains("клиент подтвердил, что вопрос решён"))
            // A new solution asks again.
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "open"])
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken, json: ["status": "solved"])
            #expect(try await web.get("/portal/requests/\(number)").html.contains("confirm-solved"))
        }
    }
}
