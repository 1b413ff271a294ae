import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 18: quality. The team's settings (key and value), the key that signs the links in
/// survey and resolution mails (made once, shared by every instance), resolution reports,
/// satisfaction surveys, service feedback, conversation reviews with their scorecard, and the
/// reports' daily rollups with the triggers that mark the days a change touches.
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
        try await sql.raw("CREATE INDEX satisfaction_surveys_solved_idx ON satisfaction_surveys (solved_at)").run()
        // The report's latest rating comments: only the commented surveys, newest solution first.
        try await sql.raw("CREATE INDEX satisfaction_surveys_commented_idx ON satisfaction_surveys (solved_at) WHERE comment IS NOT NULL").run()
        try await sql.raw("CREATE INDEX tickets_first_response_idx ON tickets (first_response_at)").run()
        try await ReportTables.create(on: sql)
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await ReportTables.drop(on: sql)
        try await sql.raw("DROP INDEX IF EXISTS tickets_first_response_idx").run()
        try await sql.raw("DELETE FROM job_cursors WHERE name = 'satisfaction'").run()
        for table in ["review_scores", "reviews", "review_rounds", "review_criteria", "service_feedback", "satisfaction_surveys",
                      "resolution_reports", "signing_keys", "settings"] {
            try await database.schema(table).delete()
        }
    }
}

/// The reports' rollups (issue 18, SPEC Q4): one row per Moscow day and cell (group, agent, channel,
/// type, each also as "all"), SLA targets met and missed, causes; and `report_dirty`, the days a
/// change touched, written by triggers so that every path that writes tickets, ratings or SLA
/// outcomes keeps the rollups current (the job recomputes those days).
enum ReportTables {
    static let cellColumns = "group_id INTEGER NOT NULL, agent_id INTEGER NOT NULL, channel VARCHAR(16) NOT NULL, type VARCHAR(16) NOT NULL"

    static var counterColumns: [String] {
        ["created", "solved", "responded"] + (1...4).map { "p\($0)" } + (0...4).map { "u\($0)" }
            + (0...Responsibility.allCases.count).map { "r\($0)" } + ["good", "bad"]
            + (0..<ReportHistogram.count).map { "f\($0)" } + (0..<ReportHistogram.count).map { "s\($0)" }
    }

