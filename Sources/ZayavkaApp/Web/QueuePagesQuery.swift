import Foundation
import SQLKit
import ZayavkaCore

/// What the agents' queue pages read besides the ticket list: the viewer's groups, the capped
/// counts of the saved views, and the choices of the filter menus. Rows are decoded into typed
/// structs, not column by column.
enum QueuePagesQuery {
    private struct GroupRow: Decodable {
        let group_id: Int
    }

    private struct CountRow: Decodable {
        let n: Int
    }

    private struct OptionRow: Decodable {
        let id: Int
        let name: String
    }

    /// The groups a person belongs to, in id order.
    static func groupIDs(of userID: Int, on sql: any SQLDatabase) async throws -> [Int] {
        try await sql.raw("SELECT group_id FROM group_members WHERE user_id = \(bind: userID) ORDER BY group_id")
            .all(decoding: GroupRow.self).map(\.group_id)
    }

    /// COUNT(*) of the tickets matching `condition`, up to `cap` + 1.
    private static func cappedCount(_ condition: SQLQueryString, cap: Int, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM (SELECT 1 FROM tickets t WHERE " + condition + " LIMIT \(unsafeRaw: String(cap + 1))) capped")
            .first(decoding: CountRow.self)?.n ?? 0
    }

    /// The six counts: each a COUNT that the (status), (assignee_id, status) or (group_id, status)
    /// index answers alone, without reading the tickets themselves, capped at `cap`.
    static func counts(statuses: [StatusDefinition], userID: Int, groupIDs: [Int], cap: Int,
                       on sql: any SQLDatabase) async throws -> [QueueView: Int] {
        let active = statuses.filter { $0.category.isActive }.map(\.key)
        let pending = statuses.filter { $0.category == .pending }.map(\.key)
        let solved = statuses.filter { $0.category == .solved }.map(\.key)
        func count(_ condition: SQLQueryString) async throws -> Int { try await cappedCount(condition, cap: cap, on: sql) }
        var result: [QueueView: Int] = [:]
        result[.mine] = try await count("assignee_id = \(bind: userID) AND status IN (\(binds: active))")
        result[.unassigned] = try await count("assignee_id IS NULL AND status IN (\(binds: active))")
        result[.group] = groupIDs.isEmpty ? 0 : try await count("group_id IN (\(binds: groupIDs)) AND status IN (\(binds: active))")
        result[.waiting] = pending.isEmpty ? 0 : try await count("status IN (\(binds: pending))")
        result[.open] = try await count("status IN (\(binds: active))")
        result[.solved] = solved.isEmpty ? 0 : try await count("status IN (\(binds: solved))")
        return result
    }

    /// (id, name) choices of a query that selects `id` and `name`.
    private static func options(_ query: SQLQueryString, on sql: any SQLDatabase) async throws -> [QueueModel.Option] {
        try await sql.raw(query).all(decoding: OptionRow.self).map { .init(value: String($0.id), label: $0.name) }
    }

    static func staffOptions(on sql: any SQLDatabase) async throws -> [QueueModel.Option] {
        // The staff roles by name, so the role index answers it: `role <> 'customer'` read every customer.
        let staff = Role.allCases.filter(\.isStaff).map(\.rawValue)
        return try await options("SELECT id, name FROM users WHERE role IN (\(binds: staff)) AND is_active = \(bind: true) ORDER BY name LIMIT 500",
                                 on: sql)
    }

    static func groupOptions(on sql: any SQLDatabase) async throws -> [QueueModel.Option] {
        try await options("SELECT id, name FROM support_groups ORDER BY name LIMIT 500", on: sql)
    }

    static func organizationOptions(on sql: any SQLDatabase) async throws -> [QueueModel.Option] {
        try await options("SELECT id, name FROM organizations ORDER BY name LIMIT 500", on: sql)
    }
}
