import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// The agents' live pages (issue 20): queues that show new tickets and ticket pages that show a
/// customer's reply as it arrives, and who else has a ticket open or is writing on it.
///
/// Four times a second, while any page listens, the feed asks the database which tickets'
/// `updated_at` moved in the last 30 seconds (index `tickets_updated_idx`), and once a second who is
/// present on the tickets its pages show (`ticket_presence`), and sends each page (server-sent
/// events) what concerns it. Every
/// instance reads the same tables, so a ticket filed or answered through another instance is seen
/// as well; a commit that came late is still seen (the 30-second window, by each ticket's
/// `updated_at` as last handled). Five small queries a second per instance, whatever the number of pages.
final class TicketFeed: @unchecked Sendable {
    static let openStreams = Gauge(label: "zayavka_live_streams")

    final class Listener: @unchecked Sendable {
        let id = UUID()
        let userID: Int
        /// The ticket page's ticket; nil for a queue.
        let ticket: Int?
        let continuation: AsyncStream<String>.Continuation
        var lastPresence = ""

        init(userID: Int, ticket: Int?, continuation: AsyncStream<String>.Continuation) {
            self.userID = userID
            self.ticket = ticket
            self.continuation = continuation
        }
    }

    /// How long a page counts as open after its last sign of life (it sends one every 10 s).
    static let presenceSeconds: TimeInterval = 25

    private let lock = NIOLock()
    private var listeners: [UUID: Listener] = [:]
    private let loop = PollLoop("ticket feed tick", every: .milliseconds(250))
    private var handled: [Int: Date] = [:]
    private var ticks = 0

    var count: Int { lock.withLock { listeners.count } }

    func start(_ app: Application) {
        loop.start(app) { [weak self] _ in try await self?.tick(app) }
    }

    /// Stops the feed (waiting for a look under way) and ends every stream.
    func stop() async {
        await loop.stop()
        for listener in lock.withLock({ Array(listeners.values) }) { listener.continuation.finish() }
    }

    /// Asks for a look within 50 ms: a write on this instance is heard at once.
    func poke() { loop.poke() }

    /// How long one stream lasts: the page's EventSource then connects again (perhaps to another
    /// instance), so no connection outlives a deploy by much.
    static let streamSeconds = 300

    /// A page's stream of server-sent events; it ends when the page goes away or after `lifetime` seconds.
    /// The caller removes it (`remove`) when its connection ends.
    func stream(userID: Int, ticket: Int?, app: Application, lifetime: Int = streamSeconds) -> (id: UUID, events: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let listener = Listener(userID: userID, ticket: ticket, continuation: continuation)
        start(app)
        lock.withLock { listeners[listener.id] = listener }
        Self.openStreams.record(count)
        // The first event says the stream is open (the page then knows it hears everything after).
        continuation.yield("retry: 3000\nevent: ready\ndata: {}\n\n")
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(lifetime))
            self?.remove(listener.id)
        }
        return (listener.id, stream)
    }

    /// Forgets a stream whose page went away.
    func remove(_ id: UUID) {
        let gone = lock.withLock { listeners.removeValue(forKey: id) }
        gone?.continuation.finish()
        Self.openStreams.record(count)
    }

    private struct MovedRow: Decodable {
        let id: Int
        let number: Int
        let status: String
        let assignee_id: Int?
        let group_id: Int?
        let created_at: Date
        let updated_at: Date
    }

    private struct PresentRow: Decodable {
        let number: Int
        let user_id: Int
        let name: String
        let typing: Bool
    }

    private func tick(_ app: Application) async throws {
        let (current, beat, lookAtPresence) = lock.withLock { () -> ([Listener], Bool, Bool) in
            ticks += 1
            return (Array(listeners.values), ticks % 60 == 0, ticks % 4 == 0)
        }
        guard !current.isEmpty else { return }
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let moved = try await sql.raw("""
            SELECT id, number, status, assignee_id, group_id, created_at, updated_at FROM tickets
            WHERE updated_at >= \(bind: now.addingTimeInterval(-30)) ORDER BY updated_at LIMIT 2000
            """).all(decoding: MovedRow.self)
        let changed = lock.withLock { () -> [MovedRow] in
            let fresh = moved.filter { handled[$0.id] != $0.updated_at }
            handled = Dictionary(moved.map { ($0.id, $0.updated_at) }, uniquingKeysWith: { _, b in b })
            return fresh
        }
        var events: [UUID: [String]] = [:]
        let encoder = JSONEncoder()
        if !changed.isEmpty {
            let items = changed.map { row in
                ["number": "\(row.number)", "status": row.status, "assignee_id": row.assignee_id.map(String.init) ?? "",
                 "group_id": row.group_id.map(String.init) ?? "", "created_at": row.created_at.formatted(.iso8601),
                 "updated_at": row.updated_at.formatted(.iso8601)]
            }
            let data = String(decoding: try encoder.encode(items), as: UTF8.self)
            let numbers = Set(changed.map(\.number))
            for listener in current where listener.ticket == nil || numbers.contains(listener.ticket!) {
                events[listener.id, default: []].append("event: tickets\ndata: \(data)\n\n")
            }
        }
        let watched = Set(current.compactMap(\.ticket))
        if lookAtPresence, !watched.isEmpty {
            let present = try await sql.raw("""
                SELECT t.number, p.user_id, u.name, p.typing FROM ticket_presence p
                JOIN tickets t ON t.id = p.ticket_id JOIN users u ON u.id = p.user_id
                WHERE p.seen_at >= \(bind: now.addingTimeInterval(-Self.presenceSeconds))
                  AND t.number IN (\(SQLList(watched.sorted().map { SQLBind($0) })))
                ORDER BY u.name
                """).all(decoding: PresentRow.self)
            for listener in current {
                guard let ticket = listener.ticket else { continue }
                let others = present.filter { $0.number == ticket && $0.user_id != listener.userID }
                let object = others.map { ["name": $0.name, "typing": $0.typing ? "1" : "0"] }
                let data = String(decoding: try encoder.encode(object), as: UTF8.self)
                let send = lock.withLock { () -> Bool in
                    defer { listener.lastPresence = data }
                    return listener.lastPresence != data
                }
                if send { events[listener.id, default: []].append("event: presence\ndata: \(data)\n\n") }
            }
        }
        for listener in current {
            let batch = events[listener.id] ?? (beat ? [": ping\n\n"] : [])
            for event in batch { listener.continuation.yield(event) }
        }
    }
}
