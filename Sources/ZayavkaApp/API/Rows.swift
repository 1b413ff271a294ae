import Foundation
import NIOConcurrencyHelpers
import SQLiteNIO
import SQLKit
import ZayavkaCore

/// Typed column access over a result row. SQLite rows are read directly (no `Decodable`
/// machinery per column, which dominated read-path CPU); other databases go through SQLKit.
protocol Columns {
    func optInt(_ column: String) throws -> Int?
    func optString(_ column: String) throws -> String?
    func optDate(_ column: String) throws -> Date?
    /// A timestamp exactly as the database compares it, for keyset cursors: SQLite's stored double
    /// (a detour through `Date`, which counts from 2001, can move it by one unit in the last place);
    /// PostgreSQL's whole microseconds (PostgresNIO truncates a `Date` on the way back).
    func sortValue(_ column: String) throws -> Double
}

extension Columns {
    func int(_ column: String) throws -> Int {
        guard let value = try optInt(column) else { throw RowError.missing(column) }
        return value
    }

    func string(_ column: String) throws -> String {
        guard let value = try optString(column) else { throw RowError.missing(column) }
        return value
    }

    func date(_ column: String) throws -> Date {
        guard let value = try optDate(column) else { throw RowError.missing(column) }
        return value
    }
}

enum RowError: Error { case missing(String) }

struct SQLKitColumns: Columns {
    let row: any SQLRow
    func optInt(_ column: String) throws -> Int? { try row.decode(column: column, as: Int?.self) }
    func optString(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
    func optDate(_ column: String) throws -> Date? { try row.decode(column: column, as: Date?.self) }
    func sortValue(_ column: String) throws -> Double { (try date(column).timeIntervalSince1970 * 1_000_000).rounded() }
}

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

struct SQLiteColumns: Columns {
    let row: SQLiteRow

    func optInt(_ column: String) throws -> Int? {
        switch row.column(column) {
        case .integer(let value): return Int(value)
        case .null, nil: return nil
        case let other?: throw RowError.missing("\(column) (\(other))")
        }
    }

    func optString(_ column: String) throws -> String? {
        switch row.column(column) {
        case .text(let value): return value
        case .null, nil: return nil
        case let other?: return other.string
        }
    }

    func sortValue(_ column: String) throws -> Double {
        switch row.column(column) {
        case .float(let value): return value
        case .integer(let value): return Double(value)
        default: return try date(column).timeIntervalSince1970
        }
    }

    func optDate(_ column: String) throws -> Date? {
        switch row.column(column) {
        case .null, nil: return nil
        case let data?:
            guard let date = Date(sqliteData: data) else { throw RowError.missing(column) }
            return date
        }
    }
}

/// Runs a SQLKit query on SQLite through SQLiteNIO directly, so rows can be read as `SQLiteColumns`.
/// The SQL text of a query shape is serialised once; only its binds change.
enum SQLiteFastPath {
    /// The SQLite database behind `sql`, when it is one.
    static func database(_ sql: any SQLDatabase) -> (any SQLiteDatabase)? {
        sql.dialect.name == "sqlite" ? sql as? any SQLiteDatabase : nil
    }

    /// Rows of `query` as direct-access columns, or nil when a bind has a type this path does not convert.
    static func rows(_ query: SQLQueryString, on sql: any SQLDatabase, lite: any SQLiteDatabase) async throws -> [SQLiteColumns]? {
        let (text, binds) = sql.serialize(query)
        var data: [SQLiteData] = []
        data.reserveCapacity(binds.count)
        for bind in binds {
            guard let converted = convert(bind) else { return nil }
            data.append(converted)
        }
        return try await lite.query(text, data).map(SQLiteColumns.init)
    }

    private static func convert(_ value: any Encodable & Sendable) -> SQLiteData? {
        switch value {
        case let v as Int: return .integer(v)
        case let v as String: return .text(v)
        case let v as Bool: return .integer(v ? 1 : 0)
        case let v as Double: return .float(v)
        case let v as Date: return v.sqliteData
        case let v as Optional<Int>: return v.map { .integer($0) } ?? .null
        case let v as Optional<String>: return v.map { .text($0) } ?? .null
        default: return nil
        }
    }
}
