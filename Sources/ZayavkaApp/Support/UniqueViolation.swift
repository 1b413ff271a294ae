import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

/// Whether a database error is a unique index refusing a value another write holds (SQLite's
/// UNIQUE/PRIMARY KEY constraint, PostgreSQL's 23505): a race between requests or instances, which
/// the caller may repeat. Other constraint failures (NOT NULL, a foreign key) are bugs, not races.
enum UniqueViolation {
    static func matches(_ error: any Error) -> Bool {
        if let sqlite = error as? SQLiteError {
            return sqlite.reason == .constraintUniqueFailed || sqlite.reason == .constraintPrimaryKeyFailed
        }
        if let postgres = error as? PSQLError, postgres.code == .server {
            return postgres.serverInfo?[.sqlState] == "23505"
        }
        return false
    }
}
