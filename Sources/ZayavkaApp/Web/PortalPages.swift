import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

// MARK: My requests

/// The customer's list of requests: model.
struct PortalListModel: Sendable {
    struct Item: Sendable {
        let number: Int
        let subject: String
        let statusKey: String
        let statusName: String
        let updatedAt: Date
    }

    var items: [Item]
    var total: Int
    var nextCursor: String?
    var showAll: Bool
    /// Known problems that affect the customer (SPEC P1): the problems linked to their requests.
    var problems: [ProblemDTO] = []
}

enum PortalListView {
    static func render(_ model: PortalListModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .div(.class("actions"),
                 .h1(.t(l("Мои заявки", "My requests"))),
                 .a(.class("btn primary"), .href(SitePath.portalNew.path), .id("new-request"), .t(l("Новая заявка", "New request")))),
            .if(!model.problems.isEmpty, .div(
                .class("card"), .id("my-problems"),
                .h2(.t(l("Известные проблемы, которые вас касаются", "Known problems that affect you"))),
                .ul(.forEach(model.problems) { problem in
                    .li(.attr("data-problem", problem.code), .strong(.t(problem.code + " · " + problem.title)), .t(" — " + problem.statusName),
                        .if(!problem.publicSummary.isEmpty, .p(.class("muted"), .t(problem.publicSummary))),
                        .unwrap(problem.estimate) { .p(.t(l("Ожидаемое время решения: ", "Expected fix: ") + $0)) })
                }))),
            .p(.class("muted"), .id("request-count"), .t(l.tickets(model.total)),
               .t(" · "),
               model.showAll
                   ? .a(.href(SitePath.portal.path), .t(l("только открытые", "open only")))
                   : .a(.href(SitePath.portal.path + "?all=1"), .t(l("показать все, включая закрытые", "show all, including closed")))),
            model.items.isEmpty
                ? .div(.class("card"), .p(.t(l("Заявок пока нет.", "No requests yet."))))
                : .table(
                    .class("list"), .id("requests"),
                    .thead(.tr(.th(.t("№")), .th(.t(l("Тема", "Subject"))), .th(.t(l("Статус", "Status"))),
                               .th(.t(l("Обновлена", "Updated"))))),
                    .tbody(.forEach(model.items) { item in
                        .tr(.td(.t(String(item.number))),
                            .td(.a(.href(SitePath.portalRequest(item.number).path), .t(item.subject))),
                            .td(.span(.class("badge \(item.statusKey)"), .t(item.statusName))),
                            .td(.t(l.dateTime(item.updatedAt))))
                    })),
            .unwrap(model.nextCursor) { cursor in
                .p(.class("pager"), .a(.href(SitePath.portal.path + "?cursor=\(cursor)" + (model.showAll ? "&all=1" : "")), .t(l("Дальше →", "More →"))))
            }
        )
    }
}

// MARK: New request

/// The new-request form: what was typed (kept on errors) and what is wrong with it.
struct RequestFormModel: Sendable {
    var subject = ""
    var body = ""
    var type = TicketType.question
    var urgency: Int?
    var fields: [String: String] = [:]
    var errors: [String: String] = [:]
    var intake: [IntakeFieldDefinition]
    var hadFiles = false
    /// The assistant's menu path that handed over to this form ("3,7"), written into the request.
    var botPath = ""
    var botPathText: String?
}

enum RequestFormView {
    /// How many of the team's questions the form shows before "More questions": the required ones
    /// always, then the first by the order set on the questions page.
    static let questionsShown = 4

