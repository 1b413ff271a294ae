import Fluent
import Foundation
import SQLKit

/// Issue 22: attachments kept in the database (`ZAYAVKA_ATTACHMENTS=database`), so instances on
/// different machines need no shared folder: each file as numbered chunks of at most 256 KiB,
/// written and read one chunk at a time.
struct M022CreateAttachmentChunks: AsyncMigration {
    var name: String { "M022CreateAttachmentChunks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("attachment_chunks")
            .field("id", .int, .identifier(auto: true))
            .field("storage_key", .string, .required)
            .field("seq", .int, .required)
            .field("data", .data, .required)
            .unique(on: "storage_key", "seq")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("attachment_chunks").delete()
    }
}
