import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// This instance's chat sockets, fed from the database (issue 19, SPEC C4).
///
/// Messages are written as comments and each write moves its chat's `updated_at`; four times a
/// second (only while any socket is open) the hub asks which chats changed in the last 30 seconds
/// and sends each socket watching one the messages it has not seen yet, and the agents' consoles
/// the list of waiting and active chats when it changed. So a customer on one instance and an agent
/// on another talk as if on one, nothing is told before it is stored, and a message whose commit
/// came late is still delivered (the 30-second window, with each socket's seen ids).
final class ChatHub: @unchecked Sendable {
    static let openSockets = Gauge(label: "zayavka_chat_sockets")

    final class Listener: @unchecked Sendable {
        let id = UUID()
        let socket: WebSocket
        let userID: Int
        let isStaff: Bool
        let language: Language
        /// Chats (ticket numbers) it watches, with the message ids it has been sent.
        var watching: [Int: Set<Int>] = [:]
        var states: [Int: String] = [:]
        var lastConsole = ""

        init(socket: WebSocket, userID: Int, isStaff: Bool, language: Language) {
            self.socket = socket
            self.userID = userID
            self.isStaff = isStaff
            self.language = language
        }
    }

    private let lock = NIOLock()
    private var listeners: [UUID: Listener] = [:]
    /// A write on this instance pokes the hub (its sockets hear at once); others' writes are found by
    /// the look every 250 ms.
    private let loop = PollLoop("chat hub tick", every: .milliseconds(250))
    private var lastConsoleAt = Date.distantPast

    var count: Int { lock.withLock { listeners.count } }

    func start(_ app: Application) {
        loop.start(app) { [weak self] poked in try await self?.tick(app, poked: poked) }
    }

    /// Stops the feed and waits for a tick under way to end (before the databases close), then closes the sockets.
    func stop() async {
        await loop.stop()
        for listener in lock.withLock({ Array(listeners.values) }) { try? await listener.socket.close(code: .goingAway) }
    }

    func poke() { loop.poke() }

    /// Registers a socket; the feed starts with the first one.
    func add(_ listener: Listener, app: Application) {
        start(app)
        lock.withLock { listeners[listener.id] = listener }
        Self.openSockets.record(count)
    }

    func remove(_ listener: Listener) {
        lock.withLock { listeners[listener.id] = nil }
        Self.openSockets.record(count)
    }

    /// Starts sending a chat to a socket: its transcript now, and every new message after.
    func watch(_ listener: Listener, number: Int, app: Application) async throws {
        lock.withLock { listener.watching[number] = listener.watching[number] ?? [] }
        try await deliver(numbers: [number], to: [listener], since: nil, app: app)
    }

    private struct ChangedRow: Decodable {
        let number: Int
        let state: String
        let agent_name: String?
    }

    private struct MovedRow: Decodable {
        let number: Int
        let updated_at: Date
    }

    /// Each chat's `updated_at` as last handled (only the look's window is kept).
    private var handled: [Int: Date] = [:]

    private struct MessageRow: Decodable {
        let id: Int
        let number: Int
        let body: String
        let author_id: Int?
        let author_name: String?
        let customer_id: Int
        let created_at: Date
    }

    private func tick(_ app: Application, poked wasPoked: Bool) async throws {
        let current = lock.withLock { Array(listeners.values) }
        guard !current.isEmpty else { return }
        let sql = app.db as! any SQLDatabase
        let window = Date().addingTimeInterval(-30)
        let moved = try await sql.raw("""
            SELECT t.number, c.updated_at FROM chats c JOIN tickets t ON t.id = c.ticket_id WHERE c.updated_at >= \(bind: window)
            """).all(decoding: MovedRow.self)
        // Only the chats whose `updated_at` moved since the last look: every write moves it after its
        // comment is committed, so what it wrote is there to be read.
        let changed = lock.withLock { () -> [MovedRow] in
            let fresh = moved.filter { handled[$0.number] != $0.updated_at }
            handled = Dictionary(moved.map { ($0.number, $0.updated_at) }, uniquingKeysWith: { a, _ in a })
            return fresh
        }
        let watched = Set(current.flatMap { listener in lock.withLock { Array(listener.watching.keys) } })
        let numbers = changed.map(\.number).filter(watched.contains)
        if !numbers.isEmpty { try await deliver(numbers: numbers, to: current, since: window, app: app) }
        let consoles = current.filter(\.isStaff)
        let now = Date()
        if !consoles.isEmpty, wasPoked || !changed.isEmpty || now.timeIntervalSince(lastConsoleAt) > 5 {
            lastConsoleAt = now
            try await sendConsoles(consoles, app: app)
        }
    }

