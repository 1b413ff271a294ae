import Foundation
import SQLKit
import ZayavkaCore

/// The full-text index of articles and ticket messages (issue 17), kept in step with every write:
/// the code that writes a comment, a subject or an article updates the index in the same
/// transaction. Words are stemmed here (`SearchText`), so SQLite's FTS5 and PostgreSQL's tsvector
/// hold the same stems and answer the same queries.
///
/// One entry per ticket message (its ticket's subject as the title, the message as the body, public
/// or internal like the message) and one per article (title; body and tags).
enum SearchIndex {
    struct CommentDoc: Sendable {
        let commentID: Int
        let ticketID: Int
        let subject: String
        let body: String
        let isPublic: Bool
    }

    private static func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }

    /// PostgreSQL's vector of title (weight A) and body (weight B) stems.
    private static func vector(_ title: String, _ body: String) -> SQLQueryString {
        "setweight(to_tsvector('simple', \(bind: title)), 'A') || setweight(to_tsvector('simple', \(bind: body)), 'B')"
    }

    // MARK: Writing

    /// Indexes these ticket messages (new ones: nothing is removed first).
    static func add(_ docs: [CommentDoc], on sql: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: docs.count, by: 200).map({ docs[$0..<min($0 + 200, docs.count)] }) {
            let stems = chunk.map { (SearchText.indexed($0.subject), SearchText.indexed($0.body)) }
            if isPostgres(sql) {
                let values: [SQLQueryString] = zip(chunk, stems).map { doc, s in
                    "('comment', \(bind: doc.ticketID), \(bind: doc.commentID), \(bind: doc.isPublic), " + vector(s.0, s.1) + ")"
                }
                try await sql.raw("INSERT INTO search_docs (kind, ticket_id, comment_id, is_public, tsv) VALUES " + values.joined(separator: ", ")).run()
            } else {
                let values: [SQLQueryString] = chunk.map { "('comment', \(bind: $0.ticketID), \(bind: $0.commentID), \(bind: $0.isPublic))" }
                let ids = try await sql.raw("INSERT INTO search_docs (kind, ticket_id, comment_id, is_public) VALUES " + values.joined(separator: ", ")
                                            + " RETURNING id, comment_id").all()
                var idOf: [Int: Int] = [:]
                for row in ids { idOf[try row.decode(column: "comment_id", as: Int.self)] = try row.decode(column: "id", as: Int.self) }
                let rows: [SQLQueryString] = zip(chunk, stems).compactMap { doc, s in
                    idOf[doc.commentID].map { "(\(bind: $0), \(bind: s.0), \(bind: s.1))" as SQLQueryString }
                }
                try await sql.raw("INSERT INTO search_fts (rowid, title, body) VALUES " + rows.joined(separator: ", ")).run()
            }
        }
    }

    /// Indexes these comments from the database (their ticket's subject, their text, public or not).
    static func addComments(ids: [Int], on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        var docs: [CommentDoc] = []
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try await sql.raw("""
                SELECT c.id, c.ticket_id, c.body, c.is_public, t.subject FROM comments c JOIN tickets t ON t.id = c.ticket_id
                WHERE c.id IN (\(binds: chunk))
                """).all()
            for row in rows {
                docs.append(CommentDoc(commentID: try row.decode(column: "id", as: Int.self), ticketID: try row.decode(column: "ticket_id", as: Int.self),
                                       subject: try row.decode(column: "subject", as: String.self), body: try row.decode(column: "body", as: String.self),
                                       isPublic: try row.decode(column: "is_public", as: Bool.self)))
            }
        }
        try await add(docs, on: sql)
    }

    private static func remove(where condition: SQLQueryString, on sql: any SQLDatabase) async throws {
        if isPostgres(sql) {
            try await sql.raw("DELETE FROM search_docs WHERE " + condition).run()
        } else {
            try await sql.raw("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_docs WHERE " + condition + ")").run()
            try await sql.raw("DELETE FROM search_docs WHERE " + condition).run()
        }
    }

    /// Indexes these tickets again from what they hold now (a subject changed, text was erased).
    static func reindex(tickets ids: [Int], on sql: any SQLDatabase) async throws {
        let ids = Array(Set(ids)).sorted()
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            try await remove(where: "kind = 'comment' AND ticket_id IN (\(binds: chunk))", on: sql)
            let comments = try await sql.raw("SELECT id FROM comments WHERE ticket_id IN (\(binds: chunk)) ORDER BY id").all()
            try await addComments(ids: try comments.map { try $0.decode(column: "id", as: Int.self) }, on: sql)
        }
    }

    /// Indexes an article as it is now (drafts too: who may find what is decided when searching).
    static func index(article id: Int, title: String, body: String, tags: String, on sql: any SQLDatabase) async throws {
        try await remove(where: "kind = 'article' AND article_id = \(bind: id)", on: sql)
        let titleStems = SearchText.indexed(title)
        let bodyStems = SearchText.indexed(body + "\n" + tags)
        if isPostgres(sql) {
            try await sql.raw("INSERT INTO search_docs (kind, article_id, is_public, tsv) VALUES ('article', \(bind: id), \(bind: true), "
                              + vector(titleStems, bodyStems) + ")").run()
        } else {
            let row = try await sql.raw("INSERT INTO search_docs (kind, article_id, is_public) VALUES ('article', \(bind: id), \(bind: true)) RETURNING id").first()
            let docID = try row!.decode(column: "id", as: Int.self)
            try await sql.raw("INSERT INTO search_fts (rowid, title, body) VALUES (\(bind: docID), \(bind: titleStems), \(bind: bodyStems))").run()
        }
    }

    /// Indexes these articles again from what they hold now.
    static func reindex(articles ids: [Int], on sql: any SQLDatabase) async throws {
        for id in Set(ids).sorted() {
            guard let row = try await sql.raw("SELECT title, body, tags FROM kb_articles WHERE id = \(bind: id)").first() else { continue }
            try await index(article: id, title: try row.decode(column: "title", as: String.self),
                            body: ArticleText.plain(try row.decode(column: "body", as: String.self)), tags: try row.decode(column: "tags", as: String.self), on: sql)
        }
    }

    /// Builds the whole index again (`zayavka search reindex`, the migration that adds it), in
    /// batches; `progress` hears the running count of entries.
    static func rebuild(on sql: any SQLDatabase, progress: (@Sendable (Int) -> Void)? = nil) async throws {
        if isPostgres(sql) {
            try await sql.raw("DELETE FROM search_docs").run()
        } else {
            try await sql.raw("DELETE FROM search_fts").run()
            try await sql.raw("DELETE FROM search_docs").run()
        }
        var done = 0
        var after = 0
        while true {
            let rows = try await sql.raw("SELECT id, title, body, tags FROM kb_articles WHERE id > \(bind: after) ORDER BY id LIMIT 500").all()
            guard let last = rows.last else { break }
            for row in rows {
                try await index(article: try row.decode(column: "id", as: Int.self), title: try row.decode(column: "title", as: String.self),
                                body: ArticleText.plain(try row.decode(column: "body", as: String.self)), tags: try row.decode(column: "tags", as: String.self),
                                on: sql)
            }
            done += rows.count
            after = try last.decode(column: "id", as: Int.self)
        }
        after = 0
        while true {
            let rows = try await sql.raw("""
                SELECT c.id, c.ticket_id, c.body, c.is_public, t.subject FROM comments c JOIN tickets t ON t.id = c.ticket_id
                WHERE c.id > \(bind: after) ORDER BY c.id LIMIT 2000
                """).all()
            guard let last = rows.last else { break }
            try await add(try rows.map { row in
                CommentDoc(commentID: try row.decode(column: "id", as: Int.self), ticketID: try row.decode(column: "ticket_id", as: Int.self),
                           subject: try row.decode(column: "subject", as: String.self), body: try row.decode(column: "body", as: String.self),
                           isPublic: try row.decode(column: "is_public", as: Bool.self))
            }, on: sql)
            done += rows.count
            progress?(done)
            after = try last.decode(column: "id", as: Int.self)
        }
    }

    // MARK: Matching

    enum Mode: Sendable {
        /// Every word (the search box).
        case all
        /// Any word, best first (suggestions from a subject).
        case any
    }

    /// FTS5's query: quoted stems (they hold only letters and digits), AND or OR, the last one a prefix.
    static func ftsQuery(_ query: SearchText.Query, mode: Mode, titleOnly: Bool = false) -> String {
        let parts = query.terms.enumerated().map { i, term in
            "\"\(term)\"" + (query.lastIsPrefix && i == query.terms.count - 1 ? "*" : "")
        }
        let joined = parts.joined(separator: mode == .all ? " AND " : " OR ")
        return titleOnly ? "{title} : (\(joined))" : joined
    }

    /// PostgreSQL's tsquery: the same stems, `&` or `|`, `:*` for the prefix, `:A` for the title.
    static func tsQuery(_ query: SearchText.Query, mode: Mode, titleOnly: Bool = false) -> String {
        query.terms.enumerated().map { i, term in
            let prefix = query.lastIsPrefix && i == query.terms.count - 1
            return term + (prefix ? ":*" : "") + (titleOnly ? (prefix ? "A" : ":A") : "")
        }.joined(separator: mode == .all ? " & " : " | ")
    }

    struct ArticleHit: Sendable {
        let articleID: Int
        let titleMatch: Bool
    }

    /// Articles matching `query` that `visible` allows (a condition on `a`, the article), best first:
    /// those matching in the title, then by relevance.
    static func articles(_ query: SearchText.Query, mode: Mode, visible: SQLQueryString, limit: Int, on sql: any SQLDatabase) async throws -> [ArticleHit] {
        guard !query.isEmpty else { return [] }
        let rows: [any SQLRow]
        if isPostgres(sql) {
            rows = try await sql.raw("""
                SELECT d.article_id, (d.tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: mode, titleOnly: true)))) AS title_match,
                       ts_rank(d.tsv, to_tsquery('simple', \(bind: tsQuery(query, mode: mode))), 1) AS score
                FROM search_docs d JOIN kb_articles a ON a.id = d.article_id
                WHERE d.kind = 'article' AND d.tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: mode))) AND
                """ + " " + visible + " ORDER BY title_match DESC, score DESC, a.id LIMIT \(bind: limit)").all()
        } else {
            rows = try await sql.raw("""
                SELECT d.article_id, (d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH \(bind: ftsQuery(query, mode: mode, titleOnly: true)))) AS title_match,
                       bm25(search_fts, 10.0, 1.0) AS score
                FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid JOIN kb_articles a ON a.id = d.article_id
                WHERE search_fts MATCH \(bind: ftsQuery(query, mode: mode)) AND d.kind = 'article' AND
                """ + " " + visible + " ORDER BY title_match DESC, score, a.id LIMIT \(bind: limit)").all()
        }
        return try rows.map { ArticleHit(articleID: try $0.decode(column: "article_id", as: Int.self), titleMatch: try $0.decode(column: "title_match", as: Bool.self)) }
    }

    struct TicketHit: Sendable {
        let ticketID: Int
        /// The message that matched (its text makes the snippet).
        let commentID: Int
        let titleMatch: Bool
    }

    /// Tickets with a message matching `query` (every word in the subject or in one message), among
    /// those `visible` allows (conditions on `t`, the ticket); internal notes only when `internal`.
    /// Subject matches first, then the newest.
    static func tickets(_ query: SearchText.Query, visible: [SQLQueryString], includeInternal: Bool, limit: Int,
                        on sql: any SQLDatabase) async throws -> [TicketHit] {
        guard !query.isEmpty else { return [] }
        var conditions = visible
        if !includeInternal { conditions.append("d.is_public = \(bind: true)") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : " AND " + conditions.joined(separator: " AND ")
        // A ticket has one entry per message: take enough to fill `limit` distinct tickets.
        let fetch = limit * 4
        func run(titleOnly: Bool) async throws -> [any SQLRow] {
            if isPostgres(sql) {
                return try await sql.raw("""
                    SELECT d.ticket_id, d.comment_id FROM search_docs d JOIN tickets t ON t.id = d.ticket_id
                    WHERE d.kind = 'comment' AND d.tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: .all, titleOnly: titleOnly)))
                    """ + filter + " ORDER BY d.id DESC LIMIT \(bind: fetch)").all()
            }
            return try await sql.raw("""
                SELECT d.ticket_id, d.comment_id FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid JOIN tickets t ON t.id = d.ticket_id
                WHERE search_fts MATCH \(bind: ftsQuery(query, mode: .all, titleOnly: titleOnly)) AND d.kind = 'comment'
                """ + filter + " ORDER BY search_fts.rowid DESC LIMIT \(bind: fetch)").all()
        }
        var hits: [TicketHit] = []
        var seen = Set<Int>()
        for (titleOnly, rows) in [(true, try await run(titleOnly: true)), (false, try await run(titleOnly: false))] {
            for row in rows {
                let ticketID = try row.decode(column: "ticket_id", as: Int.self)
                guard seen.insert(ticketID).inserted else { continue }
                hits.append(TicketHit(ticketID: ticketID, commentID: try row.decode(column: "comment_id", as: Int.self), titleMatch: titleOnly))
                if hits.count == limit { return hits }
            }
        }
        return hits
    }
}
