import Foundation
import SQLKit

/// What the incoming-call page reads: the people a search names (with those of the organizations
/// it found) and their open tickets. Rows are decoded into typed structs, not column by column.
enum PhonePagesQuery {
    private struct IDRow: Decodable {
        let id: Int
    }

    private struct OpenTicketRow: Decodable {
        let requester_id: Int
        let number: Int
        let subject: String
        let status: String
    }

    private struct PersonRow: Decodable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let org: String?
    }

    /// The contacts found, then up to 30 active customers of the organizations found (by name),
    /// each once.
    static func candidates(contacts: [Int], organizations: [Int], on sql: any SQLDatabase) async throws -> [Int] {
        var ids = contacts
        guard !organizations.isEmpty else { return ids }
        for row in try await sql.raw("""
            SELECT id FROM users WHERE organization_id IN (\(binds: organizations)) AND role = 'customer' AND is_active = \(bind: true) ORDER BY name LIMIT 30
            """).all(decoding: IDRow.self) where !ids.contains(row.id) {
            ids.append(row.id)
        }
        return ids
    }

    /// These people in this order, each with their open tickets (statuses in `active`), newest first;
    /// a status is shown by its name in `statusNames`.
    static func people(_ ids: [Int], active: [String], statusNames: [String: String],
                       on sql: any SQLDatabase) async throws -> [IncomingCallPage.Person] {
        var tickets: [Int: [IncomingCallPage.OpenTicket]] = [:]
        for row in try await sql.raw("""
            SELECT requester_id, number, subject, status FROM tickets WHERE requester_id IN (\(binds: ids)) AND status IN (\(binds: active))
            ORDER BY number DESC LIMIT 200
            """).all(decoding: OpenTicketRow.self) {
            tickets[row.requester_id, default: []].append(
                IncomingCallPage.OpenTicket(number: row.number, subject: row.subject, status: statusNames[row.status] ?? row.status))
        }
        var byID: [Int: IncomingCallPage.Person] = [:]
        for row in try await sql.raw("""
            SELECT u.id, u.name, u.email, u.phone, o.name AS org FROM users u LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE u.id IN (\(binds: ids))
            """).all(decoding: PersonRow.self) {
            byID[row.id] = IncomingCallPage.Person(id: row.id, name: row.name, email: row.email, phone: row.phone, organization: row.org,
                                                   tickets: tickets[row.id] ?? [])
        }
        return ids.compactMap { byID[$0] }
    }
}
