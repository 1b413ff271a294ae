import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

/// Keyset bounds on timestamps, compared exactly on each database (see `Columns.sortValue`).
enum TimestampKey {
    /// The SQL for a cursor value: SQLite's double as is; PostgreSQL's microseconds as a literal timestamp.
    static func bound(_ value: Double, dialect: String) -> SQLQueryString {
        if dialect == "sqlite" { return "\(bind: value)" }
        return "CAST(\(bind: literal(microseconds: Int64(value))) AS timestamptz)"
    }

    /// "YYYY-MM-DD HH:MM:SS.ffffff+00" from microseconds since 1970, with integer arithmetic only.
    static func literal(microseconds: Int64) -> String {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let fraction = microseconds - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let date = ZayavkaCore.LocalDate(daysSinceEpoch: Int(days))
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(date) \(pad(second / 3600, 2)):\(pad(second % 3600 / 60, 2)):\(pad(second % 60, 2)).\(pad(fraction, 6))+00"
    }
}
