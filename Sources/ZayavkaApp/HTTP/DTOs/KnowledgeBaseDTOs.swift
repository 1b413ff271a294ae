import Foundation
import Vapor
import ZayavkaCore

// MARK: Knowledge base (issue 17)

struct KBCategoryDTO: Content {
    let id: Int
    let parentId: Int?
    let position: Int
    let slug: String
    let nameRu: String
    let nameEn: String
    /// In the reader's language.
    let name: String
    /// Published articles the reader may see.
    let articles: Int

    enum CodingKeys: String, CodingKey {
        case id, position, slug, name, articles, parentId = "parent_id", nameRu = "name_ru", nameEn = "name_en"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(parentId, forKey: .parentId)
        try c.encode(position, forKey: .position)
        try c.encode(slug, forKey: .slug)
        try c.encode(nameRu, forKey: .nameRu)
        try c.encode(nameEn, forKey: .nameEn)
        try c.encode(name, forKey: .name)
        try c.encode(articles, forKey: .articles)
    }
}

struct KBCategoryInput: Content {
    var parentId: Int??
    var position: Int?
    var slug: String?
    var nameRu: String?
    var nameEn: String?

    enum CodingKeys: String, CodingKey { case position, slug, parentId = "parent_id", nameRu = "name_ru", nameEn = "name_en" }

    init(parentId: Int?? = nil, position: Int? = nil, slug: String? = nil, nameRu: String? = nil, nameEn: String? = nil) {
        self.parentId = parentId
        self.position = position
        self.slug = slug
        self.nameRu = nameRu
        self.nameEn = nameEn
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parentId = try c.patch(Int.self, forKey: .parentId)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        nameRu = try c.decodeIfPresent(String.self, forKey: .nameRu)
        nameEn = try c.decodeIfPresent(String.self, forKey: .nameEn)
    }
}

struct KBTranslationDTO: Content {
    let id: Int
    let language: String
    let slug: String
    let title: String
}

struct KBArticleDTO: Content {
    let id: Int
    let categoryId: Int?
    let slug: String
    let language: String
    let translationOf: Int?
    let translations: [KBTranslationDTO]
    let title: String
    /// Markdown, as written.
    let body: String
    /// The body rendered and sanitized.
    let html: String
    let tags: [String]
    let audience: String
    let status: String
    let author: PersonRef?
    let revision: Int
    let helpfulYes: Int
    let helpfulNo: Int
    let views: Int
    let createdAt: Date
    let updatedAt: Date
    let publishedAt: Date?
    /// The public page (for staff-only articles: the agent console's).
    let url: String

    enum CodingKeys: String, CodingKey {
        case id, slug, language, translations, title, body, html, tags, audience, status, author, revision, views, url
        case categoryId = "category_id", translationOf = "translation_of", helpfulYes = "helpful_yes", helpfulNo = "helpful_no"
        case createdAt = "created_at", updatedAt = "updated_at", publishedAt = "published_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(categoryId, forKey: .categoryId)
        try c.encode(slug, forKey: .slug)
        try c.encode(language, forKey: .language)
        try c.encode(translationOf, forKey: .translationOf)
        try c.encode(translations, forKey: .translations)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(html, forKey: .html)
        try c.encode(tags, forKey: .tags)
        try c.encode(audience, forKey: .audience)
        try c.encode(status, forKey: .status)
        try c.encode(author, forKey: .author)
        try c.encode(revision, forKey: .revision)
        try c.encode(helpfulYes, forKey: .helpfulYes)
        try c.encode(helpfulNo, forKey: .helpfulNo)
        try c.encode(views, forKey: .views)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(publishedAt, forKey: .publishedAt)
        try c.encode(url, forKey: .url)
    }
}

/// An article in a list or a search result.
struct KBArticleSummaryDTO: Content {
    let id: Int
    let slug: String
    let language: String
    let title: String
    let categoryId: Int?
    let audience: String
    let status: String
    let updatedAt: Date
    let url: String
    /// A piece of the text around the matched words, HTML-escaped, the words in `<mark>` (search results only).
    let snippet: String?

    enum CodingKeys: String, CodingKey {
        case id, slug, language, title, audience, status, url, snippet, categoryId = "category_id", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(slug, forKey: .slug)
        try c.encode(language, forKey: .language)
        try c.encode(title, forKey: .title)
        try c.encode(categoryId, forKey: .categoryId)
        try c.encode(audience, forKey: .audience)
        try c.encode(status, forKey: .status)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(url, forKey: .url)
        try c.encode(snippet, forKey: .snippet)
    }
}

struct KBArticleInput: Content {
    var categoryId: Int??
    var slug: String?
    var language: String?
    var translationOf: Int??
    var title: String?
    var body: String?
    var tags: [String]?
    var audience: String?
    var status: String?
    /// What this save changed, kept with the revision.
    var note: String?

    enum CodingKeys: String, CodingKey {
        case slug, language, title, body, tags, audience, status, note, categoryId = "category_id", translationOf = "translation_of"
    }