    static func create(on sql: any SQLDatabase) async throws {
        let postgres = sql.dialect.name == "postgresql"
        let id = postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        try await sql.raw("""
            CREATE TABLE report_daily (day INTEGER NOT NULL, \(unsafeRaw: cellColumns),
            \(unsafeRaw: counterColumns.map { "\($0) INTEGER NOT NULL DEFAULT 0" }.joined(separator: ", ")))
            """).run()
        try await sql.raw("CREATE UNIQUE INDEX report_daily_cell_idx ON report_daily (group_id, agent_id, channel, type, day)").run()
        try await sql.raw("CREATE INDEX report_daily_day_idx ON report_daily (day)").run()
        // The agents' table of a report: every agent's rows of one (group, channel, type) cell.
        try await sql.raw("CREATE INDEX report_daily_agents_idx ON report_daily (group_id, channel, type, agent_id, day)").run()
        try await sql.raw("""
            CREATE TABLE report_sla (day INTEGER NOT NULL, \(unsafeRaw: cellColumns), policy_id INTEGER NOT NULL, metric VARCHAR(32) NOT NULL,
            met INTEGER NOT NULL, missed INTEGER NOT NULL)
            """).run()
        try await sql.raw("CREATE INDEX report_sla_cell_idx ON report_sla (group_id, agent_id, channel, type, day)").run()
        try await sql.raw("CREATE INDEX report_sla_day_idx ON report_sla (day)").run()
        try await sql.raw("CREATE TABLE report_causes (day INTEGER NOT NULL, \(unsafeRaw: cellColumns), cause VARCHAR(400) NOT NULL, created INTEGER NOT NULL)").run()
        try await sql.raw("CREATE INDEX report_causes_cell_idx ON report_causes (group_id, agent_id, channel, type, day)").run()
        try await sql.raw("CREATE INDEX report_causes_day_idx ON report_causes (day)").run()
        // Append-only: a trigger never waits on another transaction's row (no unique key to contend for).
        try await sql.raw("CREATE TABLE report_dirty (id \(unsafeRaw: id), day INTEGER NOT NULL)").run()
        try await sql.raw("CREATE INDEX report_dirty_day_idx ON report_dirty (day, id)").run()
        let relevant = ["solved_at", "first_response_at", "group_id", "assignee_id", "channel", "type", "priority", "urgency", "responsibility", "cause"]
        if postgres {
            try await sql.raw("""
                CREATE FUNCTION report_day(moment timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE AS
                $$ SELECT floor((extract(epoch FROM moment) + 10800) / 86400)::integer $$
                """).run()
            try await sql.raw("""
                CREATE FUNCTION report_mark_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'DELETE' THEN
                    INSERT INTO report_dirty (day) SELECT DISTINCT d FROM (VALUES (report_day(OLD.created_at)), (report_day(OLD.solved_at)),
                      (report_day(OLD.first_response_at))) v(d) WHERE d IS NOT NULL;
                    RETURN OLD;
                  END IF;
                  IF TG_OP = 'INSERT' THEN
                    INSERT INTO report_dirty (day) SELECT DISTINCT d FROM (VALUES (report_day(NEW.created_at)), (report_day(NEW.solved_at)),
                      (report_day(NEW.first_response_at))) v(d) WHERE d IS NOT NULL;
                    RETURN NEW;
                  END IF;
                  INSERT INTO report_dirty (day) SELECT DISTINCT d FROM (
                    SELECT report_day(NEW.created_at) AS d UNION SELECT report_day(OLD.solved_at) UNION SELECT report_day(NEW.solved_at)
                    UNION SELECT report_day(OLD.first_response_at) UNION SELECT report_day(NEW.first_response_at)
                    UNION SELECT report_day(s.solved_at) FROM satisfaction_surveys s WHERE s.ticket_id = NEW.id
                    UNION SELECT report_day(o.stopped_at) FROM sla_outcomes o WHERE o.ticket_id = NEW.id) x WHERE d IS NOT NULL;
                  RETURN NEW;
                END $$
                """).run()
            try await sql.raw("CREATE TRIGGER report_tickets_change AFTER INSERT OR DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION report_mark_ticket()").run()
            try await sql.raw("""
                CREATE TRIGGER report_tickets_update AFTER UPDATE ON tickets FOR EACH ROW
                WHEN (\(unsafeRaw: relevant.map { "OLD.\($0) IS DISTINCT FROM NEW.\($0)" }.joined(separator: " OR ")))
                EXECUTE FUNCTION report_mark_ticket()
                """).run()
            try await sql.raw("""
                CREATE FUNCTION report_mark_survey() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO report_dirty (day) VALUES (report_day(NEW.solved_at)); RETURN NEW; END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_surveys_change AFTER INSERT OR UPDATE OF rating ON satisfaction_surveys FOR EACH ROW EXECUTE FUNCTION report_mark_survey()
                """).run()
            try await sql.raw("""
                CREATE FUNCTION report_mark_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO report_dirty (day) VALUES (report_day(NEW.stopped_at)); RETURN NEW; END $$
                """).run()
            try await sql.raw("CREATE TRIGGER report_outcomes_change AFTER INSERT ON sla_outcomes FOR EACH ROW EXECUTE FUNCTION report_mark_outcome()").run()
        } else {
            func day(_ column: String) -> String { "CAST((\(column) + 10800) / 86400 AS INTEGER)" }
            try await sql.raw("""
                CREATE TRIGGER report_tickets_insert AFTER INSERT ON tickets BEGIN
                  INSERT INTO report_dirty (day) SELECT d FROM (SELECT \(unsafeRaw: day("NEW.created_at")) AS d UNION SELECT \(unsafeRaw: day("NEW.solved_at"))
                    UNION SELECT \(unsafeRaw: day("NEW.first_response_at"))) WHERE d IS NOT NULL;
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_tickets_delete AFTER DELETE ON tickets BEGIN
                  INSERT INTO report_dirty (day) SELECT d FROM (SELECT \(unsafeRaw: day("OLD.created_at")) AS d UNION SELECT \(unsafeRaw: day("OLD.solved_at"))
                    UNION SELECT \(unsafeRaw: day("OLD.first_response_at"))) WHERE d IS NOT NULL;
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_tickets_update AFTER UPDATE ON tickets
                WHEN \(unsafeRaw: relevant.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR "))
                BEGIN
                  INSERT INTO report_dirty (day) SELECT d FROM (SELECT \(unsafeRaw: day("NEW.created_at")) AS d UNION SELECT \(unsafeRaw: day("OLD.solved_at"))
                    UNION SELECT \(unsafeRaw: day("NEW.solved_at")) UNION SELECT \(unsafeRaw: day("OLD.first_response_at"))
                    UNION SELECT \(unsafeRaw: day("NEW.first_response_at"))
                    UNION SELECT \(unsafeRaw: day("s.solved_at")) FROM satisfaction_surveys s WHERE s.ticket_id = NEW.id
                    UNION SELECT \(unsafeRaw: day("o.stopped_at")) FROM sla_outcomes o WHERE o.ticket_id = NEW.id) WHERE d IS NOT NULL;
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_surveys_insert AFTER INSERT ON satisfaction_surveys BEGIN
                  INSERT INTO report_dirty (day) VALUES (\(unsafeRaw: day("NEW.solved_at")));
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_surveys_rating AFTER UPDATE OF rating ON satisfaction_surveys BEGIN
                  INSERT INTO report_dirty (day) VALUES (\(unsafeRaw: day("NEW.solved_at")));
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER report_outcomes_insert AFTER INSERT ON sla_outcomes BEGIN
                  INSERT INTO report_dirty (day) VALUES (\(unsafeRaw: day("NEW.stopped_at")));
                END
                """).run()
        }
        // A desk upgraded with tickets already there: every day they touch is computed by the job.
        try await markAllDays(on: sql)
    }

