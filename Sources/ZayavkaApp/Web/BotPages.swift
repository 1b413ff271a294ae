import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// The guided menu on the portal (issue 17, SPEC K3), day and night, for visitors and customers:
/// plain links, no JavaScript. "Hand over to a person" opens the request form filled in, with the
/// path taken written into the request; a visitor gives a name and an email and is registered as
/// mail senders are.
enum BotPages {
    /// The ids of a path as the query carries them ("3,7,12"); anything malformed is the top.
    static func path(_ raw: String?) -> [Int] {
        guard let raw, !raw.isEmpty, raw.count <= 200 else { return [] }
        let ids = raw.split(separator: ",").compactMap { Int($0) }
        return ids.count == raw.split(separator: ",").count && ids.count <= 20 ? ids : []
    }

    static func label(_ node: BotNodeDTO, _ l: L) -> String { l.language == .en && !node.labelEn.isEmpty ? node.labelEn : node.labelRu }
    static func message(_ node: BotNodeDTO, _ l: L) -> String { l.language == .en && !node.messageEn.isEmpty ? node.messageEn : node.messageRu }

    struct Walk {
        let nodes: [BotNodeDTO]
        let path: [Int]
        var current: BotNodeDTO? { path.last.flatMap { id in nodes.first { $0.id == id } } }
        var children: [BotNodeDTO] { nodes.filter { $0.parentId == path.last }.sorted { ($0.position, $0.id) < ($1.position, $1.id) } }
        func link(_ ids: [Int]) -> String { SitePath.help.path + (ids.isEmpty ? "" : "?path=" + ids.map(String.init).joined(separator: ",")) }
    }

    /// The path if it is a real path from the top, else the top.
    static func walk(_ raw: String?, on sql: any SQLDatabase) async throws -> Walk {
        let nodes = try await BotService.nodes(on: sql)
        var ids = path(raw)
        var parent: Int?
        for id in ids {
            guard let node = nodes.first(where: { $0.id == id }), node.parentId == parent else { ids = []; break }
            parent = id
        }
        return Walk(nodes: nodes, path: ids)
    }

