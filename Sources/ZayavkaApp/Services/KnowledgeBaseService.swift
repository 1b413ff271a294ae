import Foundation
import Ink
import SQLKit
import ZayavkaCore
import ZayavkaMail

/// An article's Markdown as safe HTML and as plain text (for the index and snippets).
enum ArticleText {
    /// The longest body accepted.
    static let maxBodyLength = 200_000

    private static func markdown(_ text: String) -> String {
        // Ink 0.6 traps (reads past the end) on some texts; found by ArticleTextTests' random texts:
        // - whitespace that runs to the end of the text inside a list: no line keeps trailing
        //   whitespace, and the text ends with its last visible character;
        // - a text that starts with "-" is read as a metadata header ("---" and nothing after it
        //   traps): such a text starts with an invisible paragraph instead.
        var text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in String(line.reversed().drop(while: { $0 == " " || $0 == "\t" || $0.isWhitespace }).reversed()) }
            .joined(separator: "\n")
        while let last = text.last, last.isWhitespace { text.removeLast() }
        if text.drop(while: { $0.isWhitespace }).hasPrefix("-") { text = "&#8203;\n\n" + text }
        return MarkdownParser().html(from: text)
    }

    /// Rendered and sanitized: scripts, styles, event handlers and foreign images are dropped;
    /// images uploaded to the knowledge base (`/kb/files/…`) are kept.
    static func html(_ text: String) -> String {
        let rendered = markdown(text).replacingOccurrences(of: "src=\"/kb/files/", with: "src=\"cid:kbfile/")
        return HTMLSanitizer.sanitize(rendered, allowCID: { id in
            id.hasPrefix("kbfile/") && !id.contains("..")
                && id.dropFirst(7).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." || $0 == "/") }
        }, rewriteCID: { "/kb/files/" + $0.dropFirst(7) })
    }

    static func plain(_ text: String) -> String {
        HTMLSanitizer.text(from: markdown(text))
    }

    /// A snippet as HTML: escaped text, matched words in `<mark>`.
    static func snippetHTML(_ segments: [SearchText.Segment]) -> String {
        segments.map { $0.isMatch ? "<mark>" + HTMLSanitizer.escape($0.text) + "</mark>" : HTMLSanitizer.escape($0.text) }.joined()
    }
}

/// The knowledge base (issue 17, SPEC K1): categories, articles in Russian and English with every
/// save kept as a revision, who may read what, votes and images. Staff write articles; managers and
/// admins arrange the categories.
enum KnowledgeBaseService {
    static let maxTitleLength = 200
    static let maxImageBytes = 5 * 1_048_576

    struct ArticleRow: Decodable, Sendable {
        let id: Int
        let category_id: Int?
        let slug: String
        let language: String
        let translation_of: Int?
        let title: String
        let body: String
        let body_text: String
        let tags: String
        let audience: String
        let status: String
        let author_id: Int?
        let author_name: String?
        let revision: Int
        let helpful_yes: Int
        let helpful_no: Int
        let views: Int
        let created_at: Date
        let updated_at: Date
        let published_at: Date?

        var tagList: [String] { tags.split(separator: "\n").map(String.init) }
    }

    private static let articleSelect: SQLQueryString = """
        SELECT a.id, a.category_id, a.slug, a.language, a.translation_of, a.title, a.body, a.body_text, a.tags, a.audience, a.status, a.author_id,
               u.name AS author_name, a.revision, a.helpful_yes, a.helpful_no, a.views, a.created_at, a.updated_at, a.published_at
        FROM kb_articles a LEFT JOIN users u ON u.id = a.author_id
        """

    /// The condition on `a` (an article) of what this reader may see: published and for their
    /// audience; staff also see drafts when `drafts`.
    static func visible(_ context: ServiceContext, drafts: Bool = false) -> SQLQueryString {
        let role = context.signedIn?.viewer.role
        let audiences = ArticleAudience.visible(to: role).map(\.rawValue)
        var condition: SQLQueryString = "a.audience IN (\(binds: audiences))"
        if !(drafts && (role?.isStaff ?? false)) { condition = condition + " AND a.status = 'published'" }
        return "(" + condition + ")"
    }

