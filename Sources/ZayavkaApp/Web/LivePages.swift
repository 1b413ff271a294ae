import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The live side of the agents' pages (issue 20): the event stream a queue or ticket page listens
/// to, and the ticket page's sign of life ("I have it open", "I am writing").
enum LivePages {
    /// `GET /agent/live[?ticket=N]`: server-sent events from `TicketFeed`.
    static func stream(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let ticket = request.query[String.self, at: "ticket"].flatMap { $0.count <= 12 ? Int($0) : nil }
        let feed = request.services.feed
        let (id, events) = feed.stream(userID: signedIn.viewer.userID, ticket: ticket, app: request.application)
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "text/event-stream; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-cache")
        // nginx in front must not buffer the stream.
        headers.add(name: "X-Accel-Buffering", value: "no")
        return Response(status: .ok, headers: headers, body: .init(asyncStream: { writer in
            // A write to a page that went away fails (the feed's ping finds it within 15 s): the stream is
            // forgotten and ended with the error (Vapor wants .end or .error before the writer goes).
            defer { feed.remove(id) }
            do {
                for await event in events {
                    try await writer.write(.buffer(ByteBuffer(string: event)))
                }
                try await writer.write(.end)
            } catch {
                try? await writer.write(.error(error))
            }
        }))
    }

    /// `POST /agent/tickets/N/presence`: `typing=1|0`, or `leave=1` when the page closes.
    static func presence(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let userID = signedIn.viewer.userID
        let context = try request.context
        let row = try await TicketQueries.load(number: number, viewer: signedIn.viewer, on: context.sql)
        let now = context.now
        let leave = form.text("leave") == "1"
        let typing = form.text("typing") == "1"
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
            // Pages closed without a word (a crash, a lost network) leave rows behind: an hour later they go.
            try await sql.raw("DELETE FROM ticket_presence WHERE seen_at < \(bind: now.addingTimeInterval(-3600))").run()
        }
        return Response(status: .noContent)
    }
}
