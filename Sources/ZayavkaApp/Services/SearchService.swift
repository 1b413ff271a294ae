import Foundation
import SQLKit
import ZayavkaCore
import ZayavkaMail

/// One search engine for articles and tickets (issue 17): inflected forms find each other, on
/// SQLite and PostgreSQL alike (see `SearchIndex`). Who may find what is decided here: anonymous
/// visitors find public articles; customers also customers' articles and their own requests'
/// public messages; staff everything, internal notes included.
enum SearchService {
    static let defaultLimit = 20
    static let maxLimit = 100

    /// Articles matching `raw`: every word (the search box) or any (suggestions), best first.
    /// `prefix`: the last word is still being typed.
    static func articles(_ raw: String, mode: SearchIndex.Mode = .all, prefix: Bool = false, language: Language? = nil,
                         limit: Int = defaultLimit, context: ServiceContext) async throws -> SearchResultDTO<KBArticleSummaryDTO> {
        try await articlesWithText(raw, mode: mode, prefix: prefix, language: language, limit: limit, context: context).result
    }

    /// The same, with each article's plain text by id (the composer inserts it).
    static func articlesWithText(_ raw: String, mode: SearchIndex.Mode = .all, prefix: Bool = false, language: Language? = nil,
                                 limit: Int = defaultLimit, context: ServiceContext) async throws
        -> (result: SearchResultDTO<KBArticleSummaryDTO>, texts: [Int: String]) {
        let query = SearchText.Query(raw, prefix: prefix)
        var visible = KnowledgeBaseService.visible(context)
        if let language { visible = visible + " AND a.language = \(bind: language.rawValue)" }
        let hits = try await SearchIndex.articles(query, mode: mode, visible: visible, limit: limit, on: context.sql)
        guard !hits.isEmpty else { return (SearchResultDTO(query: raw, terms: query.terms, items: []), [:]) }
        let ids = hits.map(\.articleID)
        let rows = try await context.sql.raw("""
            SELECT a.id, a.category_id, a.slug, a.language, a.translation_of, a.title, '' AS body, a.body_text, a.tags, a.audience, a.status, a.author_id,
                   NULL AS author_name, a.revision, a.helpful_yes, a.helpful_no, a.views, a.created_at, a.updated_at, a.published_at
            FROM kb_articles a WHERE a.id IN (\(binds: ids))
            """).all(decoding: KnowledgeBaseService.ArticleRow.self)
        let byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let items = hits.compactMap { hit -> KBArticleSummaryDTO? in
            guard let row = byID[hit.articleID] else { return nil }
            let snippet = ArticleText.snippetHTML(SearchText.snippet(row.body_text, query: query))
            return KnowledgeBaseService.summary(row, snippet: snippet)
        }
        return (SearchResultDTO(query: raw, terms: query.terms, items: items), byID.mapValues(\.body_text))
    }

