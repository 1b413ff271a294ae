import Foundation
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
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        try await PresenceService.record(number: number, typing: form.text("typing") == "1", leave: form.text("leave") == "1",
                                         context: try request.context)
        return Response(status: .noContent)
    }
}