    init(categoryId: Int?? = nil, slug: String? = nil, language: String? = nil, translationOf: Int?? = nil, title: String? = nil,
         body: String? = nil, tags: [String]? = nil, audience: String? = nil, status: String? = nil, note: String? = nil) {
        self.categoryId = categoryId
        self.slug = slug
        self.language = language
        self.translationOf = translationOf
        self.title = title
        self.body = body
        self.tags = tags
        self.audience = audience
        self.status = status
        self.note = note
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        categoryId = try c.patch(Int.self, forKey: .categoryId)
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        language = try c.decodeIfPresent(String.self, forKey: .language)
        translationOf = try c.patch(Int.self, forKey: .translationOf)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        body = try c.decodeIfPresent(String.self, forKey: .body)
        tags = try c.decodeIfPresent([String].self, forKey: .tags)
        audience = try c.decodeIfPresent(String.self, forKey: .audience)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}

struct KBRevisionDTO: Content {
    let number: Int
    let slug: String
    let title: String
    let body: String
    let tags: [String]
    let audience: String
    let status: String
    let categoryId: Int?
    let author: PersonRef?
    let note: String?
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case number, slug, title, body, tags, audience, status, author, note, categoryId = "category_id", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(number, forKey: .number)
        try c.encode(slug, forKey: .slug)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(tags, forKey: .tags)
        try c.encode(audience, forKey: .audience)
        try c.encode(status, forKey: .status)
        try c.encode(categoryId, forKey: .categoryId)
        try c.encode(author, forKey: .author)
        try c.encode(note, forKey: .note)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

struct KBDiffLineDTO: Content {
    let kind: String
    let text: String
}

/// One revision with what changed since the one before.
struct KBRevisionDiffDTO: Content {
    let revision: KBRevisionDTO
    let previous: Int?
    let title: [KBDiffLineDTO]
    let body: [KBDiffLineDTO]
}

struct KBVoteInput: Content {
    let helpful: Bool
}

struct KBVoteDTO: Content {
    let helpfulYes: Int
    let helpfulNo: Int
    enum CodingKeys: String, CodingKey { case helpfulYes = "helpful_yes", helpfulNo = "helpful_no" }
}

struct KBFileDTO: Content {
    let name: String
    let contentType: String
    let size: Int
    /// Where the image is served; put it in an article as `![description](url)`.
    let url: String
    enum CodingKeys: String, CodingKey { case name, size, url, contentType = "content_type" }
}

// MARK: Search

struct TicketSearchHitDTO: Content {
    let number: Int
    let subject: String
    let status: String
    let statusName: String
    let requester: PersonRef
    let updatedAt: Date
    /// "subject" or "message".
    let matchedIn: String
    /// The subject, HTML-escaped, matched words in `<mark>`.
    let subjectHtml: String
    /// A piece of the matched message, HTML-escaped, matched words in `<mark>`.
    let snippet: String

    enum CodingKeys: String, CodingKey {
        case number, subject, status, requester, snippet, statusName = "status_name", updatedAt = "updated_at", matchedIn = "matched_in",
             subjectHtml = "subject_html"
    }
}

struct SearchResultDTO<Item: Content>: Content {
    let query: String
    /// The stems the query was reduced to (what was searched for).
    let terms: [String]
    let items: [Item]
}

// MARK: Bot menu

struct BotNodeDTO: Content {
    let id: Int
    let parentId: Int?
    let position: Int
    let labelRu: String
    let labelEn: String
    let messageRu: String
    let messageEn: String
    let action: String
    let articleId: Int?
    let ticketType: String?
    /// Intake answers the hand-over fills in (field key → value).
    let prefill: [String: String]

    enum CodingKeys: String, CodingKey {
        case id, position, action, prefill, parentId = "parent_id", labelRu = "label_ru", labelEn = "label_en", messageRu = "message_ru",
             messageEn = "message_en", articleId = "article_id", ticketType = "ticket_type"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(parentId, forKey: .parentId)
        try c.encode(position, forKey: .position)
        try c.encode(labelRu, forKey: .labelRu)
        try c.encode(labelEn, forKey: .labelEn)
        try c.encode(messageRu, forKey: .messageRu)
        try c.encode(messageEn, forKey: .messageEn)
        try c.encode(action, forKey: .action)
        try c.encode(articleId, forKey: .articleId)
        try c.encode(ticketType, forKey: .ticketType)
        try c.encode(prefill, forKey: .prefill)
    }
}

struct BotNodeInput: Content {
    var parentId: Int??
    var position: Int?
    var labelRu: String?
    var labelEn: String?
    var messageRu: String?
    var messageEn: String?
    var action: String?
    var articleId: Int??
    var ticketType: String??
    var prefill: [String: String]?

    enum CodingKeys: String, CodingKey {
        case position, action, prefill, parentId = "parent_id", labelRu = "label_ru", labelEn = "label_en", messageRu = "message_ru",
             messageEn = "message_en", articleId = "article_id", ticketType = "ticket_type"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parentId = try c.patch(Int.self, forKey: .parentId)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        labelRu = try c.decodeIfPresent(String.self, forKey: .labelRu)
        labelEn = try c.decodeIfPresent(String.self, forKey: .labelEn)
        messageRu = try c.decodeIfPresent(String.self, forKey: .messageRu)
        messageEn = try c.decodeIfPresent(String.self, forKey: .messageEn)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        articleId = try c.patch(Int.self, forKey: .articleId)
        ticketType = try c.patch(String.self, forKey: .ticketType)
        prefill = try c.decodeIfPresent([String: String].self, forKey: .prefill)
    }
}

// MARK: Deflection

struct DeflectionDTO: Content {
    let from: Date
    let to: Date
    /// Visitors who were shown suggestions.
    let shown: Int
    /// Visitors who opened a suggested article.
    let opened: Int
    /// Of those, how many filed a request afterwards.
    let filedAfterOpening: Int
    /// Opened an article and filed nothing: questions the base answered.
    let deflected: Int
    let articles: [DeflectionArticleDTO]

    enum CodingKeys: String, CodingKey { case from, to, shown, opened, deflected, articles, filedAfterOpening = "filed_after_opening" }
}

struct DeflectionArticleDTO: Content {
    let id: Int
    let title: String
    let opened: Int
    let deflected: Int
    let helpfulYes: Int
    let helpfulNo: Int
    enum CodingKeys: String, CodingKey { case id, title, opened, deflected, helpfulYes = "helpful_yes", helpfulNo = "helpful_no" }
}
