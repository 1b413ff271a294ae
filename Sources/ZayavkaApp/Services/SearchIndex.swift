import Foundation
import SQLKit
import ZayavkaCore

/// The full-text index of articles and tickets (issue 17), kept in step with every write: the code
/// that writes a comment, a subject or an article updates the index in the same transaction. Words
/// are stemmed here (`SearchText`), so SQLite's FTS5 and PostgreSQL's tsvector hold the same stems
/// and answer the same queries.
///
/// Three kinds of entry, each in its own index (FTS5 table on SQLite, partial GIN index on
/// PostgreSQL), so a search of one kind never walks the others:
/// - `comment`: one per ticket message, its ticket's subject as the title and the message as the
///   body, public or internal like the message (every word of a query may be in either);
/// - `subject`: one per ticket, its subject (so "subject matches first" is a small index's answer);
/// - `article`: one per article (title; plain text and tags).
enum SearchIndex {
    enum Kind: String, CaseIterable, Sendable {
        case comment, subject, article

        /// The tsvector column of this kind on PostgreSQL (NULL in the other kinds' rows).
        var vectorColumn: String { rawValue + "_tsv" }

        /// The FTS5 table of this kind on SQLite.
        var ftsTable: String {
            switch self {
            case .comment: "search_fts"
            case .subject: "subject_fts"
            case .article: "article_fts"
            }
        }
    }

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

    private struct Entry {
        let kind: Kind
        let articleID: Int?
        let ticketID: Int?
        let commentID: Int?
        let isPublic: Bool
        let title: String
        let body: String
    }

