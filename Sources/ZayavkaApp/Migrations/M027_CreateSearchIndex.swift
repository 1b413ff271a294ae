import Fluent
import Foundation
import SQLKit

/// Issue 17: the full-text index of articles, ticket subjects and ticket messages. `search_docs`
/// says what each entry is and who may see it; the words themselves (Snowball stems, see
/// `SearchText`) are in FTS5 tables on SQLite (one per kind, so a search of a few thousand articles
/// never walks millions of messages) and in a `tsvector` column and partial GIN index per kind on PostgreSQL.
/// An upgraded desk indexes what it already holds.
struct M027CreateSearchIndex: AsyncMigration {
    var name: String { "M027CreateSearchIndex" }

    func prepare(on database: any Database) async throws {
        try await database.schema("search_docs")
            .field("id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("article_id", .int)
            .field("ticket_id", .int)
            .field("comment_id", .int)
            .field("is_public", .bool, .required)
            .create()
        let sql = database as! any SQLDatabase
        // Partial: only the entries of that kind (an index of millions of NULLs misleads PostgreSQL's
        // planner into walking all of it for a few thousand articles).
        try await sql.raw("CREATE INDEX search_docs_article_idx ON search_docs (article_id) WHERE article_id IS NOT NULL").run()
        try await sql.raw("CREATE INDEX search_docs_ticket_idx ON search_docs (ticket_id) WHERE ticket_id IS NOT NULL").run()
        try await sql.raw("CREATE INDEX search_docs_comment_idx ON search_docs (comment_id) WHERE comment_id IS NOT NULL").run()
        if sql.dialect.name == "postgresql" {
            // A column per kind, so each has statistics of its own: a word frequent in messages but
            // never in subjects is known to be rare in subjects, and the planner looks it up in the
            // GIN index instead of walking every subject newest first. A thousand most common words.
            for kind in SearchIndex.Kind.allCases {
                let column = kind.vectorColumn
                try await sql.raw("ALTER TABLE search_docs ADD COLUMN \(unsafeRaw: column) tsvector").run()
                try await sql.raw("ALTER TABLE search_docs ALTER COLUMN \(unsafeRaw: column) SET STATISTICS 1000").run()
                try await sql.raw("""
                    CREATE INDEX \(unsafeRaw: "search_docs_\(kind.rawValue)_tsv_idx") ON search_docs USING GIN (\(unsafeRaw: column))
                    WHERE kind = \(unsafeRaw: "'\(kind.rawValue)'")
                    """).run()
            }
        } else {
            // Contentless: the stems live only in the index; rows are deleted by rowid (= search_docs.id).
            for kind in SearchIndex.Kind.allCases {
                try await sql.raw("""
                    CREATE VIRTUAL TABLE \(unsafeRaw: kind.ftsTable) USING fts5(title, body, content='', contentless_delete=1, detail=column,
                                                                                tokenize='unicode61 remove_diacritics 0')
                    """).run()
                // `ORDER BY rank`: BM25 with the title weighing ten times the body.
                try await sql.raw("INSERT INTO \(unsafeRaw: kind.ftsTable) (\(unsafeRaw: kind.ftsTable), rank) VALUES ('rank', 'bm25(10.0, 1.0)')").run()
            }
        }
        try await SearchIndex.rebuild(on: sql)
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name != "postgresql" {
            for kind in SearchIndex.Kind.allCases { try await sql.raw("DROP TABLE \(unsafeRaw: kind.ftsTable)").run() }
        }
        try await database.schema("search_docs").delete()
    }
}