    static func render(_ model: RequestFormModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let visible = model.intake.filter(\.customerVisible)
        let required = visible.filter(\.required)
        let optional = visible.filter { !$0.required }
        let extra = Array(optional.prefix(max(0, questionsShown - required.count)))
        let shown = visible.filter { field in field.required || extra.contains { $0.key == field.key } }
        let folded = visible.filter { field in !shown.contains { $0.key == field.key } }
        return .group(
            .h1(.t(l("Новая заявка", "New request"))),
            .if(!model.errors.isEmpty, .div(.class("errors"), .attr("role", "alert"), .id("form-errors"),
                                            .t(l("Проверьте выделенные поля.", "Please check the highlighted fields.")),
                                            .if(model.hadFiles, .t(" " + l("Файлы нужно приложить ещё раз.", "Please attach the files again."))))),
            .form(
                .class("card"), .method(.post), .action(SitePath.portalNew.path), .enctype(.multipartData), .id("request-form"),
                .attribute(named: "data-validate", value: "1"),
                Layout.csrfField(ctx),
                .input(.type(.hidden), .name("bot"), .attr("value", model.botPath)),
                .unwrap(model.botPathText) { .p(.class("muted"), .id("bot-path-note"), .t(l("Из помощника: ", "From the assistant: ") + $0)) },
                Layout.row(l("Тема", "Subject"), for: "subject", error: model.errors["subject"],
                           .input(.type(.text), .name("subject"), .id("subject"), .attr("value", model.subject), .required(true),
                                  .attribute(named: "maxlength", value: String(TicketLimits.subjectMaxLength)), .attribute(named: "autocomplete", value: "off"),
                                  .attr("data-suggest", SitePath.kbSuggest.path))),
                // Articles that may answer the question, as the subject is typed (issue 17).
                .div(.class("kb-suggest"), .id("kb-suggest"), .attr("hidden", "hidden"), .attr("aria-live", "polite"),
                     .p(.strong(.t(l("Возможно, ответ уже есть:", "Maybe the answer is already here:")))), .ul()),
                Layout.row(l("Описание", "Description"), for: "body", error: model.errors["body"],
                           .textarea(.name("body"), .id("body"), .required(true), .rows(8), .t(model.body))),
                Layout.row(l("Файлы", "Files"), for: "files",
                           hint: l("Скриншоты, документы — до \(l.fileSize(ctx.maxFileBytes)) каждый.", "Screenshots, documents: up to \(l.fileSize(ctx.maxFileBytes)) each."),
                           .input(.type(.file), .name("files"), .id("files"), .multiple(true))),
                Layout.row(l("Тип обращения", "Kind of request"), for: "type", error: model.errors["type"],
                           .select(.attr("name", "type"), .id("type"), .forEach([TicketType.question, .problem, .suggestion]) { type in
                               .opt(type.rawValue, l.localizer.name(type), selected: type == model.type)
                           })),
                .fieldset(
                    .class("field" + (model.errors["urgency"] == nil ? "" : " invalid")),
                    .element(named: "legend", nodes: [.t(l("Насколько это срочно?", "How urgent is it?"))]),
                    .forEach(Urgency.all) { urgency in
                        .div(.element(named: "label", nodes: [
                            .input(.type(.radio), .name("urgency"), .value(String(urgency.level)), .checked(model.urgency == urgency.level)),
                            .strong(.t(" \(urgency.level) — ")), .t(urgency.definition(l.language)),
                        ]))
                    }
                ),
                .forEach(shown) { field in
                    IntakeInputs.row(field, value: model.fields[field.key] ?? "", error: model.errors["fields." + field.key], l)
                },
                .if(!folded.isEmpty, .element(named: "details", nodes: [
                    .class("more-questions"), .id("more-questions"),
                    .if(folded.contains { model.fields[$0.key] != nil || model.errors["fields." + $0.key] != nil }, .attribute(named: "open", value: "open")),
                    .element(named: "summary", nodes: [.t(l("Ещё вопросы, необязательно (\(folded.count))", "More questions, optional (\(folded.count))"))]),
                    .forEach(folded) { field in
                        IntakeInputs.row(field, value: model.fields[field.key] ?? "", error: model.errors["fields." + field.key], l)
                    },
                ])),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("submit-request"), .t(l("Отправить заявку", "Send request"))))
            )
        )
    }
}

