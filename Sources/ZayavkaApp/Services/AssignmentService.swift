import Foundation
import SQLKit
import ZayavkaCore

/// Hands a group's new tickets to its agents on shift (SPEC T6), by turn or by load. Runs inside
/// the transaction that assigns, so the group's rota moves with the assignment.
enum AssignmentService {
    /// The agent to assign a ticket entering `groupID` to, or nil (manual group, nobody on shift).
    static func pick(groupID: Int, activeStatuses: [String], on sql: any SQLDatabase) async throws -> Int? {
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        guard let group = try await sql.raw("SELECT assignment, last_assigned_user_id FROM support_groups WHERE id = \(bind: groupID)" + SQLQueryString(lock)).first(),
              let mode = AssignmentMode(rawValue: try group.decode(column: "assignment", as: String?.self) ?? "manual"), mode != .manual
        else { return nil }
        let onShift = try await sql.raw("""
            SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id
            WHERE m.group_id = \(bind: groupID) AND u.is_active = \(bind: true) AND u.on_shift = \(bind: true) AND u.role <> 'customer'
            """).all().map { try $0.decode(column: "id", as: Int.self) }
        guard !onShift.isEmpty else { return nil }
        var load: [Int: Int] = [:]
        if mode == .leastLoaded, !activeStatuses.isEmpty {
            for row in try await sql.raw("""
                SELECT assignee_id, COUNT(*) AS n FROM tickets WHERE assignee_id IN (\(binds: onShift)) AND status IN (\(binds: activeStatuses))
                GROUP BY assignee_id
                """).all() {
                load[try row.decode(column: "assignee_id", as: Int.self)] = try row.decode(column: "n", as: Int.self)
            }
        }
        let last = try group.decode(column: "last_assigned_user_id", as: Int?.self)
        guard let chosen = AssignmentChooser.choose(mode, onShift: onShift, lastAssigned: last, openTickets: load) else { return nil }
        try await sql.raw("UPDATE support_groups SET last_assigned_user_id = \(bind: chosen) WHERE id = \(bind: groupID)").run()
        return chosen
    }

    /// Installs seed 002's support lines: the groups that are missing, with their assignment, and
    /// each hand-off route pointed at its line when it has no group yet. Returns the groups.
    static func installSeed002Lines(on sql: any SQLDatabase) async throws -> [Int] {
        var ids: [Int] = []
        for line in SupportLine.seed002 {
            let id: Int
            if let found = try await sql.raw("SELECT id FROM support_groups WHERE name = \(bind: line.name)").first() {
                id = try found.decode(column: "id", as: Int.self)
            } else {
                id = try await sql.raw("""
                    INSERT INTO support_groups (name, description, assignment, created_at)
                    VALUES (\(bind: line.name), \(bind: line.description), \(bind: line.assignment.rawValue), \(bind: Date())) RETURNING id
                    """).first()!.decode(column: "id", as: Int.self)
            }
            if let route = line.route {
                try await sql.raw("UPDATE hand_off_routes SET group_id = \(bind: id) WHERE key = \(bind: route) AND group_id IS NULL").run()
            }
            ids.append(id)
        }
        return ids
    }

    /// Whether `userID` belongs to `groupID`.
    static func isMember(_ userID: Int, of groupID: Int, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS x FROM group_members WHERE group_id = \(bind: groupID) AND user_id = \(bind: userID)").first() != nil
    }
}
