import Fluent
import Foundation
import SQLKit

/// Issue 22: the immutable history (M008) may be redacted and nothing more. Erasing a customer's
/// personal data (152-FZ, GDPR) must take their text out of the history too; an update that only
/// empties `before`, `after` or `reason` (sets them to NULL) is allowed, every other change and
/// every deletion is still refused by the database itself.
struct M023EventRedaction: AsyncMigration {
    var name: String { "M023EventRedaction" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION ticket_events_immutable() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.ticket_id = OLD.ticket_id
                       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.kind = OLD.kind
                       AND NEW.field IS NOT DISTINCT FROM OLD.field AND NEW.comment_id IS NOT DISTINCT FROM OLD.comment_id
                       AND NEW.is_public = OLD.is_public AND NEW.created_at = OLD.created_at
                       AND (NEW.before IS NULL OR NEW.before IS NOT DISTINCT FROM OLD.before)
                       AND (NEW.after IS NULL OR NEW.after IS NOT DISTINCT FROM OLD.after)
                       AND (NEW.reason IS NULL OR NEW.reason IS NOT DISTINCT FROM OLD.reason) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'ticket events are immutable';
                END; $$ LANGUAGE plpgsql
                """).run()
        } else {
            try await sql.raw("DROP TRIGGER ticket_events_no_update").run()
            try await sql.raw("""
                CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
                WHEN NOT (NEW.id IS OLD.id AND NEW.ticket_id IS OLD.ticket_id AND NEW.actor_id IS OLD.actor_id AND NEW.kind IS OLD.kind
                          AND NEW.field IS OLD.field AND NEW.comment_id IS OLD.comment_id AND NEW.is_public IS OLD.is_public
                          AND NEW.created_at IS OLD.created_at
                          AND (NEW.before IS NULL OR NEW.before IS OLD.before) AND (NEW.after IS NULL OR NEW.after IS OLD.after)
                          AND (NEW.reason IS NULL OR NEW.reason IS OLD.reason))
                BEGIN SELECT RAISE(ABORT, 'ticket events are immutable'); END
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION ticket_events_immutable() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'ticket events are immutable'; END; $$ LANGUAGE plpgsql
                """).run()
        } else {
            try await sql.raw("DROP TRIGGER ticket_events_no_update").run()
            try await sql.raw("""
                CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
                BEGIN SELECT RAISE(ABORT, 'ticket events are immutable'); END
                """).run()
        }
    }
}
