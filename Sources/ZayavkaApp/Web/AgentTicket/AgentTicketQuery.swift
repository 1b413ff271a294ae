import Foundation
import SQLKit
import ZayavkaCore

/// What the agent's ticket page reads besides what the services give it: the requester's card,
/// the messages behind mail comments and the planned work. Rows are decoded into typed structs
/// (`SQLRow.decode(model:)`), not column by column.
enum AgentTicketQuery {
    private struct RequesterRow: Decodable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let org: String?
        let inn: String?
        let contract_number: String?
        let plan: String?
    }

    private struct OtherTicketRow: Decodable {
        let number: Int
        let subject: String
        let status: String
    }

    /// The requester with their organization and up to ten of their other tickets, newest first.
    static func requester(id: Int, excluding number: Int, statusNames: [String: String],
                          on sql: any SQLDatabase) async throws -> AgentTicketModel.Requester? {
        guard let person = try await sql.raw("""
            SELECT u.id, u.name, u.email, u.phone, o.name AS org, o.inn, o.contract_number, o.plan
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = \(bind: id)
            """).first(decoding: RequesterRow.self) else { return nil }
        let others = try await sql.raw("""
            SELECT number, subject, status FROM tickets WHERE requester_id = \(bind: id) AND number <> \(bind: number)
            ORDER BY number DESC LIMIT 10
            """).all(decoding: OtherTicketRow.self).map { (number: $0.number, subject: $0.subject, status: statusNames[$0.status] ?? "") }
        return AgentTicketModel.Requester(id: person.id, name: person.name, email: person.email, phone: person.phone,
                                          organization: person.org, inn: person.inn, contract: person.contract_number,
                                          plan: person.plan, otherTickets: others)
    }

    private struct MailRow: Decodable {
        let id: Int
        let comment_id: Int
    }

    /// Comment id → the received message it came from (the page links to the original).
    static func mailMessages(ticketID: Int, on sql: any SQLDatabase) async throws -> [Int: Int] {
        let rows = try await sql.raw("SELECT id, comment_id FROM mail_inbound WHERE ticket_id = \(bind: ticketID) AND comment_id IS NOT NULL")
            .all(decoding: MailRow.self)
        return Dictionary(rows.map { ($0.comment_id, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    private struct SlotRow: Decodable {
        let id: Int
        let user_id: Int
        let name: String
        let starts_at: Date
        let ends_at: Date
        let minutes: Int
        let note: String?
    }

    /// Work planned for the ticket, in time order (SPEC S4).
    static func slots(ticketID: Int, number: Int, on sql: any SQLDatabase) async throws -> [WorkSlotDTO] {
        try await sql.raw("""
            SELECT s.id, s.user_id, u.name, s.starts_at, s.ends_at, s.minutes, s.note FROM work_slots s JOIN users u ON u.id = s.user_id
            WHERE s.ticket_id = \(bind: ticketID) ORDER BY s.starts_at
            """).all(decoding: SlotRow.self).map { slot in
            WorkSlotDTO(id: slot.id, user: PersonRef(id: slot.user_id, name: slot.name), ticketNumber: number, subject: nil,
                        startsAt: slot.starts_at, endsAt: slot.ends_at, minutes: slot.minutes, note: slot.note)
        }
    }

    /// Names of the organizations a ticket's history mentions.
    static func organizationNames(ids: [Int], on sql: any SQLDatabase) async throws -> [Int: String] {
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else { return [:] }
        struct NameRow: Decodable { let id: Int; let name: String }
        let rows = try await sql.raw("SELECT id, name FROM organizations WHERE id IN (\(SQLList(unique.map { SQLBind($0) })))").all(decoding: NameRow.self)
        return Dictionary(rows.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }
}
