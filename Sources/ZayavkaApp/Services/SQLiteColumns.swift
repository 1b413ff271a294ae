import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

struct SQLiteColumns: Columns {
    let row: SQLiteRow

    func optInt(_ column: String) throws -> Int? {
        switch row.column(column) {
        case .integer(let value): return Int(value)
        case .null, nil: return nil
        case let other?: throw RowError.missing("\(column) (\(other))")
        }
    }

    func optBool(_ column: String) throws -> Bool? { try optInt(column).map { $0 != 0 } }

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