    static func show(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        if let sent = request.query[String.self, at: "sent"].flatMap(Int.init) {
            let content: Node<HTML.BodyContext> = .div(.class("card"), .id("handover-sent"),
                .h1(.t(l("Заявка №\(sent) принята", "Request #\(sent) received"))),
                .p(.t(l("Мы ответим на вашу почту. В письме есть ссылка, чтобы задать пароль и следить за заявкой на портале.",
                        "We will answer by email. The message has a link to set a password and follow the request on the portal."))),
                .a(.href(SitePath.kb.path), .t(l("В базу знаний", "To the knowledge base"))))
            return Layout.render(l("Заявка принята", "Request received"), ctx, content)
        }
        let walk = try await walk(request.query[String.self, at: "path"], on: context.sql)
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(500))
        let handover = walk.current.map { $0.action == BotAction.handover.rawValue } ?? false
        if handover || request.query[String.self, at: "handover"] == "1" {
            let current = handover ? walk.current : nil
            if let signedIn = ctx.signedIn {
                var query = ["bot=" + walk.path.map(String.init).joined(separator: ",")]
                if let type = current?.ticketType { query.append("type=" + type) }
                for (key, value) in (current?.prefill ?? [:]).sorted(by: { $0.key < $1.key }) {
                    query.append("fields." + (key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") + "="
                                 + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                }
                let target = signedIn.viewer.role.isStaff ? SitePath.agentNew.path : SitePath.portalNew.path
                return request.redirect(to: target + "?" + query.joined(separator: "&"))
            }
            return KnowledgeBasePages.withVisitor(Layout.render(l("Заявка", "Request"), ctx, handoverForm(walk, current, ctx, typed: nil, errors: [:])), request)
        }
        var found: [KBArticleSummaryDTO] = []
        if !q.isBlank { found = try await SearchService.articles(q, mode: .any, limit: 5, context: context).items }
        let crumbs: [(String, String)] = [(walk.link([]), l("Начало", "Start"))] + walk.path.enumerated().compactMap { i, id in
            walk.nodes.first { $0.id == id }.map { (walk.link(Array(walk.path.prefix(i + 1))), label($0, l)) }
        }
        let greeting = walk.current.map { message($0, l) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? l("Здравствуйте! Я помогу найти ответ. Выберите тему или напишите вопрос.", "Hello! I will help you find an answer. Choose a topic or type a question.")
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Помощник", "Assistant"))),
            .p(.class("crumbs"), .id("bot-path"), .forEach(Array(crumbs.enumerated())) { i, crumb in
                .group(.if(i > 0, .t(" → ")), .a(.href(crumb.0), .t(crumb.1)))
            }),
            .div(.class("card bot"), .id("bot"),
                 .p(.class("bot-message"), .t(greeting)),
                 .div(.class("bot-buttons"), .forEach(walk.children) { child in button(child, walk, l) }),
                 .form(.class("inline-search"), .method(.get), .action(SitePath.help.path), .id("bot-question"),
                       .input(.type(.hidden), .name("path"), .attr("value", walk.path.map(String.init).joined(separator: ","))),
                       .input(.type(.search), .name("q"), .id("bot-q"), .attr("value", q), .attribute(named: "maxlength", value: "500"),
                              .attr("placeholder", l("Или напишите свой вопрос", "Or type your question"))),
                       .button(.type(.submit), .class("secondary"), .t(l("Спросить", "Ask"))))),
            q.isBlank ? .empty : .div(.class("card"), .id("bot-answers"),
                .h2(.t(found.isEmpty ? l("Не нашёл ответа на этот вопрос.", "I found no answer to that.") : l("Возможно, это поможет:", "This may help:"))),
                KnowledgeBasePages.results(found, l, id: "bot-results", from: "bot"),
                .p(.a(.href(handoverLink(walk)), .id("bot-handover"), .t(l("Передать вопрос специалисту", "Pass the question to a person")))))
        )
        return KnowledgeBasePages.withVisitor(Layout.render(l("Помощник", "Assistant"), ctx, content), request)
    }

    /// The first hand-over under the current item, or the plain request form.
    static func handoverLink(_ walk: Walk) -> String {
        if let handover = walk.children.first(where: { $0.action == BotAction.handover.rawValue }) { return walk.link(walk.path + [handover.id]) }
        return SitePath.help.path + "?path=" + walk.path.map(String.init).joined(separator: ",") + "&handover=1"
    }

    static func button(_ node: BotNodeDTO, _ walk: Walk, _ l: L) -> Node<HTML.BodyContext> {
        switch BotAction(rawValue: node.action) {
        case .article:
            return .a(.class("btn bot-button"), .attr("data-node", String(node.id)), .href(SitePath.helpArticle(node.articleId ?? 0).path), .t(label(node, l)))
        default:
            return .a(.class("btn bot-button"), .attr("data-node", String(node.id)), .href(walk.link(walk.path + [node.id])), .t(label(node, l)))
        }
    }

    /// An article button: the article's public page (an article this visitor may not read is not found there).
    static func article(_ request: Request) async throws -> Response {
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw NotFoundPage() }
        let row = try await KnowledgeBaseService.row(id: id, context: try request.context)
        return request.redirect(to: KnowledgeBaseService.url(slug: row.slug, audience: row.audience) + "?from=bot")
    }

