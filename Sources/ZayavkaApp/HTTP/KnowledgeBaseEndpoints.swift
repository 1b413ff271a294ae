import Foundation
import Vapor
import ZayavkaCore

extension Request {
    /// `limit` for searches: 1…100.
    func searchLimit(into errors: inout [FieldError]) -> Int {
        listLimit(fallback: SearchService.defaultLimit, max: SearchService.maxLimit, into: &errors)
    }
}

private let searchQuery: Endpoint.QueryParameter = .init(name: "q", schema: .string,
                                                         description: "words in any form (Russian and English morphology); query syntax is read as text")

extension API {
    /// The knowledge base, search and the bot menu (issue 17).
    static let knowledgeBase: [Endpoint] = [
        // Search
        Endpoint(method: .GET, path: "/search/articles", operationID: "searchArticles", tag: "knowledge base",
                 summary: "Articles matching the words in any inflected form, title matches first, with a snippet (anonymous: public articles; customers: also customers' articles; staff: all).",
                 authenticated: false, body: .none,
                 query: [searchQuery,
                         .init(name: "mode", schema: .enumeration(["all", "any"]), description: "all words (default) or any word, best first"),
                         .init(name: "prefix", schema: .boolean, description: "the last word is still being typed: match it as a beginning"),
                         .init(name: "language", schema: .enumeration(["ru", "en"]), description: "only articles in this language"),
                         .init(name: "limit", schema: .integer, description: "1-100 (20)")],
                 responses: [(200, "ArticleSearchResult"), (422, "Error")], signInOptional: true,
                 handler: json { req in
                     var errors: [FieldError] = []
                     let limit = req.searchLimit(into: &errors)
                     let mode = req.choice("mode", ["all", "any"], into: &errors)
                     let language = req.choice("language", ["ru", "en"], into: &errors)
                     let prefix = req.choice("prefix", ["true", "false"], into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return try await SearchService.articles(req.query[String.self, at: "q"] ?? "", mode: mode == "any" ? .any : .all, prefix: prefix == "true",
                                                             language: language.flatMap(Language.init(rawValue:)), limit: limit, context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/search/tickets", operationID: "searchTickets", tag: "tickets",
                 summary: "Tickets whose subject or one message holds every word, in any inflected form: subject matches first, then the newest; internal notes are searched for staff only, customers search their own requests.",
                 authenticated: true, body: .none,
                 query: [searchQuery,
                         .init(name: "status", schema: .string, description: "comma-separated status keys"),
                         .init(name: "type", schema: .string, description: "comma-separated types"),
                         .init(name: "group_id", schema: .string, description: "comma-separated group ids, or none"),
                         .init(name: "assignee_id", schema: .string, description: "comma-separated user ids, or none"),
                         .init(name: "organization_id", schema: .string, description: "comma-separated organization ids"),
                         .init(name: "limit", schema: .integer, description: "1-100 (20)")],
                 responses: [(200, "TicketSearchResult"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let limit = req.searchLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     var filters = req.query.stringParameters
                     filters.removeValue(forKey: "q")
                     return try await SearchService.tickets(req.query[String.self, at: "q"] ?? "", filters: filters, limit: limit, context: try req.context)
                 }),

        // Categories
        Endpoint(method: .GET, path: "/kb/categories", operationID: "listArticleCategories", tag: "knowledge base",
                 summary: "The knowledge base's categories in order, with how many articles the caller may read in each.",
                 authenticated: false, body: .none, query: [], responses: [(200, "ArticleCategoryList")], signInOptional: true,
                 handler: json { req in ListOf(items: try await KnowledgeBaseService.categories(context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/kb/categories", operationID: "createArticleCategory", tag: "knowledge base",
                 summary: "Add a category, optionally inside another (managers and admins).", authenticated: true, body: .json("ArticleCategoryInput"),
                 query: [], responses: [(201, "ArticleCategory"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await KnowledgeBaseService.saveCategory(id: nil, try req.content.decode(KBCategoryInput.self), context: try req.context)
                 }),
        Endpoint(method: .PATCH, path: "/kb/categories/{id}", operationID: "updateArticleCategory", tag: "knowledge base",
                 summary: "Rename, move or reorder a category (managers and admins).", authenticated: true, body: .json("ArticleCategoryInput"),
                 query: [], responses: [(200, "ArticleCategory"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in
                     try await KnowledgeBaseService.saveCategory(id: try req.intParameter("id", entity: "category"), try req.content.decode(KBCategoryInput.self),
                                                                 context: try req.context)
                 }),
        Endpoint(method: .DELETE, path: "/kb/categories/{id}", operationID: "deleteArticleCategory", tag: "knowledge base",
                 summary: "Remove an empty category (managers and admins).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (404, "Error"), (422, "Error")],
                 handler: { req in
                     try await KnowledgeBaseService.deleteCategory(id: try req.intParameter("id", entity: "category"), context: try req.context)
                     return Response(status: .noContent)
                 }),

        // Articles
        Endpoint(method: .GET, path: "/kb/articles", operationID: "listArticles", tag: "knowledge base",
                 summary: "Articles the caller may read, newest first (staff: drafts and staff-only articles too).",
                 authenticated: false, body: .none,
                 query: [.init(name: "category_id", schema: .integer, description: "only this category"),
                         .init(name: "status", schema: .enumeration(["draft", "published"]), description: "staff: drafts or published ones"),
                         .init(name: "language", schema: .enumeration(["ru", "en"]), description: "only this language"),
                         .init(name: "tag", schema: .string, description: "only articles with this tag"),
                         .init(name: "limit", schema: .integer, description: "1-500 (100)")],
                 responses: [(200, "ArticleSummaryList"), (422, "Error")], signInOptional: true,
                 handler: json { req in
                     var errors: [FieldError] = []
                     let limit = req.listLimit(into: &errors)
                     let filter = KnowledgeBaseService.ArticleFilter(
                        categoryID: req.intQuery("category_id", into: &errors), status: req.choice("status", ["draft", "published"], into: &errors),
                        language: req.choice("language", ["ru", "en"], into: &errors), tag: req.query[String.self, at: "tag"].flatMap { $0.isEmpty ? nil : $0 })
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await KnowledgeBaseService.list(filter, limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .POST, path: "/kb/articles", operationID: "createArticle", tag: "knowledge base",
                 summary: "Write an article (staff): Markdown body, tags, audience, language, optionally as the translation of another; saved as revision 1.",
                 authenticated: true, body: .json("ArticleInput"), query: [], responses: [(201, "Article"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await KnowledgeBaseService.create(try req.content.decode(KBArticleInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/kb/articles/{id}", operationID: "getArticle", tag: "knowledge base",
                 summary: "One article the caller may read (a draft or an article for another audience is not found).",
                 authenticated: false, body: .none, query: [], responses: [(200, "Article"), (404, "Error")], signInOptional: true,
                 handler: json { req in try await KnowledgeBaseService.get(id: try req.intParameter("id", entity: "article"), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/kb/articles/{id}", operationID: "updateArticle", tag: "knowledge base",
                 summary: "Change an article (staff); every change is a new revision, the old ones stay.", authenticated: true,
                 body: .json("ArticleInput"), query: [], responses: [(200, "Article"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in
                     try await KnowledgeBaseService.update(id: try req.intParameter("id", entity: "article"), try req.content.decode(KBArticleInput.self),
                                                           context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/kb/articles/{id}/vote", operationID: "voteArticle", tag: "knowledge base",
                 summary: "\"Did this help?\" — yes or no, from anyone who may read the article.", authenticated: false, body: .json("ArticleVoteInput"),
                 query: [], responses: [(200, "ArticleVote"), (404, "Error")], signInOptional: true,
                 handler: json { req in
                     try await KnowledgeBaseService.vote(id: try req.intParameter("id", entity: "article"), helpful: try req.content.decode(KBVoteInput.self).helpful,
                                                         context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/kb/articles/{id}/revisions", operationID: "listArticleRevisions", tag: "knowledge base",
                 summary: "Every saved revision of an article, newest first (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "ArticleRevisionList"), (404, "Error")],
                 handler: json { req in
                     ListOf(items: try await KnowledgeBaseService.revisions(id: try req.intParameter("id", entity: "article"), context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/kb/articles/{id}/revisions/{number}", operationID: "getArticleRevision", tag: "knowledge base",
                 summary: "One revision and its line-by-line differences from the one before (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "ArticleRevisionDiff"), (404, "Error")],
                 handler: json { req in
                     try await KnowledgeBaseService.revision(id: try req.intParameter("id", entity: "article"),
                                                             number: try req.intParameter("number", entity: "revision"), context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/kb/articles/{id}/revisions/{number}/restore", operationID: "restoreArticleRevision", tag: "knowledge base",
                 summary: "Make an old revision current again, saved as a new revision (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Article"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await KnowledgeBaseService.restore(id: try req.intParameter("id", entity: "article"),
                                                            number: try req.intParameter("number", entity: "revision"), context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/kb/images", operationID: "uploadArticleImage", tag: "knowledge base",
                 summary: "Upload an image for articles (staff; PNG, JPEG, GIF or WebP up to 5 MB); put its url in the Markdown.",
                 authenticated: true, body: .image,
                 query: [.init(name: "filename", schema: .string, description: "the image's name")],
                 responses: [(201, "ArticleImage"), (413, "Error"), (422, "Error")],
                 handler: { req in
                     let data = try await Uploads.bytes(req, limit: KnowledgeBaseService.maxImageBytes)
                     let saved = try await KnowledgeBaseService.upload(data, name: req.query[String.self, at: "filename"] ?? "image", context: try req.context)
                     return try await saved.encodeResponse(status: .created, for: req)
                 }),

        // Bot menu
        Endpoint(method: .GET, path: "/bot/nodes", operationID: "listBotNodes", tag: "knowledge base",
                 summary: "The guided menu: every item with its parent, message, and what its button does.", authenticated: false, body: .none,
                 query: [], responses: [(200, "BotNodeList")], signInOptional: true,
                 handler: json { req in ListOf(items: try await BotService.nodes(on: req.sql), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/bot/nodes", operationID: "createBotNode", tag: "knowledge base",
                 summary: "Add a menu item (managers and admins): a message with buttons, an article, or a hand-over to a person.",
                 authenticated: true, body: .json("BotNodeInput"), query: [], responses: [(201, "BotNode"), (422, "Error")],
                 handler: json(.created) { req in try await BotService.save(id: nil, try req.content.decode(BotNodeInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/bot/nodes/{id}", operationID: "updateBotNode", tag: "knowledge base",
                 summary: "Change a menu item (managers and admins).", authenticated: true, body: .json("BotNodeInput"), query: [],
                 responses: [(200, "BotNode"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await BotService.save(id: try req.intParameter("id", entity: "bot_node"), try req.content.decode(BotNodeInput.self), context: try req.context)
                 }),
        Endpoint(method: .DELETE, path: "/bot/nodes/{id}", operationID: "deleteBotNode", tag: "knowledge base",
                 summary: "Remove a menu item with nothing under it (managers and admins).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (404, "Error"), (422, "Error")],
                 handler: { req in
                     try await BotService.delete(id: try req.intParameter("id", entity: "bot_node"), context: try req.context)
                     return Response(status: .noContent)
                 }),

        // Deflection
        Endpoint(method: .GET, path: "/kb/deflection", operationID: "getDeflection", tag: "knowledge base",
                 summary: "Suggestions shown, articles opened, and questions answered without a request, per visitor, for a period (managers and admins).",
                 authenticated: true, body: .none,
                 query: [.init(name: "from", schema: .dateTime, description: "ISO 8601, inclusive (30 days ago)"),
                         .init(name: "to", schema: .dateTime, description: "ISO 8601, exclusive (now)")],
                 responses: [(200, "Deflection"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let context = try req.context
                     let to = req.dateQuery("to", into: &errors) ?? context.now
                     let from = req.dateQuery("from", into: &errors) ?? to.addingTimeInterval(-30 * 86_400)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return try await DeflectionService.stats(from: from, to: to, context: context)
                 }),
    ]
}