    static func url(slug: String, audience: String) -> String {
        audience == ArticleAudience.staff.rawValue ? SitePath.agentArticle(slug).path : SitePath.kbArticle(slug).path
    }

    // MARK: Categories

    static func categories(context: ServiceContext) async throws -> [KBCategoryDTO] {
        let rows = try await context.sql.raw("""
            SELECT c.id, c.parent_id, c.position, c.slug, c.name_ru, c.name_en,
                   (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id AND
            """ + " " + visible(context) + ") AS articles FROM kb_categories c ORDER BY c.position, c.id").all()
        let english = context.language == .en
        return try rows.map { row in
            let ru = try row.decode(column: "name_ru", as: String.self), en = try row.decode(column: "name_en", as: String.self)
            return KBCategoryDTO(id: try row.decode(column: "id", as: Int.self), parentId: try row.decode(column: "parent_id", as: Int?.self),
                                 position: try row.decode(column: "position", as: Int.self), slug: try row.decode(column: "slug", as: String.self),
                                 nameRu: ru, nameEn: en, name: english && !en.isEmpty ? en : ru, articles: try row.decode(column: "articles", as: Int.self))
        }
    }

    static func category(id: Int, context: ServiceContext) async throws -> KBCategoryDTO {
        guard let found = try await categories(context: context).first(where: { $0.id == id }) else {
            throw ZayavkaError.notFound(entity: "category", id: String(id))
        }
        return found
    }

