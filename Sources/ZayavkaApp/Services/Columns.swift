import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

/// Typed column access over a result row. SQLite rows are read directly (no `Decodable`
/// machinery per column, which dominated read-path CPU); other databases go through SQLKit.
protocol Columns {
    func optInt(_ column: String) throws -> Int?
    func optString(_ column: String) throws -> String?
    func optDate(_ column: String) throws -> Date?
    /// A boolean column: SQLite's 0/1 integer, PostgreSQL's boolean.
    func optBool(_ column: String) throws -> Bool?
    /// A timestamp exactly as the database compares it, for keyset cursors: SQLite's stored double
    /// (a detour through `Date`, which counts from 2001, can move it by one unit in the last place);
    /// PostgreSQL's whole microseconds (PostgresNIO truncates a `Date` on the way back).
    func sortValue(_ column: String) throws -> Double
}