    static func handoverForm(_ walk: Walk, _ node: BotNodeDTO?, _ ctx: PageContext, typed: ReceivedForm?, errors: [String: String]) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let pathText = walk.path.compactMap { id in walk.nodes.first { $0.id == id }.map { label($0, l) } }.joined(separator: " → ")
        return .group(
            .h1(.t(l("Заявка специалисту", "A request to a person"))),
            .if(!pathText.isEmpty, .p(.class("muted"), .id("handover-path"), .t(l("Вы выбрали: ", "You chose: ") + pathText))),
            DirectoryPages.errorsBox(errors, l),
            .form(.class("card"), .method(.post), .action(SitePath.help.path), .id("handover-form"),
                  Layout.csrfField(ctx),
                  .input(.type(.hidden), .name("path"), .attr("value", walk.path.map(String.init).joined(separator: ","))),
                  Layout.row(l("Ваше имя", "Your name"), for: "h-name", error: errors["name"],
                             .input(.type(.text), .name("name"), .id("h-name"), .attr("value", typed?.value("name") ?? ""), .required(true))),
                  Layout.row(l("Электронная почта", "Email"), for: "h-email", error: errors["email"],
                             .input(.type(.email), .name("email"), .id("h-email"), .attr("value", typed?.value("email") ?? ""), .required(true))),
                  Layout.row(l("Тема", "Subject"), for: "h-subject", error: errors["subject"],
                             .input(.type(.text), .name("subject"), .id("h-subject"), .attr("value", typed?.value("subject") ?? node.map { label($0, l) } ?? ""),
                                    .required(true))),
                  Layout.row(l("Опишите, что случилось", "Describe what happened"), for: "h-body", error: errors["body"],
                             .textarea(.name("body"), .id("h-body"), .rows(6), .required(true), .t(typed?.value("body") ?? ""))),
                  .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("handover-submit"), .t(l("Отправить", "Send")))))
        )
    }

    /// A visitor's hand-over: registered by their email (as a mail sender would be), the request filed with the path taken.
    static func handover(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let app = request.application
        let walk = try await walk(form.value("path"), on: request.sql)
        let name = TextInput.sanitize(form.value("name") ?? "", multiline: false).trimmed
        let email = (form.value("email") ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        var errors: [String: String] = [:]
        if name.isEmpty { errors["name"] = l.localizer.fieldMessage(FieldError("name", .required)) }
        if name.count > 200 { errors["name"] = l.localizer.fieldMessage(FieldError("name", .tooLong, "200")) }
        if email.isEmpty { errors["email"] = l.localizer.fieldMessage(FieldError("email", .required)) }
        else if !EmailAddress.isValid(email) { errors["email"] = l.localizer.fieldMessage(FieldError("email", .invalid)) }
        let refuse: @Sendable ([String: String]) -> Response = { errors in
            Layout.render(l("Заявка", "Request"), ctx, status: .unprocessableEntity, handoverForm(walk, walk.current, ctx, typed: form, errors: errors))
        }
        if !errors.isEmpty { return refuse(errors) }
        let sql = try request.sql
        let defaultLanguage = app.services.configuration.defaultLanguage
        var known = try await MailPeople.find(email, sql: sql, defaultLanguage: defaultLanguage)
        if known == nil {
            let domain = String(email.split(separator: "@").last ?? "")
            let organizationID = try await MailPeople.organization(forDomain: domain, listed: app.services.emailDomainsListed, sql: sql)
            try await app.services.customers.create(.init(email: email, name: String(name.prefix(200)), language: l.language,
                                                          organizationID: organizationID, sendLink: false), services: app.services, on: app.db)
            known = try await MailPeople.find(email, sql: sql, defaultLanguage: defaultLanguage)
        }
        guard case .active(let customer) = known else {
            return refuse(["_form": l("С этого адреса заявки не принимаются. Напишите нам с другого адреса.",
                                      "Requests from this address are not accepted. Please write from another address.")])
        }
        var body = form.value("body") ?? ""
        if let path = try await BotService.describe(path: walk.path, language: customer.language, on: sql) {
            body += (customer.language == .en ? "\n\n— Path in the assistant: " : "\n\n— Путь в помощнике: ") + path
        }
        let context = ServiceContext(application: app, signedIn: customer, language: l.language)
        let input = TicketCreateInput(subject: form.value("subject") ?? "", body: body, requesterId: nil, requesterEmail: nil, requesterName: nil,
                                      channel: .web, type: walk.current?.ticketType.flatMap(TicketType.init(rawValue:)), priority: nil, urgency: nil,
                                      responsibility: nil, cause: nil, status: nil, assigneeId: nil, groupId: nil, dueAt: nil,
                                      fields: walk.current?.prefill, attachments: nil)
        do {
            let ticket = try await TicketService.create(input, context: context)
            if let visitor = KnowledgeBasePages.visitor(request) {
                await DeflectionService.record(.filed, visitor: visitor, context: context)
            }
            // A new customer's set-a-password link travels in the acknowledgement (as for mail senders).
            return request.redirect(to: SitePath.help.path + "?sent=\(ticket.number)")
        } catch let error as ZayavkaError {
            guard case .validation = error else { throw error }
            return refuse(DirectoryPages.fieldErrors(error, l))
        }
    }
}
