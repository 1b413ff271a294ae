import Fluent
import Foundation
import SQLKit

/// Issue 19 (SPEC C6): webhooks. Subscriptions (a URL, the events, a signing secret stored sealed),
/// a durable delivery queue with attempts and the last response, and a queue of history events fed
/// by a trigger in the inserting transaction, only while some subscription is active, so an event
/// is never skipped however transactions commit and costs nothing when nobody subscribes.
struct M030CreateWebhooks: AsyncMigration {
    var name: String { "M030CreateWebhooks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhooks")
            .field("id", .int, .identifier(auto: true))
            .field("url", .string, .required)
            .field("description", .string, .required)
            // Comma-separated event types.
            .field("events", .string, .required)
            .field("secret", .string, .required)
            .field("active", .bool, .required)
            // Deliveries that failed for good in a row; reset by a success.
            .field("failures", .int, .required)
            .field("disabled_at", .datetime)
            .field("disabled_reason", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("webhook_deliveries")
            .field("id", .int, .identifier(auto: true))
            .field("webhook_id", .int, .required, .references("webhooks", "id", onDelete: .cascade))
            // The event's id as the receiver sees it (the history event it came from): the same on every retry.
            .field("event_id", .string, .required)
            .field("event_type", .string, .required)
            .field("ticket_id", .int)
            .field("payload", .string, .required)
            // queued | sending | delivered | failed
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            // The process sending it (`host/pid/tag`) while `sending`.
            .field("claimed_by", .string)
            .field("last_status", .int)
            .field("last_response", .string)
            .field("last_error", .string)
            .field("duration_ms", .int)
            .field("created_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .unique(on: "webhook_id", "event_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "webhook_deliveries_due_idx").on("webhook_deliveries").column("status").column("next_attempt_at").run()
        try await sql.create(index: "webhook_deliveries_hook_idx").on("webhook_deliveries").column("webhook_id").column("id").run()
        try await sql.raw("CREATE TABLE webhook_event_queue (event_id BIGINT PRIMARY KEY)").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE FUNCTION ticket_events_webhook_enqueue() RETURNS trigger AS $$
                BEGIN
                  IF EXISTS (SELECT 1 FROM webhooks WHERE active) THEN
                    INSERT INTO webhook_event_queue (event_id) SELECT id FROM added;
                  END IF;
                  RETURN NULL;
                END; $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("""
                CREATE TRIGGER ticket_events_webhook_queue AFTER INSERT ON ticket_events
                REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_webhook_enqueue()
                """).run()
        } else {
            try await sql.raw("""
                CREATE TRIGGER ticket_events_webhook_queue AFTER INSERT ON ticket_events
                WHEN EXISTS (SELECT 1 FROM webhooks WHERE active = 1)
                BEGIN INSERT INTO webhook_event_queue (event_id) VALUES (NEW.id); END
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS ticket_events_webhook_queue ON ticket_events").run()
            try await sql.raw("DROP FUNCTION IF EXISTS ticket_events_webhook_enqueue()").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS ticket_events_webhook_queue").run()
        }
        try await sql.raw("DROP TABLE IF EXISTS webhook_event_queue").run()
        try await database.schema("webhook_deliveries").delete()
        try await database.schema("webhooks").delete()
    }
}