/// Form controls for the team's intake questions, with client-side checks mirroring the server's.
enum IntakeInputs {
    /// `form`: the id of the form the control belongs to when it sits outside it (the ticket page's side panel).
    static func row<C: HTML.BodyContext>(_ field: IntakeFieldDefinition, value: String, error: String?, _ l: L, name: String? = nil, form: String = "") -> Node<C> {
        let id = "field-" + field.key
        let inputName = name ?? "fields." + field.key
        let label = field.label(l.language) + (field.required ? " *" : "")
        let control: Node<HTML.BodyContext>
        switch field.kind {
        case .multiline:
            control = .textarea(.name(inputName), .id(id), .attribute(named: "form", value: form), .required(field.required), .rows(3), .t(value))
        case .choice:
            control = .select(.attr("name", inputName), .id(id), .attribute(named: "form", value: form), .if(field.required, .attribute(named: "required")),
                              .opt("", l("— выберите —", "— choose —")),
                              .forEach(field.optionValues) { option in .opt(option, field.optionLabel(option, l.language), selected: option == value) })
        case .boolean:
            control = .select(.attr("name", inputName), .id(id), .attribute(named: "form", value: form), .if(field.required, .attribute(named: "required")),
                              .opt("", "—"),
                              .opt("true", l("Да", "Yes"), selected: value == "true"),
                              .opt("false", l("Нет", "No"), selected: value == "false"))
        case .phone:
            control = .input(.type(.tel), .name(inputName), .id(id), .attribute(named: "form", value: form), .attr("value", value), .required(field.required),
                             .attribute(named: "data-pattern", value: #"^[+0-9 ()\-]{5,25}$"#),
                             .attr("data-message", l("Введите телефон: цифры, +, скобки, дефис.", "Enter a phone number: digits, +, brackets, dashes.")))
        case .url:
            control = .input(.type(.url), .name(inputName), .id(id), .attribute(named: "form", value: form), .attr("value", value), .required(field.required))
        case .number:
            control = .input(.type(.text), .name(inputName), .id(id), .attribute(named: "form", value: form), .attr("value", value), .required(field.required),
                             .attribute(named: "inputmode", value: "decimal"), .attribute(named: "data-pattern", value: #"^-?[0-9]+([.,][0-9]+)?$"#),
                             .attr("data-message", l("Введите число.", "Enter a number.")))
        case .text:
            control = .input(.type(.text), .name(inputName), .id(id), .attribute(named: "form", value: form), .attr("value", value), .required(field.required))
        }
        return Layout.row(label, for: id, error: error, control)
    }

    /// `fields.<key>` values of a form.
    static func values(_ form: ReceivedForm, _ intake: [IntakeFieldDefinition], prefix: String = "fields.") -> [String: String] {
        var values: [String: String] = [:]
        for field in intake { if let value = form.text(prefix + field.key) { values[field.key] = value } }
        return values
    }
}

// MARK: One request

/// A customer's request page: the public conversation only.
struct PortalRequestModel: Sendable {
    let ticket: TicketDTO
    let statusCategory: StatusCategory?
    let timeline: TimelineModel
    let intake: [IntakeFieldDefinition]
    var replyError: String?
    var replyText = ""
    /// The customer already confirmed the current solution: the question is not asked again.
    var solutionConfirmed = false
    /// The known problem the request is linked to: its number, public summary and status (SPEC P1).
    var problem: ProblemDTO?
    /// The latest resolution report (SPEC V6) and the customer's rating (SPEC Q1).
    var resolution: ResolutionDTO?
    var survey: SurveyDTO?
}

enum PortalRequestView {
    static func render(_ model: PortalRequestModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let ticket = model.ticket
        let category = model.statusCategory
        return .group(
            .h1(.t("№\(ticket.number) · " + ticket.subject)),
            .unwrap(model.problem) { problem in
                .div(.class("card"), .id("request-problem"),
                     .p(.strong(.t(l("Известная проблема ", "Known problem ") + problem.code + " · " + problem.title)), .t(" — " + problem.statusName)),
                     .if(!problem.publicSummary.isEmpty, .p(.t(problem.publicSummary))),
                     .unwrap(problem.estimate) { .p(.t(l("Ожидаемое время решения: ", "Expected fix: ") + $0)) },
                     .unwrap(problem.fixedVersion) { .p(.t(l("Исправлено в версии ", "Fixed in version ") + $0)) })
            },
            .p(.span(.class("badge \(ticket.status)"), .id("status"), .t(ticket.statusName)),
               .span(.class("muted"), .t("  " + l("Создана", "Filed") + " " + l.dateTime(ticket.createdAt) + " · "
                                         + l("обновлена", "updated") + " " + l.dateTime(ticket.updatedAt)))),
            .if(!ticket.fields.isEmpty, .div(.class("card side"), .element(named: "dl", nodes: model.intake.filter { ticket.fields[$0.key] != nil }.flatMap { field in
                [Node<HTML.BodyContext>.element(named: "dt", nodes: [.t(field.label(l.language))]),
                 .element(named: "dd", nodes: [.t(ticket.fields[field.key] ?? "")])]
            }))),
            TimelineView.render(model.timeline, ctx),
            .if(category == .solved || category == .closed, .unwrap(model.resolution) { ResolutionView.card($0, l) }),
            RatingView.badge(model.survey, l),
            .if(category == .solved && model.solutionConfirmed,
                .div(.class("card"), .id("solution-confirmed"), .p(.t(l("Вы подтвердили, что вопрос решён. Спасибо!", "You confirmed it is solved. Thank you!"))))),
            .if(category == .solved && !model.solutionConfirmed, .div(
                .class("card"), .id("solution-check"),
                .p(.t(l("Мы считаем, что вопрос решён. Это так?", "We think this is solved. Is it?"))),
                .div(.class("actions"),
                     .form(.method(.post), .action(SitePath.portalSolved(ticket.number).path), Layout.csrfField(ctx),
                           .button(.type(.submit), .class("primary"), .id("confirm-solved"), .t(l("Да, решено", "Yes, it is solved")))),
                     .form(.method(.post), .action(SitePath.portalReopen(ticket.number).path), Layout.csrfField(ctx), .id("reopen-form"),
                           .textarea(.name("text"), .id("reopen-text"), .rows(2), .attr("maxlength", String(TicketLimits.bodyMaxLength)),
                                     .attr("placeholder", l("Что всё ещё не работает? (необязательно)", "What still does not work? (optional)")),
                                     .attr("aria-label", l("Что всё ещё не работает?", "What still does not work?"))),
                           .button(.type(.submit), .class("secondary"), .id("reopen"), .t(l("Нет, не решено", "No, it is not solved"))))))),
            .if(category != .closed, .form(
                .class("composer"), .method(.post), .action(SitePath.portalReply(ticket.number).path), .enctype(.multipartData), .id("reply-form"),
                Layout.csrfField(ctx),
                .h2(.t(l("Ответить", "Reply"))),
                .unwrap(model.replyError) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                .textarea(.name("body"), .id("reply-body"), .required(true), .rows(5), .attr("aria-label", l("Текст ответа", "Reply text")), .t(model.replyText)),
                .div(.class("field"), .input(.type(.file), .name("files"), .multiple(true), .attr("aria-label", l("Файлы", "Files")))),
                .div(.class("actions"),
                     .button(.type(.submit), .class("primary"), .id("send-reply"), .t(l("Отправить", "Send"))),
                     .if(category != .solved && category != .closed,
                         .button(.type(.submit), .class("secondary"), .name("solved"), .value("1"), .id("mark-solved"),
                                 .t(l("Вопрос решён", "It is solved"))))))),
            .if(category == .closed, .div(.class("card"), .p(.t(l("Заявка закрыта. Если вопрос остался, создайте новую заявку.",
                                                                  "This request is closed. If you still need help, file a new request."))),
                                         .a(.class("btn primary"), .href(SitePath.portalNew.path), .t(l("Новая заявка", "New request")))))
        )
    }
}

// MARK: Handlers

enum PortalController {
    static func requireCustomerArea(_ request: Request) throws -> SignedIn {
        guard let signedIn = request.signedInIfAny else { throw WebError.signInRequired }
        return signedIn
    }

    static func list(_ request: Request) async throws -> Response {
        let signedIn = try requireCustomerArea(request)
        if signedIn.viewer.role.isStaff { return request.redirect(to: SitePath.agent.path) }
        let catalog = try await request.services.catalog.snapshot(request.database)
        let showAll = request.query[String.self, at: "all"] == "1"
        var params = ["sort": "updated_at", "limit": "25"]
        if !showAll { params["status"] = catalog.statuses.filter { $0.category != .closed }.map(\.key).joined(separator: ",") }
        let total = try await TicketQueries.count(params, context: try request.context)
        if let cursor = request.query[String.self, at: "cursor"] { params["cursor"] = cursor }
        let (rows, next) = try await TicketQueries.page(params, context: try request.context)
        let ctx = PageContext(request)
        let items = rows.map { $0.dto(signedIn.viewer, catalog, ctx.l.language) }.map {
            PortalListModel.Item(number: $0.number, subject: $0.subject, statusKey: $0.status, statusName: $0.statusName, updatedAt: $0.updatedAt)
        }
        var model = PortalListModel(items: items, total: total, nextCursor: next, showAll: showAll)
        model.problems = try await ProblemService.mine(context: try request.context).items
        return Layout.render(ctx.l("Мои заявки", "My requests"), ctx, PortalListView.render(model, ctx))
    }

    static func newForm(_ request: Request) async throws -> Response {
        let signedIn = try requireCustomerArea(request)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let ctx = PageContext(request)
        var model = RequestFormModel(intake: catalog.intake)
        // Handed over by the assistant: its kind of request, intake answers and path.
        if let type = request.query[String.self, at: "type"].flatMap(TicketType.init(rawValue:)) { model.type = type }
        for field in catalog.intake where field.customerVisible {
            if let value = request.query[String.self, at: "fields." + field.key], value.count <= 1000 { model.fields[field.key] = value }
        }
        let path = BotPages.path(request.query[String.self, at: "bot"])
        if let text = try await BotService.describe(path: path, language: signedIn.language, on: try request.sql) {
            model.botPath = path.map(String.init).joined(separator: ",")
            model.botPathText = text
        }
        return KnowledgeBasePages.withVisitor(Layout.render(ctx.l("Новая заявка", "New request"), ctx, RequestFormView.render(model, ctx)), request)
    }

    static func create(_ request: Request) async throws -> Response {
        let signedIn = try requireCustomerArea(request)
        let form = try await WebForms.read(request)
        let catalog = try await request.services.catalog.snapshot(request.database)
        var model = RequestFormModel(intake: catalog.intake)
        model.subject = form.value("subject") ?? ""
        model.body = form.value("body") ?? ""
        model.type = form.value("type").flatMap(TicketType.init(rawValue:)) ?? .question
        model.urgency = form.value("urgency").flatMap(Int.init)
        model.fields = IntakeInputs.values(form, catalog.intake)
        let path = BotPages.path(form.value("bot"))
        let pathText = try await BotService.describe(path: path, language: signedIn.language, on: try request.sql)
        if pathText != nil {
            model.botPath = path.map(String.init).joined(separator: ",")
            model.botPathText = pathText
        }
        let ctx = PageContext(request)
        var uploads: [AttachmentRecord] = []
        do {
            uploads = try await StreamedForm.record(form.files, uploaderID: signedIn.viewer.userID, context: try request.context)
            var body = model.body
            if let pathText, !body.isBlank { body += (signedIn.language == .en ? "\n\n— Path in the assistant: " : "\n\n— Путь в помощнике: ") + pathText }
            let input = TicketCreateInput(
                subject: model.subject, body: body, requesterId: nil, requesterEmail: nil, requesterName: nil, channel: .web,
                type: model.type, priority: nil, urgency: model.urgency.flatMap(Urgency.init), responsibility: nil, cause: nil, status: nil,
                assigneeId: nil, groupId: nil, dueAt: nil, fields: model.fields, attachments: uploads.map(\.publicID))
            let ticket = try await TicketService.create(input, context: try request.context)
            if let visitor = KnowledgeBasePages.visitor(request) { await DeflectionService.record(.filed, visitor: visitor, context: try request.context) }
            return request.redirect(to: SitePath.portalRequest(ticket.number).path + "?notice=created")
        } catch ZayavkaError.validation(let errors) {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            model.hadFiles = !form.files.isEmpty
            for error in errors { model.errors[error.field] = ctx.l.localizer.fieldMessage(error) }
            return Layout.render(ctx.l("Новая заявка", "New request"), ctx, status: .unprocessableEntity, RequestFormView.render(model, ctx))
        }
    }

    static func load(_ number: Int, request: Request) async throws -> PortalRequestModel {
        let viewer = try request.viewer
        let row = try await TicketQueries.load(number: number, viewer: viewer, on: request.sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let language = request.language
        let ticket = row.dto(viewer, catalog, language)
        let comments = try await ConversationService.comments(of: row, viewer: viewer, context: try request.context)
        let events = try await ConversationService.events(of: row, viewer: viewer, context: try request.context)
        // Statuses by the names customers read; a change they would read as no change is left out.
        let names = Dictionary(catalog.statuses.map { ($0.key, $0.name(language, forStaff: viewer.role.isStaff)) }, uniquingKeysWith: { a, _ in a })
        let timeline = TimelineModel(comments: comments, events: events.filter {
                                         $0.kind == EventKind.statusChanged.rawValue && names[$0.before ?? ""] != names[$0.after ?? ""]
                                     },
                                     statusNames: names, peopleNames: [:])
        var model = PortalRequestModel(ticket: ticket, statusCategory: catalog.workflow.definition(ticket.status)?.category,
                                       timeline: timeline, intake: catalog.intake.filter(\.customerVisible))
        model.solutionConfirmed = try await SolutionConfirmation.isConfirmed(ticketID: row.id, solvedAt: row.facts.solvedAt, on: request.sql)
        model.problem = try await ProblemService.ofTicket(number: number, context: try request.context)
        model.resolution = try await ResolutionService.latest(ticketID: row.id, on: request.sql)
        model.survey = try await SatisfactionService.surveys(of: row, viewer: viewer, on: request.sql).last { $0.rating != nil }
        return model
    }

    static func number(_ request: Request) throws -> Int {
        guard let raw = request.parameters.get("number"), let number = Int(raw) else { throw NotFoundPage() }
        return number
    }

    static func show(_ request: Request) async throws -> Response {
        let signedIn = try requireCustomerArea(request)
        let number = try number(request)
        if signedIn.viewer.role.isStaff { return request.redirect(to: SitePath.agentTicket(number).path) }
        let model = try await load(number, request: request)
        let ctx = PageContext(request)
        return Layout.render("№\(number)", ctx, PortalRequestView.render(model, ctx))
    }

    static func reply(_ request: Request) async throws -> Response {
        let signedIn = try requireCustomerArea(request)
        let number = try number(request)
        let form = try await WebForms.read(request)
        let body = form.value("body") ?? ""
        var uploads: [AttachmentRecord] = []
        do {
            uploads = try await StreamedForm.record(form.files, uploaderID: signedIn.viewer.userID, context: try request.context)
            _ = try await ConversationService.insertComment(number: number, input: CommentInput(body: body, public: true, attachments: uploads.map(\.publicID), status: nil),
                                                         source: .web, context: try request.context)
            if form.value("solved") == "1" {
                var patch = TicketPatchInput()
                patch.status = "solved"
                _ = try await TicketService.update(number: number, input: patch, context: try request.context)
                return request.redirect(to: SitePath.portalRequest(number).path + "?notice=solved")
            }
            return request.redirect(to: SitePath.portalRequest(number).path + "?notice=replied")
        } catch ZayavkaError.validation(let errors) {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            let ctx = PageContext(request)
            var model = try await load(number, request: request)
            model.replyText = body
            model.replyError = errors.map { ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
            if errors.contains(where: { $0.field == "body" }) { model.replyError = ctx.l("Напишите текст ответа.", "Please write your reply.") }
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, PortalRequestView.render(model, ctx))
        }
    }

    /// "It is solved": the confirmation is recorded (`SolutionConfirmation`) and the question goes away.
    static func confirmSolved(_ request: Request) async throws -> Response {
        _ = try requireCustomerArea(request)
        let number = try number(request)
        _ = try await WebForms.read(request)
        _ = try await SolutionConfirmation.confirm(number: number, context: try request.context)
        return request.redirect(to: SitePath.portalRequest(number).path + "?notice=solved")
    }

    /// "It is not solved" (reopen).
    static func setStatus(_ status: String, notice: String) -> @Sendable (Request) async throws -> Response {
        { request in
            _ = try requireCustomerArea(request)
            let number = try number(request)
            let form = try await WebForms.read(request)
            // "It still does not work", in the customer's words: their reply reopens the request (SPEC V6).
            if let text = form.text("text") {
                _ = try await ConversationService.insertComment(number: number, input: CommentInput(body: text, public: true, attachments: nil, status: nil),
                                                                source: .web, context: try request.context)
            } else {
                var patch = TicketPatchInput()
                patch.status = status
                _ = try await TicketService.update(number: number, input: patch, context: try request.context)
            }
            return request.redirect(to: SitePath.portalRequest(number).path + "?notice=\(notice)")
        }
    }
}
