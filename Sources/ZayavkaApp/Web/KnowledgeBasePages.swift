import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The public knowledge base at /kb (issue 17, SPEC K1): no sign-in, no JavaScript needed. Signed-in
/// customers also see customers' articles; staff-only articles live in the agent console.
enum KnowledgeBasePages {
    static let visitorCookie = "zy_visitor"

    /// The browser's random id for the deflection figures (set on first visit).
    static func visitor(_ request: Request) -> String? {
        request.cookies[visitorCookie]?.string.nilIfEmpty
    }

    static func withVisitor(_ response: Response, _ request: Request) -> Response {
        if visitor(request) == nil {
            response.cookies[visitorCookie] = WebSessions.cookie(WebSessions.randomToken().filter { $0.isLetter || $0.isNumber }, request: request,
                                                                  maxAge: 365 * 86_400)
        }
        return response
    }

    static func searchBox(_ action: SitePath, q: String, _ l: L, id: String = "kb-q",
                          placeholder: String? = nil, hidden: [(String, String)] = []) -> Node<HTML.BodyContext> {
        .form(.class("inline-search"), .method(.get), .action(action.path), .attr("role", "search"),
              .forEach(hidden) { .input(.type(.hidden), .name($0.0), .attr("value", $0.1)) },
              .input(.type(.search), .name("q"), .id(id), .attr("value", q), .attribute(named: "maxlength", value: "500"),
                     .attr("placeholder", placeholder ?? l("Например: не печатается чек", "For example: receipt does not print")),
                     .attr("aria-label", l("Поиск", "Search"))),
              .button(.type(.submit), .class("primary"), .t(l("Найти", "Search"))))
    }

    static func articleLink(_ item: KBArticleSummaryDTO, from: String? = nil) -> Node<HTML.BodyContext> {
        .a(.href(item.url + (from.map { "?from=\($0)" } ?? "")), .class("kb-link"), .t(item.title))
    }

    static func results(_ items: [KBArticleSummaryDTO], _ l: L, id: String = "kb-results", from: String? = nil) -> Node<HTML.BodyContext> {
        .ul(.class("kb-results"), .id(id), .forEach(items) { item in
            .li(.attr("data-article", String(item.id)), articleLink(item, from: from),
                .if(item.status == ArticleStatus.draft.rawValue, .span(.class("badge pending"), .t(l(" черновик", " draft")))),
                .if(item.audience == ArticleAudience.staff.rawValue, .span(.class("badge"), .t(l("для сотрудников", "staff only")))),
                .unwrap(item.snippet) { .p(.class("snippet"), .raw($0)) })
        })
    }

    // MARK: Pages

