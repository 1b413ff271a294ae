import Fluent
import Foundation
import SQLKit

/// Issue 19 (SPEC X1): bans. A ban covers a customer's account, one address or a whole domain, with
/// a reason, an optional end and, once lifted, who lifted it and why; the ban requests that conduct
/// warnings record wait in `ban_requests` for a manager's decision.
///
/// Upgrade: every `ban_requested` event recorded before becomes a pending request (one per customer),
/// and an account that carried `users.banned_at` becomes a customer ban, so the bans table is the one
/// place every channel checks.
struct M031CreateBans: AsyncMigration {
    var name: String { "M031CreateBans" }

    func prepare(on database: any Database) async throws {
        try await database.schema("bans")
            .field("id", .int, .identifier(auto: true))
            // customer | email | domain
            .field("scope", .string, .required)
            .field("user_id", .int, .references("users", "id"))
            // The lower-cased address or domain (for a customer: their address when banned, for display).
            .field("value", .string, .required)
            .field("reason", .string, .required)
            .field("ends_at", .datetime)
            .field("created_by", .int, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("lifted_at", .datetime)
            .field("lifted_by", .int, .references("users", "id"))
            .field("lift_reason", .string)
            // The ban request it settled, when it came from one.
            .field("request_id", .int)
            .create()
        try await database.schema("ban_requests")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("customer_id", .int, .required, .references("users", "id"))
            .field("requested_by", .int, .references("users", "id"))
            .field("requested_at", .datetime, .required)
            // pending | approved | declined
            .field("status", .string, .required)
            .field("decided_by", .int, .references("users", "id"))
            .field("decided_at", .datetime)
            .field("decision_note", .string)
            .field("ban_id", .int)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX bans_active_idx ON bans (lifted_at)").run()
        try await sql.raw("CREATE INDEX bans_user_idx ON bans (user_id)").run()
        // One pending request per customer: a further warning adds to the same request.
        try await sql.raw("CREATE UNIQUE INDEX ban_requests_pending_idx ON ban_requests (customer_id) WHERE status = 'pending'").run()
        try await sql.raw("CREATE INDEX ban_requests_status_idx ON ban_requests (status, id)").run()

        // Requests recorded before there was anywhere to decide them: the latest per customer.
        try await sql.raw("""
            INSERT INTO ban_requests (ticket_id, customer_id, requested_by, requested_at, status)
            SELECT e.ticket_id, t.requester_id, e.actor_id, e.created_at, 'pending'
            FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.kind = 'ban_requested' AND e.id = (
                SELECT MAX(e2.id) FROM ticket_events e2 JOIN tickets t2 ON t2.id = e2.ticket_id
                WHERE e2.kind = 'ban_requested' AND t2.requester_id = t.requester_id)
            """).run()
        try await sql.raw("""
            INSERT INTO bans (scope, user_id, value, reason, created_at, updated_at)
            SELECT 'customer', id, email, 'banned before bans were recorded', banned_at, banned_at FROM users WHERE banned_at IS NOT NULL
            """).run()
        try await sql.raw("UPDATE users SET banned_at = NULL WHERE banned_at IS NOT NULL").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("ban_requests").delete()
        try await database.schema("bans").delete()
    }
}
