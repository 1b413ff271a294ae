import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Issue 15: a ticket creation does every read and check before its first write. Each kind of
/// refused create (422) is sent together with a new customer's address and a round-robin group,
/// the two things that used to be written before the checks ran; afterwards not one row differs.
@Suite("A refused ticket creation leaves no trace", .serialized)
struct NoPartialWriteTests {
    /// Every row a ticket creation could write, as text, so that any difference shows.
    static func snapshot(_ server: TestServer) async throws -> [String] {
        var lines: [String] = []
        for table in ["users", "tickets", "comments", "ticket_events", "attachments", "sla_clocks", "directory_keys", "mail_outbox",
                      "ticket_field_values", "password_tokens"] {
            let count = try await server.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int.self)
            lines.append("\(table): \(count)")
        }
        for row in try await server.sql.raw("SELECT id, last_assigned_user_id FROM support_groups ORDER BY id").all() {
            lines.append("group \(try row.decode(column: "id", as: Int.self)) last \(try row.decode(column: "last_assigned_user_id", as: Int?.self) ?? 0)")
        }
        for row in try await server.sql.raw("SELECT id, ticket_id, comment_id FROM attachments ORDER BY id").all() {
            lines.append("attachment \(try row.decode(column: "id", as: Int.self)) ticket \(try row.decode(column: "ticket_id", as: Int?.self) ?? 0) "
                         + "comment \(try row.decode(column: "comment_id", as: Int?.self) ?? 0)")
        }
        return lines
    }

    @Test("each kind of invalid create is 422 and changes nothing: no customer, no round-robin move, no attachment linked",
          arguments: TestDatabase.all)
    func refusedCreates(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let admin = server.adminToken
            let group = try #require(try await server.request(.POST, "/api/v1/groups", token: admin,
                                                              json: ["name": "Первая линия", "assignment": "round_robin"])["id"] as? Int)
            let agent = try await server.makeUser("agent@np.ru", role: .agent)
            _ = try await server.request(.PUT, "/api/v1/groups/\(group)/members/\(agent.id)", token: admin)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(agent.id)", token: agent.token, json: ["on_shift": true]).status == .ok)
            let customer = try await server.makeUser("customer@np.ru", role: .customer)
            // An upload of the admin's own (usable) and one of the customer's (not the admin's to attach).
            let mine = try await server.request(.POST, "/api/v1/attachments?filename=a.txt", token: admin, body: Data("a".utf8),
                                                headers: [("Content-Type", "text/plain")])
            let minePublic = try #require(mine.items.first?["id"] as? String ?? (mine["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            let theirs = try await server.request(.POST, "/api/v1/attachments?filename=b.txt", token: customer.token, body: Data("b".utf8),
                                                  headers: [("Content-Type", "text/plain")])
            let theirsPublic = try #require(theirs.items.first?["id"] as? String ?? (theirs["attachments"] as? [[String: Any]])?.first?["id"] as? String)

            // What used to be written before the checks: a new customer and the group's next pick.
            let writesFirst: [String: Any] = ["requester_email": "new.person@np.ru", "requester_name": "Новый Клиент", "group_id": group]
            let refused: [(String, [String: Any])] = [
                ("an unknown attachment", ["attachments": [minePublic, "att_unknown"]]),
                ("someone else's upload", ["attachments": [theirsPublic]]),
                ("an unknown assignee", ["assignee_id": 999_999, "requester_email": "new.person@np.ru", "attachments": [minePublic]]),
                ("a customer as assignee", ["assignee_id": customer.id]),
                ("an unknown group", ["group_id": 999_999, "attachments": [minePublic]]),
                ("an unknown requester", ["requester_id": 999_999, "requester_email": NSNull()]),
                ("an empty subject", ["subject": "   "]),
                ("an unknown intake answer", ["fields": ["no_such_question": "x"]]),
                ("a due date in the past", ["due_at": "2001-01-01T00:00:00Z"]),
                ("a status that cannot start a ticket", ["status": "closed_for_good"]),
            ]
            for (what, extra) in refused {
                let before = try await Self.snapshot(server)
                var json = writesFirst
                json.merge(extra) { _, new in new }
                json = json.filter { !($0.value is NSNull) }
                let reply = try await server.makeTicket(token: admin, extra: json)
                #expect(reply.status == .unprocessableEntity, "\(what): \(reply.status) \(reply.text)")
                let after = try await Self.snapshot(server)
                #expect(after == before, "\(what) left a trace: \(Set(after).subtracting(before))")
            }

            // The same create without the mistake goes through, with everything the refused ones left alone.
            let accepted = try await server.makeTicket(token: admin, extra: writesFirst.merging(["attachments": [minePublic]]) { _, new in new })
            #expect(accepted.status == .created, "\(accepted.text)")
            #expect((accepted["assignee"] as? [String: Any])?["id"] as? Int == agent.id)
            #expect((accepted["requester"] as? [String: Any])?["name"] as? String == "Новый Клиент")
            let last = try await server.sql.raw("SELECT last_assigned_user_id FROM support_groups WHERE id = \(bind: group)").first()
            #expect(try last?.decode(column: "last_assigned_user_id", as: Int?.self) == agent.id)
            #expect(try await server.request(.GET, "/api/v1/users?email=new.person@np.ru", token: admin).items.count == 1)
        }
    }
}
