import Foundation
import NIOConcurrencyHelpers
import SQLiteNIO
import SQLKit

/// Typed column access over a result row. SQLite rows are read directly (no `Decodable`
/// machinery per column, which dominated read-path CPU); other databases go through SQLKit.
protocol Columns {
    func optInt(_ column: String) throws -> Int?
    func optString(_ column: String) throws -> String?
    func optDate(_ column: String) throws -> Date?
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
