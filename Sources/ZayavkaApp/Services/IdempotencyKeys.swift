import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// `Idempotency-Key` for ticket creation (issue 22; the IETF httpapi draft's header): a client that
/// repeats a creation (a timeout, nginx retrying another instance) with the same key gets the ticket
/// the first request made, never a second. The key row is written in the ticket's own transaction
/// (`TicketBatcher`) under a unique index, so a repeat that races the original, on any instance,
/// loses on the index and replays. Keys are per user and kept `lifetime`.
struct IdempotencyKey: Sendable, Equatable {
    let userID: Int
    let key: String
    /// SHA-256 (hex) of the request body: the same key with a different request is refused.
    let requestHash: String

    static let lifetime: TimeInterval = 86_400
    static let header = "Idempotency-Key"

    /// The header's key, checked: 1–255 printable ASCII characters (what the draft allows).
    static func from(_ request: Request, userID: Int) throws -> IdempotencyKey? {
        let values = request.headers[header]
        guard let raw = values.first else { return nil }
        guard values.count == 1, (1...255).contains(raw.utf8.count), raw.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw ZayavkaError.validation([FieldError(header, .invalid, "1-255 printable ASCII characters")])
        }
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        return IdempotencyKey(userID: userID, key: raw, requestHash: Hex.encode(SHA256.hash(data: body)))
    }

    private struct Row: Decodable {
        let request_hash: String
        let number: Int
    }

    /// The ticket an earlier request with this key made, checked against this request. (A key past
    /// its lifetime is swept within half a minute; until then it still replays.)
    func replay(context: ServiceContext) async throws -> TicketDTO? {
        guard let row = try await context.sql.raw("""
            SELECT k.request_hash, t.number FROM idempotency_keys k JOIN tickets t ON t.id = k.ticket_id
            WHERE k.user_id = \(bind: userID) AND k.key = \(bind: key)
            """).first(decoding: Row.self) else { return nil }
        guard row.request_hash == requestHash else {
            throw ZayavkaError.validation([FieldError(Self.header, .notAllowed, "used for a different request")])
        }
        return try await TicketQueries.dto(number: row.number, context: context)
    }

    /// Forgets keys older than the lifetime (the periodic job; any instance, any number of times).
    static func sweep(context: ServiceContext) async throws -> Int {
        let cutoff = context.now.addingTimeInterval(-lifetime)
        return try await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM idempotency_keys WHERE created_at <= \(bind: cutoff) RETURNING id").all().count
        }
    }
}
