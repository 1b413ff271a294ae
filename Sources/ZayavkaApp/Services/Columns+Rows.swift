import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import ZayavkaCore

extension Columns {
    func int(_ column: String) throws -> Int {
        guard let value = try optInt(column) else { throw RowError.missing(column) }
        return value
    }

    func string(_ column: String) throws -> String {
        guard let value = try optString(column) else { throw RowError.missing(column) }
        return value
    }

    func bool(_ column: String) throws -> Bool {
        guard let value = try optBool(column) else { throw RowError.missing(column) }
        return value
    }

    func date(_ column: String) throws -> Date {
        guard let value = try optDate(column) else { throw RowError.missing(column) }
        return value
    }
}
