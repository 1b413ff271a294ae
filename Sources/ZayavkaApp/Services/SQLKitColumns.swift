import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

struct SQLKitColumns: Columns {
    let row: any SQLRow
    func optInt(_ column: String) throws -> Int? { try row.decode(column: column, as: Int?.self) }
    func optString(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
    func optDate(_ column: String) throws -> Date? { try row.decode(column: column, as: Date?.self) }
    func optBool(_ column: String) throws -> Bool? { try row.decode(column: column, as: Bool?.self) }
    func sortValue(_ column: String) throws -> Double { (try date(column).timeIntervalSince1970 * 1_000_000).rounded() }
}
