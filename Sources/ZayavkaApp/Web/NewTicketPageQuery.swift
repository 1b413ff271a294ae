import Foundation
import SQLKit

/// What the agents' new-ticket page reads: the customers a typed text finds. Rows are decoded into
/// typed structs, not column by column.
enum NewTicketPageQuery {
    private struct CustomerRow: Decodable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let org: String?
    }

    /// Customers whose name, email, phone or organization contains the text. Names are matched as
    /// typed, in lower case and capitalised, since SQLite's LIKE folds only ASCII letters.
    static func findCustomers(_ text: String, on sql: any SQLDatabase) async throws -> [NewTicketModel.Customer] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return [] }
        let variants = Array(Set([trimmed, trimmed.lowercased(), trimmed.capitalized, trimmed.uppercased()]))
        var conditions: [SQLQueryString] = []
        for variant in variants {
            let pattern = "%" + variant.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
            conditions.append("u.name LIKE \(bind: pattern)")
            conditions.append("u.email LIKE \(bind: pattern)")
            conditions.append("o.name LIKE \(bind: pattern)")
        }
        let digits = trimmed.filter(\.isNumber)
        if digits.count >= 4 { conditions.append("REPLACE(REPLACE(REPLACE(REPLACE(COALESCE(u.phone, ''), '+', ''), ' ', ''), '-', ''), '(', '') LIKE \(bind: "%" + digits + "%")") }
        let statement: SQLQueryString = "SELECT u.id, u.name, u.email, u.phone, o.name AS org FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.role = 'customer' AND ("
            + conditions.joined(separator: " OR ") + ") ORDER BY u.name LIMIT 20"
        return try await sql.raw(statement).all(decoding: CustomerRow.self).map {
            .init(id: $0.id, name: $0.name, email: $0.email, phone: $0.phone, organization: $0.org)
        }
    }
}
