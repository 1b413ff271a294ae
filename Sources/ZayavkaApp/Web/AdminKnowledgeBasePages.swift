import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Managers and admins arrange the knowledge base (categories), see how often it answers before a
/// request is filed, and build the bot menu (issue 17).
enum AdminKnowledgeBasePages {
    static func requireManager(_ request: Request) throws {
        try DirectoryPages.requireAdmin(request, .manageKnowledgeBase)
    }

    static func overview(_ request: Request, errors: [String: String] = [:], typed: ReceivedForm? = nil,
                         status: HTTPResponseStatus = .ok) async throws -> Response {
        try requireManager(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let categories = try await KnowledgeBaseService.categories(context: context)
        let editing = request.query[String.self, at: "edit"].flatMap(Int.init).flatMap { id in categories.first { $0.id == id } }
        let stats = try await DeflectionService.stats(from: context.now.addingTimeInterval(-30 * 86_400), to: context.now, context: context)
        func value(_ name: String, _ fallback: String?) -> String { typed?.value(name) ?? fallback ?? "" }
        let rows: [[Node<HTML.BodyContext>]] = categories.map { category in
            [.a(.href(SitePath.adminKB.path + "?edit=\(category.id)"), .t(category.nameRu)), .t(category.nameEn),
             .t(categories.first { $0.id == category.parentId }?.name ?? "—"), .t(String(category.position)), .t(String(category.articles))]
        }
        let form: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminKBCategorySave.path), .id("category-form"),
            Layout.csrfField(ctx),
            .h2(.t(editing == nil ? l("Новый раздел", "New category") : l("Изменить раздел", "Edit category"))),
            .input(.type(.hidden), .name("id"), .attr("value", editing.map { String($0.id) } ?? "")),
            Layout.row(l("Название по-русски", "Name in Russian"), for: "c-ru", error: errors["name_ru"],
                       .input(.type(.text), .name("name_ru"), .id("c-ru"), .attr("value", value("name_ru", editing?.nameRu)), .required(true))),
            Layout.row(l("Название по-английски", "Name in English"), for: "c-en", error: errors["name_en"],
                       .input(.type(.text), .name("name_en"), .id("c-en"), .attr("value", value("name_en", editing?.nameEn)))),
            Layout.row(l("Внутри раздела", "Inside"), for: "c-parent", error: errors["parent_id"],
                       .select(.attr("name", "parent_id"), .id("c-parent"),
                               .opt("", "—"), .forEach(categories.filter { $0.id != editing?.id }) {
                                   .opt(String($0.id), $0.name, selected: String($0.id) == value("parent_id", editing?.parentId.map(String.init)))
                               })),
            Layout.row(l("Порядок", "Position"), for: "c-position", error: errors["position"],
                       .input(.type(.number), .name("position"), .id("c-position"), .attr("value", value("position", editing.map { String($0.position) })))),
            Layout.row(l("Адрес (пусто — из названия)", "Address (empty: from the name)"), for: "c-slug", error: errors["slug"],
                       .input(.type(.text), .name("slug"), .id("c-slug"), .attr("value", value("slug", editing?.slug)))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
        )
        let figures: Node<HTML.BodyContext> = .div(
            .class("card"), .id("deflection"),
            .h2(.t(l("Самообслуживание за 30 дней", "Self-service, last 30 days"))),
            .p(.t(l("Подсказки видели: ", "Saw suggestions: ") + "\(stats.shown) · " + l("открыли статью: ", "opened an article: ") + "\(stats.opened) · "
                  + l("после этого всё же написали: ", "still filed a request: ") + "\(stats.filedAfterOpening) · "),
               .strong(.id("deflected"), .t(l("вопрос решён статьёй: ", "answered by an article: ") + "\(stats.deflected)"))),
            DirectoryPages.table("deflection-articles", [l("Статья", "Article"), l("Открыли", "Opened"), l("Не понадобилась заявка", "No request needed"),
                                                         l("Помогла: да / нет", "Helped: yes / no")],
                                 stats.articles.map { [.t($0.title), .t(String($0.opened)), .t(String($0.deflected)), .t("\($0.helpfulYes) / \($0.helpfulNo)")] })
        )
        let content: Node<HTML.BodyContext> = .group(
            .div(.class("actions"), .h1(.t(l("База знаний: разделы", "Knowledge base: categories"))),
                 .a(.class("btn"), .href(SitePath.adminBot.path), .t(l("Меню помощника", "Assistant menu"))),
                 .a(.class("btn"), .href(SitePath.agentKB.path), .t(l("Статьи", "Articles")))),
            DirectoryPages.errorsBox(errors, l),
            DirectoryPages.table("categories", [l("Название", "Name"), "English", l("Внутри", "Inside"), l("Порядок", "Position"), l("Статей", "Articles")], rows),
            form, figures
        )
        return Layout.render(l("База знаний", "Knowledge base"), ctx, status: status, content)
    }