    /// Writes entries of one kind (stems already made), in statements of 200 rows.
    private static func insert(_ entries: [Entry], kind: Kind, on sql: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: entries.count, by: 200).map({ entries[$0..<min($0 + 200, entries.count)] }) {
            if isPostgres(sql) {
                let values: [SQLQueryString] = chunk.map { e in
                    "(\(bind: kind.rawValue), \(bind: e.articleID), \(bind: e.ticketID), \(bind: e.commentID), \(bind: e.isPublic), " + vector(e.title, e.body) + ")"
                }
                try await sql.raw("INSERT INTO search_docs (kind, article_id, ticket_id, comment_id, is_public, \(unsafeRaw: kind.vectorColumn)) VALUES "
                                  + values.joined(separator: ", ")).run()
            } else {
                let values: [SQLQueryString] = chunk.map { e in
                    "(\(bind: kind.rawValue), \(bind: e.articleID), \(bind: e.ticketID), \(bind: e.commentID), \(bind: e.isPublic))"
                }
                // Each entry's id, by the row it indexes (RETURNING promises no order).
                let returned = try await sql.raw("INSERT INTO search_docs (kind, article_id, ticket_id, comment_id, is_public) VALUES "
                                                 + values.joined(separator: ", ") + " RETURNING id, article_id, ticket_id, comment_id").all()
                var idOf: [Int: Int] = [:]
                for row in returned {
                    let key = try kind == .article ? row.decode(column: "article_id", as: Int?.self)
                        : kind == .subject ? row.decode(column: "ticket_id", as: Int?.self) : row.decode(column: "comment_id", as: Int?.self)
                    if let key { idOf[key] = try row.decode(column: "id", as: Int.self) }
                }
                let rows: [SQLQueryString] = try chunk.map { e in
                    guard let key = kind == .article ? e.articleID : kind == .subject ? e.ticketID : e.commentID, let id = idOf[key] else {
                        throw SearchIndexError.mismatch
                    }
                    return "(\(bind: id), \(bind: e.title), \(bind: e.body))"
                }
                try await sql.raw("INSERT INTO \(unsafeRaw: kind.ftsTable) (rowid, title, body) VALUES " + rows.joined(separator: ", ")).run()
            }
        }
    }

    enum SearchIndexError: Error { case mismatch }

    // MARK: Writing

    /// Indexes new ticket messages.
    static func add(_ docs: [CommentDoc], on sql: any SQLDatabase) async throws {
        try await insert(docs.map {
            Entry(kind: .comment, articleID: nil, ticketID: $0.ticketID, commentID: $0.commentID, isPublic: $0.isPublic,
                  title: SearchText.indexed($0.subject), body: SearchText.indexed($0.body))
        }, kind: .comment, on: sql)
    }

    /// Indexes the subjects of new tickets.
    static func addSubjects(_ subjects: [(ticketID: Int, subject: String)], on sql: any SQLDatabase) async throws {
        try await insert(subjects.map {
            Entry(kind: .subject, articleID: nil, ticketID: $0.ticketID, commentID: nil, isPublic: true, title: SearchText.indexed($0.subject), body: "")
        }, kind: .subject, on: sql)
    }

    /// A new ticket: its subject and its description.
    static func addTickets(_ tickets: [(ticketID: Int, subject: String, commentID: Int, body: String)], on sql: any SQLDatabase) async throws {
        try await addSubjects(tickets.map { ($0.ticketID, $0.subject) }, on: sql)
        try await add(tickets.map { CommentDoc(commentID: $0.commentID, ticketID: $0.ticketID, subject: $0.subject, body: $0.body, isPublic: true) }, on: sql)
    }

    private static func commentDocs(_ rows: [any SQLRow]) throws -> [CommentDoc] {
        try rows.map { row in
            CommentDoc(commentID: try row.decode(column: "id", as: Int.self), ticketID: try row.decode(column: "ticket_id", as: Int.self),
                       subject: try row.decode(column: "subject", as: String.self), body: try row.decode(column: "body", as: String.self),
                       isPublic: try row.decode(column: "is_public", as: Bool.self))
        }
    }

    /// Indexes these comments from the database (their ticket's subject, their text, public or not).
    static func addComments(ids: [Int], on sql: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try await sql.raw("""
                SELECT c.id, c.ticket_id, c.body, c.is_public, t.subject FROM comments c JOIN tickets t ON t.id = c.ticket_id
                WHERE c.id IN (\(binds: chunk))
                """).all()
            try await add(try commentDocs(rows), on: sql)
        }
    }

    private static func remove(_ kind: Kind, where condition: SQLQueryString, on sql: any SQLDatabase) async throws {
        let scoped: SQLQueryString = "kind = \(bind: kind.rawValue) AND " + condition
        if !isPostgres(sql) {
            try await sql.raw("DELETE FROM \(unsafeRaw: kind.ftsTable) WHERE rowid IN (SELECT id FROM search_docs WHERE " + scoped + ")").run()
        }
        try await sql.raw("DELETE FROM search_docs WHERE " + scoped).run()
    }

    /// Indexes these tickets again from what they hold now (a subject changed, text was erased).
    static func reindex(tickets ids: [Int], on sql: any SQLDatabase) async throws {
        let ids = Array(Set(ids)).sorted()
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            try await remove(.comment, where: "ticket_id IN (\(binds: chunk))", on: sql)
            try await remove(.subject, where: "ticket_id IN (\(binds: chunk))", on: sql)
            let tickets = try await sql.raw("SELECT id, subject FROM tickets WHERE id IN (\(binds: chunk))").all()
            try await addSubjects(try tickets.map { (try $0.decode(column: "id", as: Int.self), try $0.decode(column: "subject", as: String.self)) }, on: sql)
            let comments = try await sql.raw("SELECT id FROM comments WHERE ticket_id IN (\(binds: chunk)) ORDER BY id").all()
            try await addComments(ids: try comments.map { try $0.decode(column: "id", as: Int.self) }, on: sql)
        }
    }

    /// Indexes an article as it is now (drafts too: who may find what is decided when searching).
    static func index(article id: Int, title: String, body: String, tags: String, on sql: any SQLDatabase) async throws {
        try await remove(.article, where: "article_id = \(bind: id)", on: sql)
        try await insert([Entry(kind: .article, articleID: id, ticketID: nil, commentID: nil, isPublic: true,
                                title: SearchText.indexed(title), body: SearchText.indexed(body + "\n" + tags))], kind: .article, on: sql)
    }

    /// Indexes these articles again from what they hold now.
    static func reindex(articles ids: [Int], on sql: any SQLDatabase) async throws {
        for id in Set(ids).sorted() {
            guard let row = try await sql.raw("SELECT title, body_text, tags FROM kb_articles WHERE id = \(bind: id)").first() else { continue }
            try await index(article: id, title: try row.decode(column: "title", as: String.self), body: try row.decode(column: "body_text", as: String.self),
                            tags: try row.decode(column: "tags", as: String.self), on: sql)
        }
    }

    // MARK: Rebuilding

    /// Runs one batch of the rebuild and returns its result (the command: in its own transaction
    /// through the write gate, so the desk keeps writing between batches; the migration: directly).
    typealias BatchRunner = @Sendable (@escaping @Sendable (any SQLDatabase) async throws -> Int?) async throws -> Int?

    /// Builds the whole index again, in batches: each batch replaces the entries of the rows it
    /// reads, so writes that land meanwhile (and index themselves) are never doubled. `progress`
    /// hears the running count of entries.
    static func rebuild(on sql: any SQLDatabase, runner: BatchRunner? = nil, progress: (@Sendable (Int) -> Void)? = nil) async throws {
        let run: BatchRunner = runner ?? { work in try await work(sql) }
        // Entries whose row is gone (the index of a restored or hand-edited database).
        _ = try await run { sql in
            for kind in Kind.allCases {
                let orphans: SQLQueryString = switch kind {
                case .article: "article_id NOT IN (SELECT id FROM kb_articles)"
                case .subject: "ticket_id NOT IN (SELECT id FROM tickets)"
                case .comment: "comment_id NOT IN (SELECT id FROM comments)"
                }
                try await remove(kind, where: orphans, on: sql)
            }
            return nil
        }
        var done = 0
        var after = 0
        while true {
            let from = after
            guard let last = try await run({ sql in
                let rows = try await sql.raw("SELECT id, title, body_text, tags FROM kb_articles WHERE id > \(bind: from) ORDER BY id LIMIT 500").all()
                for row in rows {
                    try await index(article: try row.decode(column: "id", as: Int.self), title: try row.decode(column: "title", as: String.self),
                                    body: try row.decode(column: "body_text", as: String.self), tags: try row.decode(column: "tags", as: String.self), on: sql)
                }
                return try rows.last?.decode(column: "id", as: Int.self)
            }) else { break }
            after = last
        }
        after = 0
        while true {
            let from = after
            guard let last = try await run({ sql in
                let rows = try await sql.raw("SELECT id, subject FROM tickets WHERE id > \(bind: from) ORDER BY id LIMIT 5000").all()
                guard let last = rows.last else { return nil }
                let ids = try rows.map { try $0.decode(column: "id", as: Int.self) }
                try await remove(.subject, where: "ticket_id IN (\(binds: ids))", on: sql)
                try await addSubjects(try rows.map { (try $0.decode(column: "id", as: Int.self), try $0.decode(column: "subject", as: String.self)) }, on: sql)
                return try last.decode(column: "id", as: Int.self)
            }) else { break }
            after = last
            done += 5000
            progress?(done)
        }
        after = 0
        while true {
            let from = after
            guard let last = try await run({ sql in
                let rows = try await sql.raw("""
                    SELECT c.id, c.ticket_id, c.body, c.is_public, t.subject FROM comments c JOIN tickets t ON t.id = c.ticket_id
                    WHERE c.id > \(bind: from) ORDER BY c.id LIMIT 2000
                    """).all()
                guard let last = rows.last else { return nil }
                let docs = try commentDocs(rows)
                try await remove(.comment, where: "comment_id IN (\(binds: docs.map(\.commentID)))", on: sql)
                try await add(docs, on: sql)
                return try last.decode(column: "id", as: Int.self)
            }) else { break }
            after = last
            done += 2000
            progress?(done)
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
                SELECT d.article_id, (d.article_tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: mode, titleOnly: true)))) AS title_match,
                       ts_rank(d.article_tsv, to_tsquery('simple', \(bind: tsQuery(query, mode: mode))), 1) AS score
                FROM search_docs d JOIN kb_articles a ON a.id = d.article_id
                WHERE d.kind = 'article' AND d.article_tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: mode))) AND
                """ + " " + visible + " ORDER BY title_match DESC, score DESC, a.id LIMIT \(bind: limit)").all()
        } else {
            // FTS5 ranks inside the index (`ORDER BY rank LIMIT`: BM25, the title weighing 10 times
            // the body) and only the best candidates are checked against who may read them (a LEFT
            // JOIN: a hidden one comes back without an article, so one statement also tells whether
            // FTS5 ran out of candidates); when too many are hidden, it asks for more. Title
            // matches first, then the rest.
            var hits: [ArticleHit] = []
            var seen = Set<Int>()
            for titleOnly in [true, false] {
                var fetch = limit * 2
                while true {
                    let found = try await sql.raw("""
                        SELECT a.id AS article_id FROM (SELECT rowid, rank FROM article_fts
                            WHERE article_fts MATCH \(bind: ftsQuery(query, mode: mode, titleOnly: titleOnly)) ORDER BY rank LIMIT \(bind: fetch)) f
                        LEFT JOIN search_docs d ON d.id = f.rowid LEFT JOIN kb_articles a ON a.id = d.article_id AND
                        """ + " " + visible + " ORDER BY f.rank, f.rowid").all()
                    let candidates = try found.compactMap { try $0.decode(column: "article_id", as: Int?.self) }.filter { !seen.contains($0) }
                    if hits.count + candidates.count >= limit || found.count < fetch {
                        for id in candidates where hits.count < limit {
                            seen.insert(id)
                            hits.append(ArticleHit(articleID: id, titleMatch: titleOnly))
                        }
                        break
                    }
                    fetch *= 4
                }
                if hits.count >= limit { break }
            }
            return hits
        }
        return try rows.map { ArticleHit(articleID: try $0.decode(column: "article_id", as: Int.self), titleMatch: try $0.decode(column: "title_match", as: Bool.self)) }
    }

    struct TicketHit: Sendable {
        let ticketID: Int
        /// The message that matched (its text makes the snippet); nil for a subject match.
        let commentID: Int?
        let titleMatch: Bool
    }

    /// Tickets matching `query`, among those `visible` allows (conditions on `t`, the ticket):
    /// first those whose subject holds every word, newest first; then those with a message (its
    /// ticket's subject included) that holds them, newest first. Internal notes only when
    /// `includeInternal`.
    static func tickets(_ query: SearchText.Query, visible: [SQLQueryString], includeInternal: Bool, limit: Int,
                        on sql: any SQLDatabase) async throws -> [TicketHit] {
        guard !query.isEmpty else { return [] }
        let ticketFilter: SQLQueryString = visible.isEmpty ? "" : " AND " + visible.joined(separator: " AND ")
        let messageFilter: SQLQueryString = includeInternal ? ticketFilter : ticketFilter + " AND d.is_public = \(bind: true)"
        var hits: [TicketHit] = []
        var seen = Set<Int>()
        let subjects: [any SQLRow]
        if isPostgres(sql) {
            subjects = try await sql.raw("""
                SELECT d.ticket_id, NULL AS comment_id FROM search_docs d JOIN tickets t ON t.id = d.ticket_id
                WHERE d.kind = 'subject' AND d.subject_tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: .all)))
                """ + ticketFilter + " ORDER BY d.ticket_id DESC LIMIT \(bind: limit)").all()
        } else {
            subjects = try await sql.raw("""
                SELECT d.ticket_id, NULL AS comment_id FROM subject_fts JOIN search_docs d ON d.id = subject_fts.rowid JOIN tickets t ON t.id = d.ticket_id
                WHERE subject_fts MATCH \(bind: ftsQuery(query, mode: .all))
                """ + ticketFilter + " ORDER BY subject_fts.rowid DESC LIMIT \(bind: limit)").all()
        }
        for row in subjects {
            let ticketID = try row.decode(column: "ticket_id", as: Int.self)
            if seen.insert(ticketID).inserted { hits.append(TicketHit(ticketID: ticketID, commentID: nil, titleMatch: true)) }
        }
        if hits.count >= limit { return hits }
        // A ticket has one entry per message: take enough to fill `limit` distinct tickets.
        let fetch = (limit - hits.count) * 4 + hits.count
        let messages: [any SQLRow]
        if isPostgres(sql) {
            messages = try await sql.raw("""
                SELECT d.ticket_id, d.comment_id FROM search_docs d JOIN tickets t ON t.id = d.ticket_id
                WHERE d.kind = 'comment' AND d.comment_tsv @@ to_tsquery('simple', \(bind: tsQuery(query, mode: .all)))
                """ + messageFilter + " ORDER BY d.id DESC LIMIT \(bind: fetch)").all()
        } else {
            messages = try await sql.raw("""
                SELECT d.ticket_id, d.comment_id FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid JOIN tickets t ON t.id = d.ticket_id
                WHERE search_fts MATCH \(bind: ftsQuery(query, mode: .all))
                """ + messageFilter + " ORDER BY search_fts.rowid DESC LIMIT \(bind: fetch)").all()
        }
        for row in messages {
            let ticketID = try row.decode(column: "ticket_id", as: Int.self)
            guard seen.insert(ticketID).inserted else { continue }
            hits.append(TicketHit(ticketID: ticketID, commentID: try row.decode(column: "comment_id", as: Int?.self), titleMatch: false))
            if hits.count == limit { break }
        }
        return hits
    }
}