    /// Sends the listeners watching these chats what they have not seen (since `since`; nil: all) and any change of state.
    private func deliver(numbers: [Int], to listeners: [Listener], since: Date?, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        var query: SQLQueryString = """
            SELECT m.id, t.number, m.body, m.author_id, u.name AS author_name, t.requester_id AS customer_id, m.created_at
            FROM comments m JOIN tickets t ON t.id = m.ticket_id LEFT JOIN users u ON u.id = m.author_id
            WHERE t.number IN (\(binds: numbers)) AND m.is_public = \(bind: true)
            """
        if let since { query = query + " AND m.created_at >= \(bind: since)" }
        let rows = try await sql.raw(query + " ORDER BY m.id").all(decoding: MessageRow.self)
        let states = try await sql.raw("""
            SELECT t.number, c.state, a.name AS agent_name FROM chats c JOIN tickets t ON t.id = c.ticket_id LEFT JOIN users a ON a.id = c.agent_id
            WHERE t.number IN (\(binds: numbers))
            """).all(decoding: ChangedRow.self)
        for listener in listeners {
            var frames: [String] = []
            lock.withLock {
                for number in numbers where listener.watching[number] != nil {
                    if let state = states.first(where: { $0.number == number }) {
                        let key = state.state + "|" + (state.agent_name ?? "")
                        if listener.states[number] != key {
                            listener.states[number] = key
                            frames.append(Self.encode(["type": "state", "ticket": number, "state": state.state, "agent": state.agent_name ?? NSNull()]))
                        }
                    }
                    for row in rows where row.number == number && !(listener.watching[number]?.contains(row.id) ?? true) {
                        listener.watching[number]?.insert(row.id)
                        frames.append(Self.encode(["type": "message", "ticket": number, "message": [
                            "id": row.id, "text": row.body, "from": row.author_id == row.customer_id ? "customer" : "agent",
                            "name": row.author_name ?? "", "at": row.created_at.formatted(.iso8601),
                        ] as [String: Any]]))
                    }
                }
            }
            for frame in frames { try? await listener.socket.send(frame) }
        }
    }

    private func sendConsoles(_ consoles: [Listener], app: Application) async throws {
        let rows = try await (app.db as! any SQLDatabase).raw("""
            SELECT t.number, t.subject, c.state, cu.name AS customer_name, a.name AS agent_name, c.started_at,
                   (SELECT m.body FROM comments m WHERE m.ticket_id = c.ticket_id AND m.is_public = \(bind: true) ORDER BY m.id DESC LIMIT 1) AS last_text
            FROM chats c JOIN tickets t ON t.id = c.ticket_id JOIN users cu ON cu.id = c.customer_id LEFT JOIN users a ON a.id = c.agent_id
            WHERE c.state IN ('waiting', 'active') ORDER BY c.started_at LIMIT 200
            """).all()
        var items: [[String: Any]] = []
        for row in rows {
            let last = try row.decode(column: "last_text", as: String?.self) ?? ""
            items.append([
                "number": try row.decode(column: "number", as: Int.self), "subject": try row.decode(column: "subject", as: String.self),
                "state": try row.decode(column: "state", as: String.self), "customer": try row.decode(column: "customer_name", as: String.self),
                "agent": try row.decode(column: "agent_name", as: String?.self) ?? NSNull(),
                "started_at": try row.decode(column: "started_at", as: Date.self).formatted(.iso8601), "last": String(last.prefix(160)),
            ])
        }
        let frame = Self.encode(["type": "chats", "items": items])
        for console in consoles {
            let changed = lock.withLock { () -> Bool in
                guard console.lastConsole != frame else { return false }
                console.lastConsole = frame
                return true
            }
            if changed { try? await console.socket.send(frame) }
        }
    }

    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
