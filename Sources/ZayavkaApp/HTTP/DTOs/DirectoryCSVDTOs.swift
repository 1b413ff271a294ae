import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

struct RejectedRowDTO: Content {
    let line: Int
    let errors: [ImportFieldErrorDTO]
}

struct ImportFieldErrorDTO: Content {
    let field: String
    let code: String
    let message: String
}

/// What an import did: rows created and updated, rows rejected with why (nothing of those is
/// written), and headings it did not know (ignored).
struct ImportReportDTO: Content {
    let created: Int
    let updated: Int
    let rejected: [RejectedRowDTO]
    let unknownColumns: [String]

    enum CodingKeys: String, CodingKey { case created, updated, rejected, unknownColumns = "unknown_columns" }
}
