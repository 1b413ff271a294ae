import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Paging by id for directory lists: `limit` (1…200, default 50) and `cursor` (the last id seen).
enum IDPage {
    /// `fetch(after, count)` returns up to `count` items after the id, in id order, with their ids.
    static func fetch<T: Content>(_ page: PageRequest, _ fetch: (Int?, Int) async throws -> [(Int, T)]) async throws -> ListOf<T> {
        let limit = min(max(page.limit ?? 50, 1), 200)
        var after: Int?
        if let raw = page.cursor, !raw.isEmpty {
            // A cursor here is the last id seen: anything else is refused, not read as "from the start".
            guard raw.utf8.count <= 19, let id = Int(raw), id >= 0 else { throw ZayavkaError.validation([FieldError("cursor", .invalid)]) }
            after = id
        }
        let rows = try await fetch(after, limit + 1)
        let page = rows.prefix(limit)
        return ListOf(items: page.map(\.1), nextCursor: rows.count > limit ? page.last.map { String($0.0) } : nil)
    }
}
