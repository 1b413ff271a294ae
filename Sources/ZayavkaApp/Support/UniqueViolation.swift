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

/// Claiming rows for work (`UPDATE … WHERE id IN (SELECT … LIMIT n) AND <the same condition>`) when
/// several instances claim at once. PostgreSQL computes the subquery once, from its snapshot, and
/// only checks the outer condition again on a row another transaction changed meanwhile: the
/// outer condition must repeat the claim's, and `FOR UPDATE SKIP LOCKED` lets each instance take
/// rows the others are not taking. SQLite has one writer at a time and no such clause.
enum SQLClaim {
    static func skipLocked(_ sql: any SQLDatabase) -> SQLQueryString {
        sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
    }
}