    /// Marks every day with a ticket created, solved or answered, a rating or an SLA outcome.
    static func markAllDays(on sql: any SQLDatabase) async throws {
        let day: (String) -> String = sql.dialect.name == "postgresql"
            ? { "report_day(\($0))" } : { "CAST((\($0) + 10800) / 86400 AS INTEGER)" }
        try await sql.raw("""
            INSERT INTO report_dirty (day) SELECT d FROM (
              SELECT \(unsafeRaw: day("created_at")) AS d FROM tickets UNION SELECT \(unsafeRaw: day("solved_at")) FROM tickets
              UNION SELECT \(unsafeRaw: day("first_response_at")) FROM tickets UNION SELECT \(unsafeRaw: day("solved_at")) FROM satisfaction_surveys
              UNION SELECT \(unsafeRaw: day("stopped_at")) FROM sla_outcomes UNION SELECT day FROM report_daily) x WHERE d IS NOT NULL
            """).run()
    }

    static func drop(on sql: any SQLDatabase) async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS report_tickets_change ON tickets").run()
            try await sql.raw("DROP TRIGGER IF EXISTS report_tickets_update ON tickets").run()
            try await sql.raw("DROP TRIGGER IF EXISTS report_surveys_change ON satisfaction_surveys").run()
            try await sql.raw("DROP TRIGGER IF EXISTS report_outcomes_change ON sla_outcomes").run()
            for function in ["report_mark_ticket()", "report_mark_survey()", "report_mark_outcome()", "report_day(timestamptz)"] {
                try await sql.raw("DROP FUNCTION IF EXISTS \(unsafeRaw: function)").run()
            }
        } else {
            for trigger in ["report_tickets_insert", "report_tickets_delete", "report_tickets_update", "report_surveys_insert", "report_surveys_rating",
                            "report_outcomes_insert"] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger)").run()
            }
        }
        for table in ["report_dirty", "report_causes", "report_sla", "report_daily"] {
            try await sql.raw("DROP TABLE IF EXISTS \(unsafeRaw: table)").run()
        }
    }
}