    /// Creates (`id` nil) or changes a category.
    static func saveCategory(id: Int?, _ input: KBCategoryInput, context: ServiceContext) async throws -> KBCategoryDTO {
        try context.require(.manageKnowledgeBase)
        let sql = context.sql
        var current: KBCategoryDTO?
        if let id { current = try await category(id: id, context: context) }
        var errors: [FieldError] = []
        let nameRu = TextInput.clean((input.nameRu ?? current?.nameRu ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        let nameEn = TextInput.clean((input.nameEn ?? current?.nameEn ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        if nameRu.isEmpty { errors.append(FieldError("name_ru", .required)) }
        if nameRu.count > 120 { errors.append(FieldError("name_ru", .tooLong, "120")) }
        if nameEn.count > 120 { errors.append(FieldError("name_en", .tooLong, "120")) }
        let slug = input.slug ?? current?.slug ?? Slug.make(nameEn.isEmpty ? nameRu : nameEn)
        if !Slug.isValid(slug) { errors.append(FieldError("slug", .invalid)) }
        let position = input.position ?? current?.position ?? 0
        if !(0...100_000).contains(position) { errors.append(FieldError("position", .invalid, "0-100000")) }
        let parentID: Int? = input.parentId ?? current?.parentId
        if let parentID {
            if parentID == id { errors.append(FieldError("parent_id", .invalid)) }
            else if try await sql.raw("SELECT id FROM kb_categories WHERE id = \(bind: parentID)").first() == nil {
                errors.append(FieldError("parent_id", .unknownValue))
            } else if let id, try await ancestors(of: parentID, on: sql).contains(id) {
                errors.append(FieldError("parent_id", .invalid))  // a category inside itself
            }
        }
        if try await sql.raw("SELECT id FROM kb_categories WHERE slug = \(bind: slug) AND id <> \(bind: id ?? 0)").first() != nil {
            throw ZayavkaError.conflict(field: "slug", value: slug)
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let now = context.now
        let saved = try await context.write { db -> Int in
            let sql = db as! any SQLDatabase
            if let id {
                try await sql.raw("""
                    UPDATE kb_categories SET parent_id = \(bind: parentID), position = \(bind: position), slug = \(bind: slug),
                        name_ru = \(bind: nameRu), name_en = \(bind: nameEn) WHERE id = \(bind: id)
                    """).run()
                return id
            }
            return try await sql.raw("""
                INSERT INTO kb_categories (parent_id, position, slug, name_ru, name_en, created_at)
                VALUES (\(bind: parentID), \(bind: position), \(bind: slug), \(bind: nameRu), \(bind: nameEn), \(bind: now)) RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
        }
        return try await category(id: saved, context: context)
    }

    private static func ancestors(of id: Int, on sql: any SQLDatabase) async throws -> Set<Int> {
        var seen: Set<Int> = [id]
        var next: Int? = id
        while let current = next {
            next = try await sql.raw("SELECT parent_id FROM kb_categories WHERE id = \(bind: current)").first()?.decode(column: "parent_id", as: Int?.self)
            if let n = next, !seen.insert(n).inserted { break }
        }
        return seen
    }

    /// Removes an empty category (no articles, no sub-categories).
    static func deleteCategory(id: Int, context: ServiceContext) async throws {
        try context.require(.manageKnowledgeBase)
        _ = try await category(id: id, context: context)
        let sql = context.sql
        let hasArticle = try await sql.raw("SELECT id FROM kb_articles WHERE category_id = \(bind: id) LIMIT 1").first() != nil
        let hasChild = try await sql.raw("SELECT id FROM kb_categories WHERE parent_id = \(bind: id) LIMIT 1").first() != nil
        if hasArticle || hasChild {
            throw ZayavkaError.validation([FieldError("category", .notAllowed, "not empty")])
        }
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM kb_categories WHERE id = \(bind: id)").run()
        }
    }

    // MARK: Reading articles

    static func dto(_ row: ArticleRow, context: ServiceContext) async throws -> KBArticleDTO {
        let root = row.translation_of ?? row.id
        let translations = try await context.sql.raw("""
            SELECT a.id, a.language, a.slug, a.title FROM kb_articles a
            WHERE (a.id = \(bind: root) OR a.translation_of = \(bind: root)) AND a.id <> \(bind: row.id) AND
            """ + " " + visible(context, drafts: true) + " ORDER BY a.language").all()
        return KBArticleDTO(
            id: row.id, categoryId: row.category_id, slug: row.slug, language: row.language, translationOf: row.translation_of,
            translations: try translations.map {
                KBTranslationDTO(id: try $0.decode(column: "id", as: Int.self), language: try $0.decode(column: "language", as: String.self),
                                 slug: try $0.decode(column: "slug", as: String.self), title: try $0.decode(column: "title", as: String.self))
            },
            title: row.title, body: row.body, html: ArticleText.html(row.body), tags: row.tagList, audience: row.audience, status: row.status,
            author: row.author_id.map { PersonRef(id: $0, name: row.author_name ?? "") }, revision: row.revision, helpfulYes: row.helpful_yes,
            helpfulNo: row.helpful_no, views: row.views, createdAt: row.created_at, updatedAt: row.updated_at, publishedAt: row.published_at,
            url: url(slug: row.slug, audience: row.audience))
    }

    /// One article the reader may see (staff: drafts too); anything else is not found.
    static func row(id: Int, context: ServiceContext) async throws -> ArticleRow {
        guard let row = try await context.sql.raw(articleSelect + " WHERE a.id = \(bind: id) AND " + visible(context, drafts: true))
            .first(decoding: ArticleRow.self) else { throw ZayavkaError.notFound(entity: "article", id: String(id)) }
        return row
    }

    static func row(slug: String, context: ServiceContext) async throws -> ArticleRow {
        guard let row = try await context.sql.raw(articleSelect + " WHERE a.slug = \(bind: slug) AND " + visible(context, drafts: true))
            .first(decoding: ArticleRow.self) else { throw ZayavkaError.notFound(entity: "article", id: slug) }
        return row
    }

    static func get(id: Int, context: ServiceContext) async throws -> KBArticleDTO {
        try await dto(try await row(id: id, context: context), context: context)
    }

    struct ArticleFilter: Sendable {
        var categoryID: Int?
        var status: String?
        var language: String?
        var tag: String?
    }

    static func summary(_ row: ArticleRow, snippet: String? = nil) -> KBArticleSummaryDTO {
        KBArticleSummaryDTO(id: row.id, slug: row.slug, language: row.language, title: row.title, categoryId: row.category_id,
                            audience: row.audience, status: row.status, updatedAt: row.updated_at,
                            url: url(slug: row.slug, audience: row.audience), snippet: snippet)
    }

    /// Articles the reader may see, newest first (staff: drafts too).
    static func list(_ filter: ArticleFilter, limit: Int, context: ServiceContext) async throws -> [KBArticleSummaryDTO] {
        var conditions: [SQLQueryString] = [visible(context, drafts: true)]
        if let id = filter.categoryID { conditions.append("a.category_id = \(bind: id)") }
        if let status = filter.status { conditions.append("a.status = \(bind: status)") }
        if let language = filter.language { conditions.append("a.language = \(bind: language)") }
        if let tag = filter.tag {
            conditions.append("('\n' || a.tags || '\n') LIKE \(bind: "%\n" + tag.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "\n%")")
        }
        let rows = try await context.sql.raw(articleSelect + " WHERE " + conditions.joined(separator: " AND ")
                                             + " ORDER BY a.updated_at DESC, a.id DESC LIMIT \(bind: limit)").all(decoding: ArticleRow.self)
        return rows.map { summary($0) }
    }

    /// Counts one reading of a public page.
    static func viewed(id: Int, context: ServiceContext) async throws {
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("UPDATE kb_articles SET views = views + 1 WHERE id = \(bind: id)").run()
        }
    }

    /// "Did this help?" `previous` is the reader's earlier answer (a cookie), which this one replaces.
    static func vote(id: Int, helpful: Bool, previous: Bool? = nil, context: ServiceContext) async throws -> KBVoteDTO {
        _ = try await row(id: id, context: context)
        let row = try await context.write { db -> any SQLRow in
            let sql = db as! any SQLDatabase
            var assignments: [SQLQueryString] = [helpful ? "helpful_yes = helpful_yes + 1" : "helpful_no = helpful_no + 1"]
            if let previous, previous != helpful {
                assignments.append(previous ? "helpful_yes = CASE WHEN helpful_yes > 0 THEN helpful_yes - 1 ELSE 0 END"
                                            : "helpful_no = CASE WHEN helpful_no > 0 THEN helpful_no - 1 ELSE 0 END")
            }
            let counted = previous == helpful
                ? try await sql.raw("SELECT helpful_yes, helpful_no FROM kb_articles WHERE id = \(bind: id)").first()
                : try await sql.raw("UPDATE kb_articles SET " + assignments.joined(separator: ", ") + " WHERE id = \(bind: id) RETURNING helpful_yes, helpful_no").first()
            // Deleted since it was read: as unknown as if it never was.
            guard let counted else { throw ZayavkaError.notFound(entity: "article", id: String(id)) }
            return counted
        }
        return KBVoteDTO(helpfulYes: try row.decode(column: "helpful_yes", as: Int.self), helpfulNo: try row.decode(column: "helpful_no", as: Int.self))
    }

    // MARK: Writing articles

    private struct Checked: Sendable {
        var categoryID: Int?
        var slug: String
        var language: String
        var translationOf: Int?
        var title: String
        var body: String
        var tags: [String]
        var audience: String
        var status: String
        var note: String?
    }

    /// Everything about an article save, checked before anything is written.
    private static func check(_ input: KBArticleInput, current: ArticleRow?, context: ServiceContext) async throws -> Checked {
        let sql = context.sql
        var errors: [FieldError] = []
        let title = TextInput.clean((input.title ?? current?.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        if title.isEmpty { errors.append(FieldError("title", .required)) }
        if title.count > maxTitleLength { errors.append(FieldError("title", .tooLong, String(maxTitleLength))) }
        if title.contains(where: { $0 == "\n" || $0 == "\r" }) { errors.append(FieldError("title", .controlCharacters)) }
        let body = TextInput.clean(input.body ?? current?.body ?? "")
        if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { errors.append(FieldError("body", .required)) }
        if body.count > ArticleText.maxBodyLength { errors.append(FieldError("body", .tooLong, String(ArticleText.maxBodyLength))) }
        let language = input.language ?? current?.language ?? context.language.rawValue
        if Language(rawValue: language) == nil { errors.append(FieldError("language", .unknownValue, "ru, en")) }
        let audience = input.audience ?? current?.audience ?? ArticleAudience.public.rawValue
        if ArticleAudience(rawValue: audience) == nil {
            errors.append(FieldError("audience", .unknownValue, ArticleAudience.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        let status = input.status ?? current?.status ?? ArticleStatus.draft.rawValue
        if ArticleStatus(rawValue: status) == nil { errors.append(FieldError("status", .unknownValue, "draft, published")) }
        let tags = ArticleTags.parse((input.tags ?? current?.tagList ?? []).map { TextInput.clean($0) })
        let note = input.note.map { String(TextInput.clean($0).trimmingCharacters(in: .whitespacesAndNewlines).prefix(500)) }
        let categoryID: Int? = input.categoryId ?? current?.category_id
        if let categoryID, try await sql.raw("SELECT id FROM kb_categories WHERE id = \(bind: categoryID)").first() == nil {
            errors.append(FieldError("category_id", .unknownValue))
        }
        // A translation points at the original (a translation of a translation points at its original).
        var translationOf: Int? = input.translationOf ?? current?.translation_of
        if let target = translationOf {
            if let row = try await sql.raw("SELECT id, translation_of, language FROM kb_articles WHERE id = \(bind: target)").first() {
                let root = try row.decode(column: "translation_of", as: Int?.self) ?? target
                translationOf = root
                if root == current?.id { translationOf = nil }
                else {
                    let taken = try await sql.raw("""
                        SELECT id FROM kb_articles WHERE (id = \(bind: root) OR translation_of = \(bind: root)) AND language = \(bind: language)
                          AND id <> \(bind: current?.id ?? 0)
                        """).first()
                    if taken != nil { errors.append(FieldError("translation_of", .notAllowed, "that article has a \(language) version already")) }
                }
            } else {
                errors.append(FieldError("translation_of", .unknownValue))
            }
        }
        var slug = input.slug.map { $0.trimmingCharacters(in: .whitespaces) } ?? current?.slug ?? ""
        if input.slug != nil || current == nil {
            if slug.isEmpty {
                // From the title; a taken one gets a number.
                let base = Slug.make(title)
                slug = base
                var n = 2
                while try await sql.raw("SELECT id FROM kb_articles WHERE slug = \(bind: slug) AND id <> \(bind: current?.id ?? 0)").first() != nil {
                    slug = String(base.prefix(Slug.maxLength - 6)) + "-\(n)"
                    n += 1
                    if n > 1000 { break }
                }
            } else if !Slug.isValid(slug) {
                errors.append(FieldError("slug", .invalid))
            } else if try await sql.raw("SELECT id FROM kb_articles WHERE slug = \(bind: slug) AND id <> \(bind: current?.id ?? 0)").first() != nil {
                throw ZayavkaError.conflict(field: "slug", value: slug)
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return Checked(categoryID: categoryID, slug: slug, language: language, translationOf: translationOf, title: title, body: body,
                       tags: tags, audience: audience, status: status, note: note)
    }

    private static func revisionInsert(_ articleID: Int, number: Int, _ c: Checked, author: Int, at now: Date) -> SQLQueryString {
        """
        INSERT INTO kb_revisions (article_id, number, category_id, slug, title, body, tags, audience, status, author_id, note, created_at)
        VALUES (\(bind: articleID), \(bind: number), \(bind: c.categoryID), \(bind: c.slug), \(bind: c.title), \(bind: c.body),
                \(bind: c.tags.joined(separator: "\n")), \(bind: c.audience), \(bind: c.status), \(bind: author), \(bind: c.note), \(bind: now))
        """
    }

    static func create(_ input: KBArticleInput, context: ServiceContext) async throws -> KBArticleDTO {
        try context.require(.writeArticles)
        let viewer = try context.viewer
        let c = try await check(input, current: nil, context: context)
        let plain = ArticleText.plain(c.body)
        let now = context.now
        let id = try await context.write { db -> Int in
            let sql = db as! any SQLDatabase
            let id = try await sql.raw("""
                INSERT INTO kb_articles (category_id, slug, language, translation_of, title, body, body_text, tags, audience, status, author_id, revision,
                                         helpful_yes, helpful_no, views, created_at, updated_at, published_at)
                VALUES (\(bind: c.categoryID), \(bind: c.slug), \(bind: c.language), \(bind: c.translationOf), \(bind: c.title), \(bind: c.body),
                        \(bind: plain),
                        \(bind: c.tags.joined(separator: "\n")), \(bind: c.audience), \(bind: c.status), \(bind: viewer.userID), 1, 0, 0, 0,
                        \(bind: now), \(bind: now), \(bind: c.status == ArticleStatus.published.rawValue ? now : nil))
                RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
            try await sql.raw(revisionInsert(id, number: 1, c, author: viewer.userID, at: now)).run()
            try await SearchIndex.index(article: id, title: c.title, body: plain, tags: c.tags.joined(separator: " "), on: sql)
            return id
        }
        return try await get(id: id, context: context)
    }

    /// Saves a change as a new revision; a save that changes nothing writes nothing.
    static func update(id: Int, _ input: KBArticleInput, context: ServiceContext) async throws -> KBArticleDTO {
        try context.require(.writeArticles)
        let viewer = try context.viewer
        let current = try await row(id: id, context: context)
        let c = try await check(input, current: current, context: context)
        let unchanged = c.categoryID == current.category_id && c.slug == current.slug && c.language == current.language
            && c.translationOf == current.translation_of && c.title == current.title && c.body == current.body && c.tags == current.tagList
            && c.audience == current.audience && c.status == current.status
        if unchanged { return try await dto(current, context: context) }
        let now = context.now
        let plain = ArticleText.plain(c.body)
        let publishedAt = current.published_at ?? (c.status == ArticleStatus.published.rawValue ? now : nil)
        try await context.write { db in
            let sql = db as! any SQLDatabase
            // The revision number is taken under the row's write: two saves at once get two numbers.
            let number = try await sql.raw("""
                UPDATE kb_articles SET category_id = \(bind: c.categoryID), slug = \(bind: c.slug), language = \(bind: c.language),
                    translation_of = \(bind: c.translationOf), title = \(bind: c.title), body = \(bind: c.body), body_text = \(bind: plain),
                    tags = \(bind: c.tags.joined(separator: "\n")),
                    audience = \(bind: c.audience), status = \(bind: c.status), revision = revision + 1, updated_at = \(bind: now),
                    published_at = \(bind: publishedAt)
                WHERE id = \(bind: id) RETURNING revision
                """).first()!.decode(column: "revision", as: Int.self)
            try await sql.raw(revisionInsert(id, number: number, c, author: viewer.userID, at: now)).run()
            try await SearchIndex.index(article: id, title: c.title, body: plain, tags: c.tags.joined(separator: " "), on: sql)
        }
        return try await get(id: id, context: context)
    }

    // MARK: Revisions

    private static let revisionSelect: SQLQueryString = """
        SELECT r.number, r.slug, r.title, r.body, r.tags, r.audience, r.status, r.category_id, r.author_id, u.name AS author_name, r.note, r.created_at
        FROM kb_revisions r LEFT JOIN users u ON u.id = r.author_id
        """

    private static func revisionDTO(_ row: any SQLRow) throws -> KBRevisionDTO {
        KBRevisionDTO(number: try row.decode(column: "number", as: Int.self), slug: try row.decode(column: "slug", as: String.self),
                      title: try row.decode(column: "title", as: String.self), body: try row.decode(column: "body", as: String.self),
                      tags: try row.decode(column: "tags", as: String.self).split(separator: "\n").map(String.init),
                      audience: try row.decode(column: "audience", as: String.self), status: try row.decode(column: "status", as: String.self),
                      categoryId: try row.decode(column: "category_id", as: Int?.self),
                      author: try row.decode(column: "author_id", as: Int?.self).map { PersonRef(id: $0, name: try row.decode(column: "author_name", as: String?.self) ?? "") },
                      note: try row.decode(column: "note", as: String?.self), createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    /// Every revision, newest first (staff).
    static func revisions(id: Int, context: ServiceContext) async throws -> [KBRevisionDTO] {
        guard try context.viewer.role.isStaff else { throw ZayavkaError.notFound(entity: "article", id: String(id)) }
        _ = try await row(id: id, context: context)
        return try await context.sql.raw(revisionSelect + " WHERE r.article_id = \(bind: id) ORDER BY r.number DESC").all().map(revisionDTO)
    }

    /// One revision and what it changed against the one before it (staff).
    static func revision(id: Int, number: Int, context: ServiceContext) async throws -> KBRevisionDiffDTO {
        guard try context.viewer.role.isStaff else { throw ZayavkaError.notFound(entity: "article", id: String(id)) }
        _ = try await row(id: id, context: context)
        let rows = try await context.sql.raw(revisionSelect + " WHERE r.article_id = \(bind: id) AND r.number <= \(bind: number) ORDER BY r.number DESC LIMIT 2").all()
        guard let first = rows.first, try first.decode(column: "number", as: Int.self) == number else {
            throw ZayavkaError.notFound(entity: "revision", id: String(number))
        }
        let revision = try revisionDTO(first)
        let previous = try rows.dropFirst().first.map(revisionDTO)
        func lines(_ old: String, _ new: String) -> [KBDiffLineDTO] {
            LineDiff.diff(old, new).map { KBDiffLineDTO(kind: $0.kind.rawValue, text: $0.text) }
        }
        return KBRevisionDiffDTO(revision: revision, previous: previous?.number, title: lines(previous?.title ?? "", revision.title),
                                 body: lines(previous?.body ?? "", revision.body))
    }

    /// Makes an old revision current again, as a new revision (history is never rewritten).
    static func restore(id: Int, number: Int, context: ServiceContext) async throws -> KBArticleDTO {
        try context.require(.writeArticles)
        let old = try await revision(id: id, number: number, context: context).revision
        var input = KBArticleInput(categoryId: .some(old.categoryId), slug: old.slug, title: old.title, body: old.body, tags: old.tags,
                                   audience: old.audience, status: old.status)
        input.note = context.language == .en ? "Restored revision \(number)" : "Восстановлена версия \(number)"
        // The slug may belong to another article by now: keep the current one then.
        if try await context.sql.raw("SELECT id FROM kb_articles WHERE slug = \(bind: old.slug) AND id <> \(bind: id)").first() != nil { input.slug = nil }
        return try await update(id: id, input, context: context)
    }

    /// "Make an article from this answer": a reply's text, its ticket's subject and number (staff).
    static func draft(fromComment id: Int, context: ServiceContext) async throws -> (body: String, subject: String, number: Int) {
        try context.require(.writeArticles)
        guard let row = try await context.sql.raw("""
            SELECT c.body, t.subject, t.number FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE c.id = \(bind: id)
            """).first() else { throw ZayavkaError.notFound(entity: "comment", id: String(id)) }
        return (try row.decode(column: "body", as: String.self), try row.decode(column: "subject", as: String.self),
                try row.decode(column: "number", as: Int.self))
    }

    // MARK: Images

    /// Stores an image for articles (PNG, JPEG, GIF or WebP, checked by its first bytes).
    static func upload(_ data: [UInt8], name: String, context: ServiceContext) async throws -> KBFileDTO {
        try context.require(.writeArticles)
        let viewer = try context.viewer
        if data.count > maxImageBytes { throw ZayavkaError.payloadTooLarge(limitBytes: maxImageBytes) }
        guard let type = imageType(data) else {
            throw ZayavkaError.validation([FieldError("file", .unknownValue, "PNG, JPEG, GIF, WebP")])
        }
        let filtered = String(name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }.prefix(80))
        let cleanName = filtered.isEmpty ? "image" : filtered
        let token = APIToken.generate().filter { $0.isLetter || $0.isNumber }.prefix(24)
        let now = context.now
        let bytes = Data(data)
        try await context.write { db in
            try await (db as! any SQLDatabase).raw("""
                INSERT INTO kb_files (token, name, content_type, size, data, uploaded_by, created_at)
                VALUES (\(bind: String(token)), \(bind: cleanName), \(bind: type), \(bind: data.count), \(bind: bytes), \(bind: viewer.userID), \(bind: now))
                """).run()
        }
        return KBFileDTO(name: cleanName, contentType: type, size: data.count, url: SitePath.kbFile(String(token) + "/" + cleanName).path)
    }

    static func imageType(_ data: [UInt8]) -> String? {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if data.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if data.count > 12, data.starts(with: Array("RIFF".utf8)), Array(data[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        return nil
    }

    /// An uploaded image by its token (public: articles show it to anyone who may read them).
    static func file(token: String, on sql: any SQLDatabase) async throws -> (data: Data, type: String) {
        guard token.count <= 64, let row = try await sql.raw("SELECT data, content_type FROM kb_files WHERE token = \(bind: token)").first() else {
            throw ZayavkaError.notFound(entity: "file", id: token)
        }
        return (try row.decode(column: "data", as: Data.self), try row.decode(column: "content_type", as: String.self))
    }
}
