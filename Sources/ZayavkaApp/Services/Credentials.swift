import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// What follows a password change or reset: whoever knew the old password (and any session or token
/// opened with it) is out. Every web session and API token of the person ends, except the session or
/// token the person changed it from themselves.
enum Credentials {
    /// Ends the sessions and tokens inside the caller's write transaction.
    static func endSessions(userID: Int, keepSessionID: Int?, keepTokenHash: String?, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            DELETE FROM web_sessions WHERE user_id = \(bind: userID) AND id <> \(bind: keepSessionID ?? -1)
            """).run()
        try await sql.raw("""
            UPDATE api_tokens SET revoked_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND token_hash <> \(bind: keepTokenHash ?? "")
            """).run()
        // The widget's sessions end too (issue 19): they open again from the host's token or a new introduction.
        try await sql.raw("UPDATE widget_sessions SET expires_at = \(bind: now) WHERE user_id = \(bind: userID) AND expires_at > \(bind: now)").run()
    }
}
