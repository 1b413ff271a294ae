import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 16: known problems (SPEC P1, P2). A problem has its own number series (P-101…; a sequence
/// on PostgreSQL, a counter row on SQLite); a ticket links to at most one problem
/// (`tickets.problem_id`, there since M006); the requesters of linked tickets are its interested
/// parties, once each; a public update travels in batches recorded in `problem_broadcasts`.
struct M018CreateProblems: AsyncMigration {
    var name: String { "M018CreateProblems" }
    static let firstNumber = 101

    func prepare(on database: any Database) async throws {
        try await database.schema("problems")
            .field("id", .int, .identifier(auto: true))
            .field("number", .int, .required)
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("title_folded", .string, .required)
            .field("description", .string, .required)
            .field("public_summary", .string, .required)
            .field("status", .string, .required)
            .field("target_version", .string)
            .field("target_date", .string)
            .field("fixed_version", .string)
            .field("reason", .string)
            .field("group_id", .int, .references("support_groups", "id"))
            .field("owner_id", .int, .references("users", "id"))
            .field("tracker_url", .string)
            // Outages: the failure kind that links new matching requests while the incident is active.
            .field("failure_kind", .string)
            .field("incident_active", .bool, .required)
            .field("estimate", .string)
            .field("created_by_id", .int, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "number")
            .create()
        try await database.schema("problem_parties")
            .field("problem_id", .int, .required, .references("problems", "id"))
            .field("user_id", .int, .required, .references("users", "id"))
            .field("ticket_id", .int, .required, .references("tickets", "id"))
            .field("added_at", .datetime, .required)
            .unique(on: "problem_id", "user_id")
            .create()
        try await database.schema("problem_events")
            .field("id", .int, .identifier(auto: true))
            .field("problem_id", .int, .required, .references("problems", "id"))
            .field("actor_id", .int, .references("users", "id"))
            .field("kind", .string, .required)
            .field("field", .string)
            .field("before", .string)
            .field("after", .string)
            .field("is_public", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        // A public update on its way to every linked ticket and interested party, in batches; the
        // cursors say how far it got, so an update cut off by a restart is finished by the periodic job.
        try await database.schema("problem_broadcasts")
            .field("id", .int, .identifier(auto: true))
            .field("problem_id", .int, .required, .references("problems", "id"))
            .field("actor_id", .int, .references("users", "id"))
            .field("body_ru", .string, .required)
            .field("body_en", .string, .required)
            .field("solve_tickets", .bool, .required)
            .field("ticket_cursor", .int, .required)
            .field("party_cursor", .int, .required)
            .field("created_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "problem_events_problem_idx").on("problem_events").column("problem_id").column("id").run()
        try await sql.create(index: "problem_parties_user_idx").on("problem_parties").column("user_id").run()
        try await sql.create(index: "problems_status_idx").on("problems").column("status").column("number").run()
        try await sql.create(index: "tickets_problem_id_idx").on("tickets").column("problem_id").column("number").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("CREATE SEQUENCE problem_number_seq START WITH \(unsafeRaw: String(Self.firstNumber))").run()
        } else {
            try await sql.insert(into: "counters").columns("name", "value")
                .values(SQLBind("problem_number"), SQLBind(Self.firstNumber - 1)).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP SEQUENCE IF EXISTS problem_number_seq").run()
        } else {
            try await sql.raw("DELETE FROM counters WHERE name = 'problem_number'").run()
        }
        try await sql.raw("DROP INDEX IF EXISTS tickets_problem_id_idx").run()
        for table in ["problem_broadcasts", "problem_events", "problem_parties", "problems"] {
            try await database.schema(table).delete()
        }
    }
}
