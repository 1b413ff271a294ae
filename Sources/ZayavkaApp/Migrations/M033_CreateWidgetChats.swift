import Fluent
import Foundation
import SQLKit

/// Issue 19 (SPEC C4): the widget's sessions and live chats.
///
/// - `widget_sessions`: a host page's user (identified by the host's signed token, or a visitor
///   who gave a name and an address) exchanged for a bearer token that only the widget's
///   operations accept; only its SHA-256 is kept.
/// - `widget_tickets`: the requests a session filed. A visitor the host did not identify sees
///   only these, never the other requests of the account their address belongs to.
/// - `chats`: one per chat, keyed by its ticket; the transcript is the ticket's comments.
struct M033CreateWidgetChats: AsyncMigration {
    var name: String { "M033CreateWidgetChats" }

    func prepare(on database: any Database) async throws {
        try await database.schema("widget_sessions")
            .field("id", .int, .identifier(auto: true))
            .field("token_hash", .string, .required)
            .field("user_id", .int, .required, .references("users", "id"))
            // The host identified the user (a signed token, or the portal's own session).
            .field("verified", .bool, .required)
            // The host page's origin the session was made for, when the browser told it.
            .field("origin", .string)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.schema("widget_tickets")
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("session_id", .int, .required, .references("widget_sessions", "id"))
            .unique(on: "ticket_id")
            .create()
        try await database.schema("chats")
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("customer_id", .int, .required, .references("users", "id"))
            // waiting | active | ended
            .field("state", .string, .required)
            .field("agent_id", .int, .references("users", "id"))
            .field("started_at", .datetime, .required)
            .field("accepted_at", .datetime)
            .field("ended_at", .datetime)
            .field("ended_by", .int, .references("users", "id"))
            // Every message and change moves it: the instances' change feed.
            .field("updated_at", .datetime, .required)
            .unique(on: "ticket_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX widget_sessions_user_idx ON widget_sessions (user_id)").run()
        try await sql.raw("CREATE INDEX widget_tickets_session_idx ON widget_tickets (session_id)").run()
        try await sql.raw("CREATE INDEX chats_state_idx ON chats (state, started_at)").run()
        try await sql.raw("CREATE INDEX chats_updated_idx ON chats (updated_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("chats").delete()
        try await database.schema("widget_tickets").delete()
        try await database.schema("widget_sessions").delete()
    }
}
