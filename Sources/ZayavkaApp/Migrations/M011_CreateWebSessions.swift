import Fluent
import Foundation
import SQLKit

/// Browser sessions (only a hash of the cookie is stored), the team's canned responses (seeded
/// with the stock phrases of seed 002), and indexes for the agents' queue counts.
struct M011CreateWebSessions: AsyncMigration {
    var name: String { "M011CreateWebSessions" }

    func prepare(on database: any Database) async throws {
        try await database.schema("web_sessions")
            .field("id", .int, .identifier(auto: true))
            .field("token_hash", .string, .required)
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "web_sessions_user_idx").on("web_sessions").column("user_id").run()
        // Queue counts (unassigned, mine, my groups) answered from the index alone.
        try await sql.create(index: "tickets_assignee_status_idx").on("tickets").column("assignee_id").column("status").run()
        try await sql.create(index: "tickets_group_status_idx").on("tickets").column("group_id").column("status").run()

        try await database.schema("canned_responses")
            .field("id", .int, .identifier(auto: true))
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("group_id", .int, .references("support_groups", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        let now = Date()
        for (index, phrase) in Self.seed002.enumerated() {
            try await sql.raw("""
                INSERT INTO canned_responses (title, body, position, created_at, updated_at)
                VALUES (\(bind: phrase.title), \(bind: phrase.body), \(bind: index + 1), \(bind: now), \(bind: now))
                """).run()
        }
    }

    /// The stock phrases agents say when handing a request on (seed 002, "Передача заявки"), and
    /// the mass-incident phrase.
    static let seed002: [(title: String, body: String)] = [
        ("Передали на линию консультаций", "Передали заявку на линию консультаций, они свяжутся с вами в ближайший рабочий день."),
        ("Передали программистам", "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день."),
        ("Свяжется менеджер", "Передали заявку вашему менеджеру, он свяжется с вами в ближайший рабочий день."),
        ("На 2-ю линию завтра/в понедельник", "Передали заявку на специалистов 2-линии техподдержки, они свяжутся с вами завтра/в понедельник."),
        ("Массовая проблема", "В данный момент наблюдаются технические проблемы у некоторых пользователей, ошибку уже решают, точное время решения будет известно позже."),
    ]

    func revert(on database: any Database) async throws {
        try await database.schema("canned_responses").delete()
        try await database.schema("web_sessions").delete()
    }
}
