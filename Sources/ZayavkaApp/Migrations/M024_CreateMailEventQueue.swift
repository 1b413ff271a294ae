import Fluent
import Foundation
import SQLKit

/// Issue 22: on PostgreSQL the notifier takes history events from a queue instead of reading past a
/// position in `ticket_events`.
///
/// Event ids come from a sequence when a row is inserted, but transactions commit in their own
/// order. A notifier that had seen event 11 committed moved its position past 10 while 10's
/// transaction was still open, and event 10 was never mailed about (the cluster test lost 5 of 243
/// acknowledgements). Every inserted event is now queued by a trigger in the inserting transaction,
/// and the notifier deletes what it handled in the transaction that writes the outbox: an event is
/// mailed about once, whenever it commits. SQLite needs none of this: it has one writer at a time,
/// so ids commit in order and the position in `job_cursors` stays exact.
struct M024CreateMailEventQueue: AsyncMigration {
    var name: String { "M024CreateMailEventQueue" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("CREATE TABLE mail_event_queue (event_id BIGINT PRIMARY KEY)").run()
        // Events past the notifier's position are still to be mailed about.
        try await sql.raw("""
            INSERT INTO mail_event_queue (event_id)
            SELECT id FROM ticket_events WHERE id > (SELECT value FROM job_cursors WHERE name = 'mail_events')
            """).run()
        try await sql.raw("""
            CREATE FUNCTION ticket_events_enqueue() RETURNS trigger AS $$
            BEGIN INSERT INTO mail_event_queue (event_id) SELECT id FROM added; RETURN NULL; END; $$ LANGUAGE plpgsql
            """).run()
        try await sql.raw("""
            CREATE TRIGGER ticket_events_mail_queue AFTER INSERT ON ticket_events
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_enqueue()
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        guard sql.dialect.name == "postgresql" else { return }
        // The position goes back to just before the oldest event still queued.
        try await sql.raw("""
            UPDATE job_cursors SET value = COALESCE((SELECT MIN(event_id) - 1 FROM mail_event_queue), (SELECT COALESCE(MAX(id), 0) FROM ticket_events))
            WHERE name = 'mail_events'
            """).run()
        try await sql.raw("DROP TRIGGER IF EXISTS ticket_events_mail_queue ON ticket_events").run()
        try await sql.raw("DROP FUNCTION IF EXISTS ticket_events_enqueue()").run()
        try await sql.raw("DROP TABLE IF EXISTS mail_event_queue").run()
    }
}