    static func saveCategory(_ request: Request) async throws -> Response {
        try requireManager(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let id = form.value("id").flatMap(Int.init)
        var input = KBCategoryInput(nameRu: form.value("name_ru") ?? "", nameEn: form.value("name_en") ?? "")
        input.parentId = .some(form.value("parent_id").flatMap(Int.init))
        if let raw = form.text("position") { input.position = Int(raw) ?? -1 }
        if let slug = form.text("slug") { input.slug = slug }
        do {
            _ = try await KnowledgeBaseService.saveCategory(id: id, input, context: try request.context)
            return request.redirect(to: SitePath.adminKB.path + "?notice=saved")
        } catch let error as ZayavkaError {
            switch error {
            case .validation, .conflict:
                var errors = DirectoryPages.fieldErrors(error, ctx.l)
                if case .conflict(let field, _) = error { errors[field] = ctx.l("уже занят", "is taken") }
                return try await overview(request, errors: errors, typed: form, status: .unprocessableEntity)
            default: throw error
            }
        }
    }

    // MARK: Bot menu

    static func bot(_ request: Request, errors: [String: String] = [:], typed: ReceivedForm? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        try requireManager(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let nodes = try await BotService.nodes(on: request.sql)
        let editing = request.query[String.self, at: "edit"].flatMap(Int.init).flatMap { id in nodes.first { $0.id == id } }
        let articles = try await KnowledgeBaseService.list(.init(status: ArticleStatus.published.rawValue), limit: 500, context: try request.context)
        func value(_ name: String, _ fallback: String?) -> String { typed?.value(name) ?? fallback ?? "" }
        func tree(_ parent: Int?, depth: Int) -> [Node<HTML.ListContext>] {
            guard depth < 20 else { return [] }
            return nodes.filter { $0.parentId == parent }.flatMap { node -> [Node<HTML.ListContext>] in
                let articleTitle: String = node.articleId.flatMap { id in articles.first { $0.id == id }?.title }.map { ": " + $0 } ?? ""
                let detail: String = " · " + actionName(node.action, l) + articleTitle
                let indent: String = "margin-left:\(depth * 2)rem"
                let item: Node<HTML.ListContext> = .li(
                    .attr("data-node", String(node.id)), .attr("style", indent),
                    .a(.href(SitePath.adminBot.path + "?edit=\(node.id)"), .t(node.labelRu)),
                    .span(.class("muted"), .t(detail)),
                    .form(.class("inline"), .method(.post), .action(SitePath.adminBotDelete.path), .attr("style", "display:inline"),
                          Layout.csrfField(ctx), .input(.type(.hidden), .name("id"), .attr("value", String(node.id))),
                          .button(.type(.submit), .class("link"), .attr("style", "color:var(--danger)"), .t(l(" удалить", " delete")))))
                return [item] + tree(node.id, depth: depth + 1)
            }
        }
        let prefillText = value("prefill", editing.map { $0.prefill.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") })
        let parentOptions: [(String, String)] = [("", l("— верхний уровень", "— top level"))]
            + nodes.filter { $0.id != editing?.id && $0.action == BotAction.menu.rawValue }.map { (String($0.id), $0.labelRu) }
        let articleOptions: [(String, String)] = [("", "—")] + articles.map { (String($0.id), $0.title) }
        let typeOptions: [(String, String)] = [("", "—")] + TicketType.allCases.map { ($0.rawValue, l.localizer.name($0)) }
        let actionOptions: [(String, String)] = BotAction.allCases.map { ($0.rawValue, actionName($0.rawValue, l)) }
        let choices: Node<HTML.FormContext> = .div(.class("inline"),
            KnowledgeBaseStaffPages.selectRow(l("Что делает кнопка", "What the button does"), "action", actionOptions, value("action", editing?.action ?? "menu"), errors["action"]),
            KnowledgeBaseStaffPages.selectRow(l("Статья", "Article"), "article_id", articleOptions, value("article_id", editing?.articleId.map(String.init)), errors["article_id"]),
            KnowledgeBaseStaffPages.selectRow(l("Тип заявки", "Kind of request"), "ticket_type", typeOptions, value("ticket_type", editing?.ticketType), errors["ticket_type"]))
        let labels: Node<HTML.FormContext> = .div(.class("inline"),
                 Layout.row(l("Кнопка (рус.)", "Button (Russian)"), for: "b-label-ru", error: errors["label_ru"],
                            .input(.type(.text), .name("label_ru"), .id("b-label-ru"), .attr("value", value("label_ru", editing?.labelRu)), .required(true))),
                 Layout.row(l("Кнопка (англ.)", "Button (English)"), for: "b-label-en", error: errors["label_en"],
                            .input(.type(.text), .name("label_en"), .id("b-label-en"), .attr("value", value("label_en", editing?.labelEn)))))
        let form: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminBotSave.path), .id("bot-form"),
            Layout.csrfField(ctx),
            .h2(.t(editing == nil ? l("Новый пункт", "New item") : l("Изменить пункт", "Edit item"))),
            .input(.type(.hidden), .name("id"), .attr("value", editing.map { String($0.id) } ?? "")),
            KnowledgeBaseStaffPages.selectRow(l("Внутри пункта", "Under"), "parent_id", parentOptions, value("parent_id", editing?.parentId.map(String.init)), errors["parent_id"]),
            labels,
            messages(value("message_ru", editing?.messageRu), value("message_en", editing?.messageEn), errors, l),
            choices,
            Layout.row(l("Ответы на вопросы формы, по строке «ключ=значение»", "Intake answers, one “key=value” a line"), for: "b-prefill", error: errors["prefill"],
                       .textarea(.name("prefill"), .id("b-prefill"), .rows(2), .t(prefillText))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("save-node"), .t(l("Сохранить", "Save"))))
        )
        return try await botPage(tree(nil, depth: 0), form, errors, ctx, status)
    }

    static func messages(_ ru: String, _ en: String, _ errors: [String: String], _ l: L) -> Node<HTML.FormContext> {
        .group(
            Layout.row(l("Сообщение помощника (рус.)", "The assistant's message (Russian)"), for: "b-message-ru", error: errors["message_ru"],
                       .textarea(.name("message_ru"), .id("b-message-ru"), .rows(3), .t(ru))),
            Layout.row(l("Сообщение помощника (англ.)", "The assistant's message (English)"), for: "b-message-en", error: errors["message_en"],
                       .textarea(.name("message_en"), .id("b-message-en"), .rows(3), .t(en))))
    }

    static func botPage(_ tree: [Node<HTML.ListContext>], _ form: Node<HTML.BodyContext>, _ errors: [String: String], _ ctx: PageContext,
                        _ status: HTTPResponseStatus) async throws -> Response {
        let l = ctx.l
        let content: Node<HTML.BodyContext> = .group(
            .div(.class("actions"), .h1(.t(l("Меню помощника", "Assistant menu"))),
                 .a(.class("btn"), .href(SitePath.help.path), .t(l("Открыть как клиент", "Open as a customer")))),
            .p(.class("muted"), .t(l("Пункт с кнопками показывает своё сообщение и свои кнопки; статья открывает статью; «передать человеку» открывает форму заявки, заполненную и с путём по меню.",
                                     "A menu item shows its message and its own buttons; an article opens the article; “hand over” opens the request form, filled in, with the path taken."))),
            DirectoryPages.errorsBox(errors, l),
            .div(.class("card"), .ul(.id("bot-tree"), .class("people"), .group(tree))),
            form
        )
        return Layout.render(l("Меню помощника", "Assistant menu"), ctx, status: status, content)
    }

    static func actionName(_ raw: String, _ l: L) -> String {
        switch BotAction(rawValue: raw) {
        case .menu: l("подменю", "menu")
        case .article: l("статья", "article")
        case .handover: l("передать человеку", "hand over to a person")
        case nil: raw
        }
    }

    static func saveNode(_ request: Request) async throws -> Response {
        try requireManager(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let id = form.value("id").flatMap(Int.init)
        var input = BotNodeInput()
        input.parentId = .some(form.value("parent_id").flatMap(Int.init))
        input.labelRu = form.value("label_ru") ?? ""
        input.labelEn = form.value("label_en") ?? ""
        input.messageRu = form.value("message_ru") ?? ""
        input.messageEn = form.value("message_en") ?? ""
        input.action = form.value("action") ?? "menu"
        input.articleId = .some(form.value("article_id").flatMap(Int.init))
        input.ticketType = .some(form.text("ticket_type"))
        var prefill: [String: String] = [:]
        for line in (form.value("prefill") ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, !parts[0].isEmpty { prefill[parts[0]] = parts[1] }
        }
        input.prefill = prefill
        do {
            _ = try await BotService.save(id: id, input, context: try request.context)
            return request.redirect(to: SitePath.adminBot.path + "?notice=saved")
        } catch let error as ZayavkaError {
            guard case .validation = error else { throw error }
            return try await bot(request, errors: DirectoryPages.fieldErrors(error, ctx.l), typed: form, status: .unprocessableEntity)
        }
    }

    static func deleteNode(_ request: Request) async throws -> Response {
        try requireManager(request)
        let form = try await WebForms.read(request)
        guard let id = form.value("id").flatMap(Int.init) else { throw NotFoundPage() }
        do {
            try await BotService.delete(id: id, context: try request.context)
            return request.redirect(to: SitePath.adminBot.path + "?notice=deleted")
        } catch let error as ZayavkaError {
            guard case .validation = error else { throw error }
            return request.redirect(to: SitePath.adminBot.path + "?notice=node-not-empty")
        }
    }
}