    /// Tickets the viewer may see with a message matching every word of `raw`; `filters` are the
    /// ticket list's (status, group, …). Subject matches first, then the newest.
    static func tickets(_ raw: String, filters: [String: String] = [:], limit: Int = defaultLimit,
                        context: ServiceContext) async throws -> SearchResultDTO<TicketSearchHitDTO> {
        let viewer = try context.viewer
        let query = SearchText.Query(raw)
        var params = filters
        params.removeValue(forKey: "cursor")
        params.removeValue(forKey: "sort")
        params.removeValue(forKey: "limit")
        let spec = try TicketQueries.parse(params, viewer: viewer)
        let sql = context.sql
        let hits = try await SearchIndex.tickets(query, visible: spec.conditions, includeInternal: Visibility.canSeeInternal(viewer), limit: limit, on: sql)
        guard !hits.isEmpty else { return SearchResultDTO(query: raw, terms: query.terms, items: []) }
        let tickets = try await sql.raw("""
            SELECT t.id, t.number, t.subject, t.status, t.updated_at, t.requester_id, r.name AS requester_name
            FROM tickets t JOIN users r ON r.id = t.requester_id WHERE t.id IN (\(binds: hits.map(\.ticketID)))
            """).all()
        var byID: [Int: any SQLRow] = [:]
        for row in tickets { byID[try row.decode(column: "id", as: Int.self)] = row }
        // The matched message's text; for a subject match, the description (the ticket's first message).
        var bodies: [Int: String] = [:]
        var descriptions: [Int: String] = [:]
        let commentIDs = hits.compactMap(\.commentID)
        if !commentIDs.isEmpty {
            for row in try await sql.raw("SELECT id, body FROM comments WHERE id IN (\(binds: commentIDs))").all() {
                bodies[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "body", as: String.self)
            }
        }
        let subjectOnly = hits.filter { $0.commentID == nil }.map(\.ticketID)
        if !subjectOnly.isEmpty {
            for row in try await sql.raw("""
                SELECT c.ticket_id, c.body FROM comments c WHERE c.id IN (SELECT MIN(id) FROM comments WHERE ticket_id IN (\(binds: subjectOnly)) GROUP BY ticket_id)
                """).all() {
                descriptions[try row.decode(column: "ticket_id", as: Int.self)] = try row.decode(column: "body", as: String.self)
            }
        }
        let catalog = try await context.services.catalog.snapshot(context.database)
        let items = try hits.compactMap { hit -> TicketSearchHitDTO? in
            guard let row = byID[hit.ticketID] else { return nil }
            let subject = try row.decode(column: "subject", as: String.self)
            let status = try row.decode(column: "status", as: String.self)
            let body = hit.commentID.flatMap { bodies[$0] } ?? descriptions[hit.ticketID] ?? ""
            return TicketSearchHitDTO(
                number: try row.decode(column: "number", as: Int.self), subject: subject, status: status,
                statusName: catalog.workflow.definition(status)?.name(context.language, forStaff: (try? context.viewer.role.isStaff) ?? false) ?? status,
                requester: PersonRef(id: try row.decode(column: "requester_id", as: Int.self), name: try row.decode(column: "requester_name", as: String.self)),
                updatedAt: try row.decode(column: "updated_at", as: Date.self), matchedIn: hit.titleMatch ? "subject" : "message",
                subjectHtml: ArticleText.snippetHTML(SearchText.snippet(subject, query: query, length: 400)),
                snippet: ArticleText.snippetHTML(SearchText.snippet(body, query: query)))
        }
        return SearchResultDTO(query: raw, terms: query.terms, items: items)
    }

    /// Articles that may answer a ticket: any of its subject's words, best first (the agent's ticket page, the acknowledgement).
    static func suggestions(forSubject subject: String, audiences: [ArticleAudience], language: Language?, limit: Int,
                            on sql: any SQLDatabase) async throws -> [(id: Int, slug: String, title: String, audience: String)] {
        let query = SearchText.Query(subject)
        var visible: SQLQueryString = "a.status = 'published' AND a.audience IN (\(binds: audiences.map(\.rawValue)))"
        if let language { visible = visible + " AND a.language = \(bind: language.rawValue)" }
        let hits = try await SearchIndex.articles(query, mode: .any, visible: visible, limit: limit, on: sql)
        guard !hits.isEmpty else { return [] }
        let rows = try await sql.raw("SELECT id, slug, title, audience FROM kb_articles WHERE id IN (\(binds: hits.map(\.articleID)))").all()
        var byID: [Int: (Int, String, String, String)] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: Int.self)
            byID[id] = (id, try row.decode(column: "slug", as: String.self), try row.decode(column: "title", as: String.self),
                        try row.decode(column: "audience", as: String.self))
        }
        return hits.compactMap { byID[$0.articleID] }.map { (id: $0.0, slug: $0.1, title: $0.2, audience: $0.3) }
    }
}