    static func home(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let categories = try await KnowledgeBaseService.categories(context: context)
        let popular = try await context.sql.raw("""
            SELECT a.id, a.slug, a.title, a.audience FROM kb_articles a WHERE
            """ + " " + KnowledgeBaseService.visible(context) + " ORDER BY a.views DESC, a.id DESC LIMIT 10").all()
        let popularLinks: [(String, String)] = try popular.map {
            (KnowledgeBaseService.url(slug: try $0.decode(column: "slug", as: String.self), audience: try $0.decode(column: "audience", as: String.self)),
             try $0.decode(column: "title", as: String.self))
        }
        let top = categories.filter { $0.parentId == nil }
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("База знаний", "Knowledge base"))),
            .p(.class("muted"), .t(l("Ответы на частые вопросы — круглосуточно. Не нашли ответ? ", "Answers to frequent questions, day and night. No answer? ")),
               .a(.href(SitePath.help.path), .id("open-bot"), .t(l("Спросите помощника", "Ask the assistant")))),
            searchBox(.kbSearch, q: "", l),
            .div(.class("kb-grid"), .id("kb-categories"), .forEach(top) { category in
                .div(.class("card"),
                     .h2(.a(.href(SitePath.kbCategory(category.slug).path), .t(category.name))),
                     .p(.class("muted"), .t(l.localizer.count(category.articles, ru: ("статья", "статьи", "статей"), en: ("article", "articles")))),
                     .ul(.forEach(categories.filter { $0.parentId == category.id }) { child in
                         .li(.a(.href(SitePath.kbCategory(child.slug).path), .t(child.name)))
                     }))
            }),
            .if(!popularLinks.isEmpty, .div(.class("card"), .id("kb-popular"),
                                           .h2(.t(l("Популярные статьи", "Popular articles"))),
                                           .ul(.forEach(popularLinks) { .li(.a(.href($0.0), .t($0.1))) })))
        )
        return withVisitor(Layout.render(l("База знаний", "Knowledge base"), ctx, content), request)
    }

    static func category(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let slug = request.parameters.get("slug") ?? ""
        let categories = try await KnowledgeBaseService.categories(context: context)
        guard let category = categories.first(where: { $0.slug == slug }) else { throw ZayavkaError.notFound(entity: "category", id: slug) }
        var filter = KnowledgeBaseService.ArticleFilter()
        filter.categoryID = category.id
        filter.status = ArticleStatus.published.rawValue
        let articles = try await KnowledgeBaseService.list(filter, limit: 500, context: context)
        let parent = categories.first { $0.id == category.parentId }
        let content: Node<HTML.BodyContext> = .group(
            .p(.class("crumbs"), .a(.href(SitePath.kb.path), .t(l("База знаний", "Knowledge base"))),
               .unwrap(parent) { .group(.t(" / "), .a(.href(SitePath.kbCategory($0.slug).path), .t($0.name))) }),
            .h1(.t(category.name)),
            .ul(.forEach(categories.filter { $0.parentId == category.id }) { .li(.a(.href(SitePath.kbCategory($0.slug).path), .t($0.name))) }),
            articles.isEmpty ? .p(.class("muted"), .t(l("Статей пока нет.", "No articles yet."))) : results(articles, l, id: "kb-category-articles")
        )
        return withVisitor(Layout.render(category.name, ctx, content), request)
    }

    static func article(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let slug = request.parameters.get("slug") ?? ""
        let row = try await KnowledgeBaseService.row(slug: slug, context: context)
        // The public page shows published articles for visitors and customers; staff-only ones and drafts open in the console.
        if row.audience == ArticleAudience.staff.rawValue || row.status != ArticleStatus.published.rawValue {
            if ctx.isStaff { return request.redirect(to: SitePath.agentArticle(slug).path) }
            throw ZayavkaError.notFound(entity: "article", id: slug)
        }
        let article = try await KnowledgeBaseService.dto(row, context: context)
        if !ctx.isStaff { try await KnowledgeBaseService.viewed(id: row.id, context: context) }
        if let from = request.query[String.self, at: "from"], ["suggest", "bot"].contains(from), let visitor = visitor(request) {
            await DeflectionService.record(.opened, visitor: visitor, articleID: row.id, context: context)
        }
        let voted = request.cookies["zy_vote_\(row.id)"]?.string
        return withVisitor(Layout.render(article.title, ctx, articleView(article, ctx, voted: voted, staffView: false)), request)
    }

    static func articleView(_ article: KBArticleDTO, _ ctx: PageContext, voted: String?, staffView: Bool) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .element(named: "article", nodes: [
            .class("card kb-article"), .id("kb-article"),
            .p(.class("crumbs"), .a(.href(staffView ? SitePath.agentKB.path : SitePath.kb.path), .t(l("База знаний", "Knowledge base")))),
            .h1(.t(article.title)),
            .if(staffView, .p(.class("muted"), .id("article-meta"),
                             .t(l("Версия ", "Revision ") + String(article.revision) + " · " + audienceName(article.audience, l) + " · "
                                + (article.status == "draft" ? l("черновик", "draft") : l("опубликована", "published"))
                                + " · " + l("полезно: ", "helpful: ") + "\(article.helpfulYes) / \(article.helpfulNo) · " + l("просмотров: ", "views: ") + "\(article.views)"))),
            .div(.class("kb-body"), .raw(article.html)),
            .if(!article.tags.isEmpty, .p(.class("muted"), .t(l("Метки: ", "Tags: ") + article.tags.joined(separator: ", ")))),
            .forEach(article.translations) { translation in
                .p(.a(.href(staffView ? SitePath.agentArticle(translation.slug).path : SitePath.kbArticle(translation.slug).path),
                      .attr("lang", translation.language), .t(translation.language == "en" ? "English version: " + translation.title : "Русская версия: " + translation.title)))
            },
            staffView ? .empty : voteForm(article, ctx, voted: voted),
        ])
    }

    static func voteForm(_ article: KBArticleDTO, _ ctx: PageContext, voted: String?) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(.class("vote"), .method(.post), .action(SitePath.kbVote(article.slug).path), .id("kb-vote"),
                     Layout.csrfField(ctx),
                     .span(.t(voted == nil ? l("Статья помогла?", "Did this help?") : l("Спасибо! Ваш ответ учтён; его можно изменить:", "Thank you! Your answer counts; you may change it:"))),
                     .button(.type(.submit), .name("helpful"), .value("yes"), .class(voted == "yes" ? "primary" : "secondary"), .id("vote-yes"), .t(l("Да", "Yes"))),
                     .button(.type(.submit), .name("helpful"), .value("no"), .class(voted == "no" ? "primary" : "secondary"), .id("vote-no"), .t(l("Нет", "No"))))
    }

    static func audienceName(_ raw: String, _ l: L) -> String {
        switch ArticleAudience(rawValue: raw) {
        case .public: l("для всех", "public")
        case .customers: l("для клиентов", "customers")
        case .staff: l("для сотрудников", "staff only")
        case nil: raw
        }
    }

    static func vote(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let slug = request.parameters.get("slug") ?? ""
        let context = try request.context
        let row = try await KnowledgeBaseService.row(slug: slug, context: context)
        guard let answer = form.value("helpful"), answer == "yes" || answer == "no" else {
            return request.redirect(to: SitePath.kbArticle(slug).path)
        }
        let cookieName = "zy_vote_\(row.id)"
        let previous = request.cookies[cookieName]?.string
        _ = try await KnowledgeBaseService.vote(id: row.id, helpful: answer == "yes", previous: previous.map { $0 == "yes" }, context: context)
        let response = request.redirect(to: SitePath.kbArticle(slug).path + "?notice=voted")
        response.cookies[cookieName] = WebSessions.cookie(answer, request: request, maxAge: 365 * 86_400)
        return response
    }

    static func search(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(2000))
        let context = try request.context
        var result = try await SearchService.articles(q, context: context)
        var loose = false
        if result.items.isEmpty, result.terms.count > 1 {
            result = try await SearchService.articles(q, mode: .any, context: context)
            loose = true
        }
        let content: Node<HTML.BodyContext> = .group(
            .p(.class("crumbs"), .a(.href(SitePath.kb.path), .t(l("База знаний", "Knowledge base")))),
            .h1(.t(l("Поиск по базе знаний", "Search the knowledge base"))),
            searchBox(.kbSearch, q: q, l),
            q.isBlank ? .empty : .group(
                .p(.class("muted"), .id("kb-result-count"),
                   .t(result.items.isEmpty ? l("Ничего не нашлось. Попробуйте другие слова или ", "Nothing found. Try other words or ")
                      : loose ? l("Все слова сразу не встречаются; статьи с частью слов:", "No article has all the words; articles with some of them:")
                      : l.localizer.count(result.items.count, ru: ("статья", "статьи", "статей"), en: ("article", "articles"))),
                   .if(result.items.isEmpty, .a(.href(SitePath.help.path), .t(l("спросите помощника", "ask the assistant"))))),
                results(result.items, l, from: "suggest"))
        )
        return withVisitor(Layout.render(l("Поиск", "Search"), ctx, content), request)
    }

    /// Suggestions while typing (portal form, widget): up to five public-or-allowed articles, as JSON.
    static func suggest(_ request: Request) async throws -> Response {
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(500))
        let context = try request.context
        let result = try await SearchService.articles(q, mode: .any, prefix: true, limit: 5, context: context)
        if !result.items.isEmpty, let visitor = visitor(request) { await DeflectionService.record(.shown, visitor: visitor, context: context) }
        struct Item: Content { let title: String; let url: String; let snippet: String }
        let items = result.items.map { Item(title: $0.title, url: $0.url + "?from=suggest", snippet: $0.snippet ?? "") }
        let response = try await items.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func sitemap(_ request: Request) async throws -> Response {
        let base = request.services.configuration.publicURL
        let sql = try request.sql
        let articles = try await sql.raw("""
            SELECT slug, updated_at FROM kb_articles WHERE status = 'published' AND audience = 'public' ORDER BY id LIMIT 50000
            """).all()
        let categories = try await sql.raw("SELECT slug FROM kb_categories ORDER BY id").all()
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
        xml += "<url><loc>\(Escape.html(base + SitePath.kb.path))</loc></url>\n"
        for row in categories {
            xml += "<url><loc>\(Escape.html(base + SitePath.kbCategory(try row.decode(column: "slug", as: String.self)).path))</loc></url>\n"
        }
        for row in articles {
            let date = try row.decode(column: "updated_at", as: Date.self).formatted(.iso8601)
            xml += "<url><loc>\(Escape.html(base + SitePath.kbArticle(try row.decode(column: "slug", as: String.self)).path))</loc><lastmod>\(date)</lastmod></url>\n"
        }
        xml += "</urlset>\n"
        return Response(status: .ok, headers: ["Content-Type": "application/xml; charset=utf-8"], body: .init(string: xml))
    }
}
