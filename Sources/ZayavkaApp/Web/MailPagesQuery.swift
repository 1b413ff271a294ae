import Foundation
import SQLKit

/// What the admins' mail pages read besides `MailService`: a received message's bytes and the
/// files its inline images became. Rows are decoded into typed structs, not column by column.
enum MailPagesQuery {
    private struct MessageRow: Decodable {
        let raw: Data
        let comment_id: Int?
    }

    private struct ImageRow: Decodable {
        let public_id: String
        let content_id: String
    }

    /// The message exactly as received (empty when there is none), and its inline images: Content-ID →
    /// the path of the file the comment it became keeps.
    static func message(id: Int, on sql: any SQLDatabase) async throws -> (raw: Data, images: [String: String]) {
        let row = try await sql.raw("SELECT raw, comment_id FROM mail_inbound WHERE id = \(bind: id)").first(decoding: MessageRow.self)
        var images: [String: String] = [:]
        if let commentID = row?.comment_id {
            for file in try await sql.raw("""
                SELECT public_id, content_id FROM attachments WHERE comment_id = \(bind: commentID) AND content_id IS NOT NULL
                """).all(decoding: ImageRow.self) {
                images[file.content_id] = SitePath.file(file.public_id).path
            }
        }
        return (row?.raw ?? Data(), images)
    }
}
