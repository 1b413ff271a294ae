import FluentKit
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Files uploaded but not (yet) attached to a comment. They are capped per person, so nobody can
/// fill the disk with uploads they never send, and removed after a day (with their files).
enum PendingUploads {
    /// How long an upload may wait to be attached.
    static let maxAge: TimeInterval = 86_400

    /// At most this many pending files and bytes per person: customers, and staff (who attach more).
    static func quota(for role: Role) -> (files: Int, bytes: Int) {
        role.isStaff ? (200, 1 << 30) : (20, 100 << 20)
    }

    /// Refuses an upload of `bytes` (when known) that would take the person past their quota.
    static func checkQuota(viewer: Viewer, bytes: Int?, on sql: any SQLDatabase) async throws {
        let row = try await sql.raw("""
            SELECT COUNT(*) AS files, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM attachments
            WHERE uploader_id = \(bind: viewer.userID) AND comment_id IS NULL AND ticket_id IS NULL
            """).first()
        let files = try row?.decode(column: "files", as: Int.self) ?? 0
        let stored = try row?.decode(column: "bytes", as: Int.self) ?? 0
        let limit = quota(for: viewer.role)
        if files >= limit.files || stored + max(0, min(bytes ?? 0, Int(Int32.max))) > limit.bytes {
            throw ZayavkaError.validation([FieldError("file", .quotaExceeded, "\(limit.files)/\(limit.bytes >> 20)")])
        }
    }

    /// Removes uploads older than `maxAge` that were never attached; returns how many.
    static func sweep(context: ServiceContext) async throws -> Int {
        let (now, services, db) = (context.now, context.services, context.db)
        guard let sql = db as? any SQLDatabase else { return 0 }
        let cutoff = now.addingTimeInterval(-maxAge)
        let rows = try await sql.raw("""
            SELECT id, storage_key FROM attachments
            WHERE comment_id IS NULL AND ticket_id IS NULL AND created_at < \(bind: cutoff) ORDER BY id LIMIT 1000
            """).all()
        guard !rows.isEmpty else { return 0 }
        let ids = try rows.map { try $0.decode(column: "id", as: Int.self) }
        let keys = try rows.map { try $0.decode(column: "storage_key", as: String.self) }
        try await services.gate.run {
            try await db.transaction { db in
                let sql = db as! any SQLDatabase
                try await sql.raw("DELETE FROM attachments WHERE id IN (\(binds: ids)) AND comment_id IS NULL AND ticket_id IS NULL").run()
                try await services.files.removeChunks(keys: keys, on: sql)
            }
        }
        for key in keys { services.files.remove(key: key) }
        return ids.count
    }
}
