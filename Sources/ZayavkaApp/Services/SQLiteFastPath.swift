import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

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
