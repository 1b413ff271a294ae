import Foundation
import SQLKit
import ZayavkaCore

/// Who has a ticket open and who is writing on it (issue 20): each agent's page says so every 10 s
/// (`ticket_presence`, shared by all instances; `TicketFeed` reads it).
enum PresenceService {
    /// Records the viewer's sign of life on a ticket (`typing` or not), or forgets it when the page leaves.
    static func record(number: Int, typing: Bool, leave: Bool, context: ServiceContext) async throws {
        let viewer = try context.viewer
        let row = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        let (now, userID) = (context.now, viewer.userID)
        try await context.write { db in
            let sql = db as! any SQLDatabase
            if leave {
                try await sql.raw("DELETE FROM ticket_presence WHERE ticket_id = \(bind: row.id) AND user_id = \(bind: userID)").run()
            } else {
                try await sql.raw("""
                    INSERT INTO ticket_presence (ticket_id, user_id, typing, seen_at) VALUES (\(bind: row.id), \(bind: userID), \(bind: typing), \(bind: now))
                    ON CONFLICT (ticket_id, user_id) DO UPDATE SET typing = excluded.typing, seen_at = excluded.seen_at
                    """).run()
            }
        }
    }

    /// Pages closed without a word (a crash, a lost network) leave rows behind: the periodic jobs
    /// forget those an hour old.
    static func sweep(context: ServiceContext) async throws -> Int {
        let cutoff = context.now.addingTimeInterval(-3600)
        return try await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM ticket_presence WHERE seen_at < \(bind: cutoff) RETURNING ticket_id").all().count
        }
    }
}
