import Foundation
import SQLKit
import ZayavkaCore

/// What the admins' user pages read: the people with their organization and calendar, and the
/// calendars to choose from. Rows are decoded into typed structs, not column by column.
enum AdminPagesQuery {
    private struct UserRow: Decodable {
        let id: Int
        let name: String
        let email: String
        let role: String
        let phone: String?
        let is_active: Bool
        let organization_id: Int?
        let org: String?
        let calendar: String?
    }

    private struct CalendarRow: Decodable {
        let key: String
        let name: String
    }

    /// Up to 500 people, staff first, by name.
    static func users(on sql: any SQLDatabase) async throws -> [UsersModel.Item] {
        try await sql.raw("""
            SELECT u.id, u.name, u.email, u.role, u.phone, u.is_active, u.organization_id, o.name AS org, c.key AS calendar
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id LEFT JOIN business_calendars c ON c.id = u.calendar_id ORDER BY u.role <> 'customer' DESC, u.name LIMIT 500
            """).all(decoding: UserRow.self).map {
            .init(id: $0.id, name: $0.name, email: $0.email, role: Role(rawValue: $0.role) ?? .customer, organization: $0.org,
                  organizationID: $0.organization_id, phone: $0.phone, isActive: $0.is_active, calendar: $0.calendar)
        }
    }

    /// (key, name) of every business calendar, in id order.
    static func calendarOptions(on sql: any SQLDatabase) async throws -> [QueueModel.Option] {
        try await sql.raw("SELECT key, name FROM business_calendars ORDER BY id").all(decoding: CalendarRow.self)
            .map { QueueModel.Option(value: $0.key, label: $0.name) }
    }
}
