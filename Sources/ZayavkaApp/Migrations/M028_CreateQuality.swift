import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 18: quality. The team's settings (key and value), the key that signs the links in
/// survey and resolution mails (made once, shared by every instance), resolution reports,
/// satisfaction surveys, service feedback, and conversation reviews with their scorecard.
struct M028CreateQuality: AsyncMigration {
    var name: String { "M028CreateQuality" }

    func prepare(on database: any Database) async throws {
        try await database.schema("settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("signing_keys")
            .field("name", .string, .identifier(auto: false))
            .field("secret", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("resolution_reports")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("author_id", .int, .references("users", "id"))
            .field("fixed", .string, .required)
            .field("how", .string, .required)
            .field("prevention", .string, .required)
            .field("check_text", .string, .required)
            // A link in the solved mail names the report and carries this.
            .field("nonce", .string, .required)
            .field("created_at", .datetime, .required)
            // The customer's answer: works | not_working.
            .field("outcome", .string)
            .field("outcome_at", .datetime)
            .create()
        try await database.schema("satisfaction_surveys")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("requester_id", .int, .required, .references("users", "id"))
            // The solution this survey asks about: one survey per solution at most (and per ticket by default).
            .field("solved_at", .datetime, .required)
            // sent | skipped (with reason).
            .field("status", .string, .required)
            .field("reason", .string)
            .field("nonce", .string, .required)
            .field("sent_at", .datetime)
            .field("expires_at", .datetime)
            .field("rating", .string)
            .field("comment", .string)
            .field("rated_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "ticket_id", "solved_at")
            .create()
        try await database.schema("service_feedback")
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("contact", .string, .required)
            .field("body", .string, .required)
            .field("user_id", .int, .references("users", "id"))
            // new | in_progress | done.
            .field("status", .string, .required)
            .field("note", .string, .required)
            .field("handled_by", .int, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("review_criteria")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name_ru", .string, .required)
            .field("name_en", .string, .required)
            .field("weight", .int, .required)
            .field("position", .int, .required)
            .field("active", .bool, .required)
            .unique(on: "key")
            .create()
        // A sample is drawn once per agent and week, whichever instance gets there first.
        try await database.schema("review_rounds")
            .field("id", .int, .identifier(auto: true))
            .field("agent_id", .int, .required, .references("users", "id"))
            .field("week", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "agent_id", "week")
            .create()
        try await database.schema("reviews")
            .field("id", .int, .identifier(auto: true))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("agent_id", .int, .required, .references("users", "id"))
            .field("week", .string, .required)
            // pending | done.
            .field("status", .string, .required)
            .field("reviewer_id", .int, .references("users", "id"))
            .field("total", .double)
            .field("comment", .string, .required)
            .field("created_at", .datetime, .required)
            .field("reviewed_at", .datetime)
            .unique(on: "ticket_id")
            .create()
        try await database.schema("review_scores")
            .field("id", .int, .identifier(auto: true))
            .field("review_id", .int, .required, .references("reviews", "id"))
            .field("criterion_id", .int, .required, .references("review_criteria", "id"))
            .field("score", .int, .required)
            .field("comment", .string, .required)
            .unique(on: "review_id", "criterion_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX resolution_reports_ticket_idx ON resolution_reports (ticket_id)").run()
        try await sql.raw("CREATE INDEX satisfaction_surveys_created_idx ON satisfaction_surveys (created_at)").run()
        try await sql.raw("CREATE INDEX service_feedback_status_idx ON service_feedback (status, id)").run()
        try await sql.raw("CREATE INDEX reviews_agent_week_idx ON reviews (agent_id, week)").run()
        for (position, criterion) in ReviewCriterion.defaults.enumerated() {
            try await sql.raw("""
                INSERT INTO review_criteria (key, name_ru, name_en, weight, position, active)
                VALUES (\(bind: criterion.key), \(bind: criterion.nameRu), \(bind: criterion.nameEn), \(bind: criterion.weight), \(bind: (position + 1) * 10), \(bind: true))
                """).run()
        }
        // The survey job's position (seconds since 1970 of the last solution time it has looked at; 0: not yet).
        try await sql.raw("INSERT INTO job_cursors (name, value) VALUES ('satisfaction', 0)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DELETE FROM job_cursors WHERE name = 'satisfaction'").run()
        for table in ["review_scores", "reviews", "review_rounds", "review_criteria", "service_feedback", "satisfaction_surveys",
                      "resolution_reports", "signing_keys", "settings"] {
            try await database.schema(table).delete()
        }
    }
}
