import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The knowledge base in the agent console: every article (drafts and staff-only ones too), the
/// editor with revisions, diffs and restore, and image upload (issue 17).
enum KnowledgeBaseStaffPages {
    static func list(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(2000))
        var filter = KnowledgeBaseService.ArticleFilter()
        filter.status = request.query[String.self, at: "status"].flatMap { ArticleStatus(rawValue: $0)?.rawValue }
        let items: [KBArticleSummaryDTO]
        if q.isBlank {
            items = try await KnowledgeBaseService.list(filter, limit: 500, context: context)
        } else {
            items = try await SearchService.articles(q, limit: 50, context: context).items
        }
        let content: Node<HTML.BodyContext> = .group(
            .div(.class("actions"), .h1(.t(l("База знаний", "Knowledge base"))),
                 .a(.class("btn primary"), .href(SitePath.agentArticleNew.path), .id("new-article"), .t(l("Новая статья", "New article"))),
                 .a(.class("btn"), .href(SitePath.kb.path), .t(l("Публичная база", "Public pages")))),
            KnowledgeBasePages.searchBox(.agentKB, q: q, l, id: "agent-kb-q"),
            .p(.class("muted"), .a(.href(SitePath.agentKB.path), .t(l("все", "all"))), .t(" · "),
               .a(.href(SitePath.agentKB.path + "?status=draft"), .t(l("черновики", "drafts"))), .t(" · "),
               .a(.href(SitePath.agentKB.path + "?status=published"), .t(l("опубликованные", "published")))),
            items.isEmpty ? .p(.class("muted"), .t(l("Статей не найдено.", "No articles found."))) : KnowledgeBasePages.results(items.map(staffLinked), l, id: "agent-kb-list")
        )
        return Layout.render(l("База знаний", "Knowledge base"), ctx, content)
    }

    /// In the console every article opens in its staff view.
    static func staffLinked(_ item: KBArticleSummaryDTO) -> KBArticleSummaryDTO {
        KBArticleSummaryDTO(id: item.id, slug: item.slug, language: item.language, title: item.title, categoryId: item.categoryId,
                            audience: item.audience, status: item.status, updatedAt: item.updatedAt,
                            url: SitePath.agentArticle(item.slug).path, snippet: item.snippet)
    }

    static func show(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let row = try await KnowledgeBaseService.row(slug: request.parameters.get("slug") ?? "", context: context)
        let article = try await KnowledgeBaseService.dto(row, context: context)
        let revisions = try await KnowledgeBaseService.revisions(id: row.id, context: context)
        let content: Node<HTML.BodyContext> = .group(
            .div(.class("actions"),
                 .a(.class("btn primary"), .href(SitePath.agentArticleEdit(row.id).path), .id("edit-article"), .t(l("Изменить", "Edit"))),
                 .if(row.audience != ArticleAudience.staff.rawValue && row.status == ArticleStatus.published.rawValue,
                     .a(.class("btn"), .href(SitePath.kbArticle(row.slug).path), .t(l("Открыть публичную страницу", "Open the public page"))))),
            KnowledgeBasePages.articleView(article, ctx, voted: nil, staffView: true),
            revisionsCard(row.id, revisions, l)
        )
        return Layout.render(article.title, ctx, content)
    }

    static func revisionsCard(_ id: Int, _ revisions: [KBRevisionDTO], _ l: L) -> Node<HTML.BodyContext> {
        .div(.class("card"), .id("revisions"),
             .h2(.t(l("Версии", "Revisions"))),
             .ul(.forEach(revisions) { revision in
                 .li(.a(.href(SitePath.agentArticleRevision(id, revision.number).path), .t(l("Версия ", "Revision ") + String(revision.number))),
                     .t(" · " + l.dateTime(revision.createdAt) + " · " + (revision.author?.name ?? "—")),
                     .unwrap(revision.note) { .span(.class("muted"), .t(" — " + $0)) })
             }))
    }

    struct EditorModel: Sendable {
        var id: Int?
        var title = ""
        var body = ""
        var tags = ""
        var language = "ru"
        var audience = "public"
        var status = "draft"
        var categoryID: Int?
        var translationOf: Int?
        var slug = ""
        var note = ""
        var errors: [String: String] = [:]
        var categories: [KBCategoryDTO] = []
        var image: String?
    }

    static func editor(_ model: EditorModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(model.id == nil ? l("Новая статья", "New article") : l("Изменить статью", "Edit article"))),
            DirectoryPages.errorsBox(model.errors, l),
            .form(.class("card"), .method(.post), .action(SitePath.agentArticleSave.path), .id("article-form"),
                  Layout.csrfField(ctx),
                  .input(.type(.hidden), .name("id"), .attr("value", model.id.map(String.init) ?? "")),
                  Layout.row(l("Заголовок", "Title"), for: "a-title", error: model.errors["title"],
                             .input(.type(.text), .name("title"), .id("a-title"), .attr("value", model.title), .required(true),
                                    .attribute(named: "maxlength", value: String(KnowledgeBaseService.maxTitleLength)))),
                  Layout.row(l("Текст (Markdown: **жирный**, списки, ссылки, ![картинка](адрес))", "Text (Markdown: **bold**, lists, links, ![image](url))"),
                             for: "a-body", error: model.errors["body"],
                             .textarea(.name("body"), .id("a-body"), .rows(16), .required(true), .t(model.body))),
                  .div(.class("inline"),
                       selectRow(l("Раздел", "Category"), "category_id", [("", "—")] + model.categories.map { (String($0.id), $0.name) },
                                 model.categoryID.map(String.init) ?? "", model.errors["category_id"]),
                       selectRow(l("Кому видна", "Audience"), "audience",
                                 ArticleAudience.allCases.map { ($0.rawValue, KnowledgeBasePages.audienceName($0.rawValue, l)) }, model.audience, model.errors["audience"]),
                       selectRow(l("Состояние", "State"), "status",
                                 [("draft", l("черновик", "draft")), ("published", l("опубликована", "published"))], model.status, model.errors["status"]),
                       selectRow(l("Язык", "Language"), "language", [("ru", "Русский"), ("en", "English")], model.language, model.errors["language"])),
                  Layout.row(l("Метки через запятую", "Tags, comma-separated"), for: "a-tags", error: model.errors["tags"],
                             .input(.type(.text), .name("tags"), .id("a-tags"), .attr("value", model.tags))),
                  Layout.row(l("Перевод статьи № (необязательно)", "Translation of article # (optional)"), for: "a-translation", error: model.errors["translation_of"],
                             .input(.type(.number), .name("translation_of"), .id("a-translation"), .attr("value", model.translationOf.map(String.init) ?? ""))),
                  Layout.row(l("Адрес (пусто — из заголовка)", "Address (empty: from the title)"), for: "a-slug", error: model.errors["slug"],
                             .input(.type(.text), .name("slug"), .id("a-slug"), .attr("value", model.slug))),
                  Layout.row(l("Что изменено (для истории)", "What changed (for the history)"), for: "a-note",
                             .input(.type(.text), .name("note"), .id("a-note"), .attr("value", model.note))),
                  .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("save-article"), .t(l("Сохранить", "Save"))))),
            .form(.class("card"), .method(.post), .action(SitePath.agentKBUpload.path), .enctype(.multipartData), .id("image-form"),
                  Layout.csrfField(ctx),
                  .h2(.t(l("Картинка для статьи", "An image for the article"))),
                  .input(.type(.hidden), .name("back"), .attr("value", model.id.map { SitePath.agentArticleEdit($0).path } ?? SitePath.agentArticleNew.path)),
                  .unwrap(model.image) { url in .p(.id("image-markdown"), .t(l("Вставьте в текст: ", "Put in the text: ")), .code(.t("![](\(url))"))) },
                  .div(.class("inline"), .input(.type(.file), .name("file"), .id("image-file"), .attribute(named: "accept", value: "image/png,image/jpeg,image/gif,image/webp")),
                       .button(.type(.submit), .class("secondary"), .t(l("Загрузить", "Upload")))))
        )
    }

    static func selectRow<C: HTML.BodyContext>(_ label: String, _ name: String, _ options: [(String, String)], _ selected: String, _ error: String?) -> Node<C> {
        Layout.row(label, for: "a-" + name, error: error,
                   .select(.attr("name", name), .id("a-" + name), .forEach(options) { .opt($0.0, $0.1, selected: $0.0 == selected) }))
    }

    static func newForm(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let context = try request.context
        var model = EditorModel(language: ctx.l.language.rawValue)
        model.categories = try await KnowledgeBaseService.categories(context: context)
        model.image = request.query[String.self, at: "image"].flatMap { $0.hasPrefix("/kb/files/") ? $0 : nil }
        // "Make an article from this answer": the reply's text as a draft.
        if let commentID = request.query[String.self, at: "from_comment"].flatMap(Int.init) {
            let comment = try await KnowledgeBaseService.draft(fromComment: commentID, context: context)
            model.body = comment.body
            model.title = comment.subject
            model.note = ctx.l("Из ответа в заявке №", "From a reply in ticket #") + String(comment.number)
        }
        return Layout.render(ctx.l("Новая статья", "New article"), ctx, editor(model, ctx))
    }

    static func editForm(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let context = try request.context
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw NotFoundPage() }
        let row = try await KnowledgeBaseService.row(id: id, context: context)
        var model = EditorModel(id: id, title: row.title, body: row.body, tags: row.tagList.joined(separator: ", "), language: row.language,
                                audience: row.audience, status: row.status, categoryID: row.category_id, translationOf: row.translation_of, slug: row.slug)
        model.categories = try await KnowledgeBaseService.categories(context: context)
        model.image = request.query[String.self, at: "image"].flatMap { $0.hasPrefix("/kb/files/") ? $0 : nil }
        let revisions = try await KnowledgeBaseService.revisions(id: id, context: context)
        return Layout.render(ctx.l("Изменить статью", "Edit article"), ctx, .group(editor(model, ctx), revisionsCard(id, revisions, ctx.l)))
    }

    static func save(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let context = try request.context
        let id = form.value("id").flatMap(Int.init)
        var model = EditorModel(id: id, title: form.value("title") ?? "", body: form.value("body") ?? "", tags: form.value("tags") ?? "",
                                language: form.value("language") ?? "ru", audience: form.value("audience") ?? "public", status: form.value("status") ?? "draft",
                                categoryID: form.value("category_id").flatMap(Int.init), translationOf: form.value("translation_of").flatMap(Int.init),
                                slug: form.value("slug") ?? "", note: form.value("note") ?? "")
        let input = KBArticleInput(categoryId: .some(model.categoryID), slug: model.slug.isBlank ? (id == nil ? nil : "") : model.slug,
                                   language: model.language, translationOf: .some(model.translationOf), title: model.title, body: model.body,
                                   tags: [model.tags], audience: model.audience, status: model.status, note: model.note.isBlank ? nil : model.note)
        do {
            let saved = id == nil ? try await KnowledgeBaseService.create(input, context: context)
                                  : try await KnowledgeBaseService.update(id: id!, input, context: context)
            return request.redirect(to: SitePath.agentArticle(saved.slug).path + "?notice=saved")
        } catch let error as ZayavkaError {
            switch error {
            case .validation, .conflict:
                model.errors = DirectoryPages.fieldErrors(error, ctx.l)
                if case .conflict(let field, _) = error { model.errors[field] = ctx.l("уже занят другой статьёй", "is taken by another article") }
                model.categories = try await KnowledgeBaseService.categories(context: context)
                return Layout.render(ctx.l("Статья", "Article"), ctx, status: .unprocessableEntity, editor(model, ctx))
            default: throw error
            }
        }
    }

    static func revision(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        guard let id = request.parameters.get("id").flatMap(Int.init), let number = request.parameters.get("number").flatMap(Int.init) else {
            throw NotFoundPage()
        }
        let row = try await KnowledgeBaseService.row(id: id, context: context)
        let diff = try await KnowledgeBaseService.revision(id: id, number: number, context: context)
        func lines(_ lines: [KBDiffLineDTO]) -> Node<HTML.BodyContext> {
            .element(named: "pre", nodes: [.class("diff"), .forEach(lines) { line in
                .span(.class("diff-" + line.kind), .t((line.kind == "added" ? "+ " : line.kind == "removed" ? "− " : "  ") + line.text + "\n"))
            }])
        }
        let content: Node<HTML.BodyContext> = .group(
            .p(.class("crumbs"), .a(.href(SitePath.agentArticle(row.slug).path), .t(row.title))),
            .h1(.t(l("Версия ", "Revision ") + String(number))),
            .p(.class("muted"), .t(l.dateTime(diff.revision.createdAt) + " · " + (diff.revision.author?.name ?? "—")
                                   + (diff.previous.map { l(" · изменения относительно версии ", " · changes since revision ") + String($0) } ?? ""))),
            .div(.class("card"), .id("diff"), .h2(.t(l("Заголовок", "Title"))), lines(diff.title), .h2(.t(l("Текст", "Text"))), lines(diff.body)),
            .if(number != row.revision, .form(.method(.post), .action(SitePath.agentArticleRestore(id).path), .id("restore-form"),
                                              Layout.csrfField(ctx), .input(.type(.hidden), .name("number"), .attr("value", String(number))),
                                              .button(.type(.submit), .class("primary"), .id("restore"), .t(l("Восстановить эту версию", "Restore this revision")))))
        )
        return Layout.render(l("Версия", "Revision"), ctx, content)
    }

    static func restore(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        guard let id = request.parameters.get("id").flatMap(Int.init), let number = form.value("number").flatMap(Int.init) else { throw NotFoundPage() }
        let saved = try await KnowledgeBaseService.restore(id: id, number: number, context: try request.context)
        return request.redirect(to: SitePath.agentArticle(saved.slug).path + "?notice=restored")
    }

    static func upload(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        let back = form.value("back").flatMap { $0.hasPrefix("/agent/kb/") ? $0 : nil } ?? SitePath.agentArticleNew.path
        guard let file = form.files.first else { return request.redirect(to: back) }
        defer { form.discardFiles() }
        if file.writer.size > KnowledgeBaseService.maxImageBytes { return request.redirect(to: back + "?notice=image-too-large") }
        let data = try Data(contentsOf: URL(fileURLWithPath: file.writer.path))
        do {
            let saved = try await KnowledgeBaseService.upload(Array(data), name: file.filename, context: try request.context)
            return request.redirect(to: back + "?image=" + (saved.url.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""))
        } catch ZayavkaError.validation {
            return request.redirect(to: back + "?notice=not-an-image")
        } catch ZayavkaError.payloadTooLarge {
            return request.redirect(to: back + "?notice=image-too-large")
        }
    }

    /// The composer's knowledge-base search: articles with their link and plain text, as JSON.
    static func composerSearch(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(500))
        let context = try request.context
        let (result, bodies) = try await SearchService.articlesWithText(q, mode: .any, prefix: true, limit: 8, context: context)
        let base = request.services.configuration.publicURL
        struct Item: Content { let title: String; let url: String; let text: String; let audience: String }
        let items = result.items.map { Item(title: $0.title, url: $0.audience == "staff" ? "" : base + SitePath.kbArticle($0.slug).path,
                                            text: bodies[$0.id] ?? "", audience: $0.audience) }
        return try await items.encodeResponse(for: request)
    }
}
