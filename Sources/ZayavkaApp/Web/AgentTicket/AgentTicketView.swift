import Foundation
import Plot
import Vapor
import ZayavkaCore

/// The agent's ticket page: view.
enum AgentTicketView {
    static func render(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let ticket = model.ticket
        return .group(
            .p(.class("back"), .a(.href(SitePath.agent.path), .id("back-to-queue"), .t("← " + l("К очереди", "Back to the queue")))),
            .h1(.id("ticket-title"), .t("№\(ticket.number) · " + ticket.subject)),
            .p(.span(.class("badge \(ticket.status)"), .id("status"), .t(ticket.statusName)), .t(" "),
               .span(.class("badge \(ticket.priority.rawValue)"), .t(l.localizer.name(ticket.priority))), .t(" "),
               .span(.class("muted"), .t(l.localizer.name(ticket.channel) + " · " + l("создана", "filed") + " " + l.dateTime(ticket.createdAt)
                                         + " (" + l.age(since: ticket.createdAt, now: ctx.now) + l(" назад", " ago") + ")"))),
            .forEach(model.checks) { check in
                .div(.class("notice error banner"), .id("check-" + check.kind), .attr("role", "alert"),
                     .strong(.t(check.organization.name + ": " + check.message)), .t(" " + check.nextStep))
            },
            accountReference(model, ctx),
            .div(
                .class("ticket"),
                .div(
                    .class("ticket-main"),
                    .div(.id("timeline"), TimelineView.render(model.timeline, ctx)),
                    // Live: a customer's new reply, and who else has the ticket open (filled by the page's script).
                    .div(.id("live-news"), .class("notice live-news"), .attr("role", "status"), .attr("hidden", "hidden"),
                         .span(.id("live-news-text")), .t(" "),
                         .button(.type(.button), .class("link"), .id("live-news-show"), .t(l("Показать", "Show")))),
                    .div(.id("presence"), .class("presence"), .attr("aria-live", "polite")),
                    composer(model, ctx),
                    Layout.jsonBlock(id: "ticket-live", [
                        "live": SitePath.agentLive.path + "?ticket=\(ticket.number)", "presence": SitePath.agentPresence(ticket.number).path,
                        "csrf": ctx.csrf, "number": String(ticket.number), "updated": ticket.updatedAt.formatted(.iso8601),
                        "open": l("тоже открыл(а) эту заявку", "has this ticket open too"), "typing": l("пишет ответ…", "is writing a reply…"),
                        "news": l("В заявке новое: сообщения ниже обновлены.", "Something new on the ticket: the messages below are updated."),
                    ])
                ),
                .aside(.class("side"),
                       workPanel(model, ctx),
                       requesterCard(model, ctx),
                       answersPanel(model, ctx),
                       moreFields(model, ctx),
                       qualityPanel(model, ctx),
                       fold("fold-articles", l("Статьи, которые могут помочь", "Articles that may answer this") + (model.articles.isEmpty ? "" : " (\(model.articles.count))"),
                            articlesPanel(model, ctx)),
                       fold("fold-problem", l("Известная проблема", "Known problem") + (model.problem.map { ": " + $0.code } ?? ""), problemPanel(model, ctx)),
                       model.routes.isEmpty ? .empty : fold("fold-route", l("Передать заявку", "Hand off"), routePanel(model, ctx), open: model.errors["route"] != nil),
                       // A phone ticket, or one with a callback pending, shows its calls open.
                       fold("fold-phone", l("Звонки", "Calls") + (model.calls.isEmpty && model.callbacks.isEmpty ? "" : " (\(model.calls.count + model.callbacks.count))"),
                            phonePanel(model, ctx), open: ticket.channel == .phone || !model.callbacks.isEmpty),
                       fold("fold-conduct", l("Нарушение делового стиля", "Conduct") + (model.warnings == 0 ? "" : " (\(model.warnings))"), conductPanel(model, ctx)),
                       fold("fold-plan", l("Планирование", "Planning") + (model.slots.isEmpty ? "" : " (\(model.slots.count))"), planPanel(model, ctx),
                            open: model.proposal != nil || model.errors["plan"] != nil))
            )
        )
    }

    /// A card that opens on demand: its summary is the card's title.
    static func fold(_ id: String, _ title: String, _ content: Node<HTML.BodyContext>, open: Bool = false) -> Node<HTML.BodyContext> {
        .element(named: "details", nodes: [.class("fold"), .id(id), .if(open, .attribute(named: "open", value: "open")),
                                           .element(named: "summary", nodes: [.t(title)]), content])
    }

    /// The value a control shows: what the agent just posted (a refused form), else the ticket's.
    static func shown(_ model: AgentTicketModel, _ key: String, _ current: String?) -> String {
        model.posted[key] ?? current ?? ""
    }

    /// The work at the top of the side panel: status, assignee ("take it"), group, priority, the SLA
    /// clocks. Its controls belong to the composer's form, so one submit saves them with the reply.
    static func workPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let t = model.ticket
        let me = ctx.signedIn.map { String($0.viewer.userID) } ?? ""
        let assignee = shown(model, "assignee_id", t.assignee.map { String($0.id) })
        let group = shown(model, "group_id", t.group.map { String($0.id) })
        let status = shown(model, "status", t.status)
        let priority = shown(model, "priority", t.priority.rawValue)
        func err(_ key: String) -> String? { model.errors[key] }
        return .div(
            .class("card work"), .id("work"),
            .unwrap(model.errors["_form"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            Layout.row(l("Статус", "Status"), for: "f-status", error: err("status"),
                       .select(.attr("name", "status"), .id("f-status"), .attribute(named: "form", value: "composer"),
                               .forEach(model.statuses) { .opt($0.key, $0.name(l.language), selected: $0.key == status) })),
            Layout.row(l("Исполнитель", "Assignee"), for: "f-assignee", error: err("assignee_id"),
                       .div(.class("with-button"),
                            .select(.attr("name", "assignee_id"), .id("f-assignee"), .attribute(named: "form", value: "composer"),
                                    .opt("", l("не назначен", "unassigned")),
                                    .forEach(model.staff) { .opt($0.value, $0.label, selected: $0.value == assignee) }),
                            .if(assignee != me, .button(.type(.button), .class("secondary"), .id("take-it"), .attr("data-me", me),
                                                        .t(l("Взять себе", "Take it")))))),
            Layout.row(l("Группа", "Group"), for: "f-group", error: err("group_id"),
                       .select(.attr("name", "group_id"), .id("f-group"), .attribute(named: "form", value: "composer"), .opt("", l("без группы", "no group")),
                               .forEach(model.groups) { .opt($0.value, $0.label, selected: $0.value == group) })),
            Layout.row(l("Приоритет", "Priority"), for: "f-priority", error: err("priority"),
                       .select(.attr("name", "priority"), .id("f-priority"), .attribute(named: "form", value: "composer"),
                               .forEach(TicketPriority.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0.rawValue == priority) })),
            slaClocks(model, ctx),
            .div(.class("actions"), .button(.type(.submit), .attribute(named: "form", value: "composer"), .name("action"), .value("save"),
                                            .class("secondary"), .id("fields-save"), .t(l("Сохранить поля", "Save the fields"))))
        )
    }

    /// The customer's answers to the intake questions; the unanswered ones are under "more fields".
    static func answersPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let answered = model.intake.filter { !(model.ticket.fields[$0.key] ?? "").isEmpty || model.posted["fields." + $0.key] != nil }
        guard !answered.isEmpty else { return .empty }
        return .div(.class("card answers"), .id("answers"),
                    .h2(.t(ctx.l("Ответы клиента", "The customer's answers"))),
                    .forEach(answered) { field in
                        IntakeInputs.row(field, value: shown(model, "fields." + field.key, model.ticket.fields[field.key]),
                                         error: model.errors["fields." + field.key], ctx.l, form: "composer")
                    })
    }

    /// The fields an agent changes less often, and the intake questions nobody answered.
    static func moreFields(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let t = model.ticket
        func err(_ key: String) -> String? { model.errors[key] }
        let unanswered = model.intake.filter { (t.fields[$0.key] ?? "").isEmpty && model.posted["fields." + $0.key] == nil }
        let keys = ["subject", "type", "urgency", "responsibility", "cause", "due_at"] + unanswered.map { "fields." + $0.key }
        let open = keys.contains { model.errors[$0] != nil }
        let type = shown(model, "type", t.type.rawValue)
        let urgency = shown(model, "urgency", t.urgency.map(String.init))
        let responsibility = shown(model, "responsibility", t.responsibility?.rawValue)
        return fold("more-fields", l("Ещё поля", "More fields"), .div(
            .class("card"),
            Layout.row(l("Тема", "Subject"), for: "f-subject", error: err("subject"),
                       .input(.type(.text), .name("subject"), .id("f-subject"), .attribute(named: "form", value: "composer"),
                              .attr("value", shown(model, "subject", t.subject)), .required(true))),
            Layout.row(l("Тип", "Type"), for: "f-type", error: err("type"),
                       .select(.attr("name", "type"), .id("f-type"), .attribute(named: "form", value: "composer"),
                               .forEach(TicketType.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0.rawValue == type) })),
            Layout.row(l("Срочность", "Urgency"), for: "f-urgency", error: err("urgency"),
                       .select(.attr("name", "urgency"), .id("f-urgency"), .attribute(named: "form", value: "composer"), .opt("", l("не указана", "not set")),
                               .forEach(Urgency.all) { .opt(String($0.level), "\($0.level) — " + $0.definition(l.language).prefix(60) + "…", selected: String($0.level) == urgency) })),
            Layout.row(l("Чья сторона", "Whose side"), for: "f-responsibility", error: err("responsibility"),
                       .select(.attr("name", "responsibility"), .id("f-responsibility"), .attribute(named: "form", value: "composer"), .opt("", l("не указано", "not set")),
                               .forEach(Responsibility.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0.rawValue == responsibility) })),
            Layout.row(l("Причина", "Cause"), for: "f-cause", error: err("cause"),
                       .input(.type(.text), .name("cause"), .id("f-cause"), .attribute(named: "form", value: "composer"), .attr("value", shown(model, "cause", t.cause)))),
            Layout.row(l("Срок (для задач)", "Due date (tasks)"), for: "f-due", error: err("due_at"),
                       .input(.type(.datetimeLocal), .name("due_at"), .id("f-due"), .attribute(named: "form", value: "composer"),
                              .attr("value", shown(model, "due_at", t.dueAt.map(l.localInput))))),
            .forEach(unanswered) { field in
                IntakeInputs.row(field, value: "", error: err("fields." + field.key), l, form: "composer")
            }
        ), open: open)
    }

    /// "Articles that may answer this": open one, or put its link into the reply.
    static func articlesPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(.class("card"), .id("kb-suggestions"),
                    .h2(.t(l("Статьи, которые могут помочь", "Articles that may answer this"))),
                    model.articles.isEmpty ? .p(.class("muted"), .t(l("Подходящих статей нет.", "No matching articles.")))
                        : .ul(.forEach(model.articles) { article in
                            .li(.a(.href(article.url), .attr("target", "_blank"), .t(article.title)),
                                .unwrap(article.publicURL) { url in
                                    .button(.type(.button), .class("link insert-link"), .attr("data-insert", article.title + ": " + url),
                                            .t(" " + l("↳ в ответ", "↳ into the reply")))
                                })
                        }),
                    .p(.a(.href(SitePath.agentKB.path), .t(l("Вся база знаний", "The whole knowledge base")))))
    }

    /// Search the knowledge base from the composer and insert an article's link or text.
    static func kbPicker(_ ctx: PageContext) -> Node<HTML.FormContext> {
        let l = ctx.l
        return .div(.class("field kb-picker"), .attr("data-search", SitePath.agentKBSearch.path),
                    .input(.type(.search), .class("kb-picker-q"), .id("kb-picker-q"), .attr("placeholder", l("Найти статью в базе знаний…", "Find an article in the knowledge base…")),
                           .attr("aria-label", l("Поиск по базе знаний", "Search the knowledge base")),
                           .attr("data-link", l("ссылка", "link")), .attr("data-text", l("текст", "text"))),
                    .ul(.class("kb-picker-results"), .id("kb-picker-results")))
    }

    /// The customer's rating and the latest resolution report (issue 18).
    static func qualityPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        guard model.resolution != nil || model.survey != nil else { return .empty }
        return .div(RatingView.badge(model.survey, ctx.l), .unwrap(model.resolution) { ResolutionView.card($0, ctx.l) })
    }

    /// The one form of the page: the reply or note, and (through their `form` attribute) the work
    /// panel's fields. A split button sends and moves the ticket on; Ctrl+Enter sends.
    static func composer(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let closed = model.statuses.first { $0.key == model.ticket.status }?.category == .closed
        let formStart: [Node<HTML.FormContext>] = [.class("composer" + (model.draftInternal ? " internal" : "")), .method(.post),
                                                   .action(SitePath.agentComment(model.ticket.number).path), .enctype(.multipartData), .id("composer"),
                                                   Layout.csrfField(ctx)]
        if closed {
            return .group(.div(.class("card muted"), .t(l("Заявка закрыта: новые ответы не принимаются.", "The ticket is closed: no more replies."))),
                          .form(.group(formStart)))
        }
        let public_ = !model.draftInternal
        // The statuses a reply may move the ticket to in one click: solved and waiting for the customer.
        let onward = [StatusCategory.solved, .pending].compactMap { category in model.statuses.first { $0.category == category && $0.key != model.ticket.status } }
        let modes: Node<HTML.FormContext> = .div(.class("modes"),
            .element(named: "label", nodes: [.input(.type(.radio), .name("visibility"), .value("public"), .id("mode-public"), .checked(public_)),
                                             .t(" " + l("Ответ клиенту", "Public reply"))]),
            .element(named: "label", nodes: [.input(.type(.radio), .name("visibility"), .value("internal"), .id("mode-internal"), .checked(!public_)),
                                             .t(" " + l("Внутренняя заметка", "Internal note"))]))
        let cannedOptions: [Node<HTML.SelectContext>] = model.canned.map { canned in
            .opt(canned.title, canned.title, attributes: [("data-body", canned.body)] + canned.sets.map { ("data-set-" + $0.key, $0.value) })
        }
        let tools: Node<HTML.FormContext> = .div(.class("composer-tools"),
            .if(!model.canned.isEmpty,
                .select(.attr("name", "canned"), .id("canned"), .attr("aria-label", l("Шаблон ответа", "Canned response")),
                        .opt("", l("Шаблон ответа…", "Canned response…")), .group(cannedOptions))),
            kbPicker(ctx))
        let text: Node<HTML.FormContext> = .textarea(
            .name("body"), .id("composer-body"), .rows(6), .attr("aria-label", l("Текст", "Text")),
            .attr("placeholder", l("Ответ клиенту… (Ctrl+Enter — отправить)", "Reply to the customer… (Ctrl+Enter sends)")),
            .attr("data-reply-placeholder", l("Ответ клиенту… (Ctrl+Enter — отправить)", "Reply to the customer… (Ctrl+Enter sends)")),
            .attr("data-note-placeholder", l("Заметка для коллег: клиент её не увидит", "A note for colleagues: the customer will not see it")),
            .t(model.draft))
        let answerOptions: [Node<HTML.SelectContext>] = [
            .opt("", l("Ответ без отметки", "A reply (not marked)"), selected: model.draftAnswer.isEmpty),
            .opt("solution", l("Решение", "A solution"), selected: model.draftAnswer == "solution"),
            .opt("promise", l("Обещание срока решения", "A promised solution time"), selected: model.draftAnswer == "promise"),
            .opt("refusal", l("Обоснованный отказ", "A reasoned refusal"), selected: model.draftAnswer == "refusal"),
        ]
        let promise: Node<HTML.FormContext> = .element(named: "label", nodes: [
            .class("answer-promise"), .if(model.draftAnswer != "promise", .attribute(named: "hidden", value: "hidden")),
            .t(l("Срок решения", "Solve by") + " "), .input(.type(.datetimeLocal), .name("promised_at"), .id("composer-promised"))])
        let refusal: Node<HTML.FormContext> = .input(
            .type(.text), .name("refusal_reason"), .id("composer-refusal"), .attr("maxlength", "500"), .class("answer-refusal"),
            .attribute(named: "hidden", value: model.draftAnswer != "refusal" ? "hidden" : ""),
            .attr("aria-label", l("Причина отказа", "Reason for the refusal")), .attr("placeholder", l("Причина отказа", "Reason for the refusal")))
        // Seed 000: the first answer is a solution, a promised date and time, or a reasoned refusal.
        // Only for a reply to the customer; the date and the reason only for their kind.
        let answerKind: Node<HTML.FormContext> = .div(
            .class("field answer-kind inline-row"), .id("answer-kind"), .if(!public_, .attribute(named: "hidden", value: "hidden")),
            .unwrap(model.errors["answer"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .select(.attr("name", "answer"), .id("composer-answer"), .attr("aria-label", l("Что это за ответ", "What this reply is")), .group(answerOptions)),
            promise, refusal)
        let onwardButtons: [Node<HTML.FormContext>] = onward.map { status in
            .button(.type(.submit), .class("primary onward"), .id("send-" + status.category.rawValue), .name("send_status"), .value(status.key),
                    .t(l("Отправить и → ", "Send and → ") + status.name(l.language)))
        }
        let actions: Node<HTML.FormContext> = .div(
            .class("actions split"),
            .button(.type(.submit), .class("primary"), .id("composer-send"), .name("action"), .value("send"), .t(l("Отправить", "Send"))),
            .group(onwardButtons),
            .span(.class("muted kbd"), .t(l("Ctrl+Enter — отправить", "Ctrl+Enter sends"))))
        let error: Node<HTML.FormContext> = .unwrap(model.errors["body"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) }
        let files: Node<HTML.FormContext> = .div(.class("field"), .input(.type(.file), .name("files"), .multiple(true), .attr("aria-label", l("Файлы", "Files"))))
        let resolution: Node<HTML.FormContext> = ResolutionView.fields(l, required: model.resolutionRequired, values: model.draftResolution, error: model.errors["resolution"])
        return .form(.group(formStart + [modes, error, tools, text, answerKind, files, resolution, actions]))
    }

    /// The SLA clocks in one line each: what, how it stands, when.
    static func slaClocks(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        guard !model.clocks.isEmpty else { return .empty }
        return .div(.class("sla-clocks"), .id("sla"), .element(named: "dl", nodes: model.clocks.flatMap { clock -> [Node<HTML.BodyContext>] in
            [.element(named: "dt", nodes: [.t(SLAWords.metric(clock.metric, l))]),
             .element(named: "dd", nodes: [
                .span(.class(clock.state == .breached ? "due overdue" : "due"), .t(SLAWords.state(clock, now: ctx.now, l))),
                .unwrap(clock.dueAt) { due in .span(.class("muted"), .attr("title", l.dateTime(due)), .t(" · " + l.dateTime(due))) },
             ])]
        }))
    }

    /// Hand-off (SPEC T8, seed 002): the route sets status and responsible and tells the customer its words.
    /// The known problem (SPEC P1): the linked one with "unlink", else the problems the subject finds
    /// with "link", another search, and registering a new one from this ticket.
    static func problemPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let number = model.ticket.number
        if let problem = model.problem {
            return .div(
                .class("card"), .id("problem-panel"),
                .h2(.t(l("Известная проблема", "Known problem"))),
                .p(.a(.href(SitePath.problem(problem.number).path), .id("linked-problem"), .t(problem.code + " · " + problem.title)),
                   .t(" · " + problem.statusName)),
                .unwrap(problem.estimate) { .p(.class("muted"), .t(l("Срок: ", "Estimate: ") + $0)) },
                .form(.method(.post), .action(SitePath.ticketProblem(number).path), Layout.csrfField(ctx),
                      .input(.type(.hidden), .name("action"), .value("unlink")),
                      .button(.type(.submit), .class("secondary"), .id("problem-unlink"), .t(l("Отвязать", "Unlink"))))
            )
        }
        return .div(
            .class("card"), .id("problem-panel"),
            .h2(.t(l("Известная проблема", "Known problem"))),
            .form(.method(.get), .action(SitePath.agentTicket(number).path),
                  .input(.type(.search), .name("problem_q"), .id("problem-search"), .attr("aria-label", l("Найти проблему", "Find a problem")),
                         .attr("placeholder", l("Слова или номер P-…", "Words or a number P-…")))),
            .if(model.problemCandidates.isEmpty, .p(.class("muted"), .t(l("Похожих проблем не найдено.", "No similar problems found.")))),
            .ul(.class("problem-candidates"), .forEach(model.problemCandidates) { problem in
                .li(.form(.method(.post), .action(SitePath.ticketProblem(number).path), Layout.csrfField(ctx),
                          .input(.type(.hidden), .name("problem"), .value(problem.code)),
                          .a(.href(SitePath.problem(problem.number).path), .t(problem.code)), .t(" " + problem.title + " · " + problem.statusName + " "),
                          .button(.type(.submit), .class("secondary"), .attr("data-problem", problem.code), .t(l("Связать", "Link")))))
            }),
            .element(named: "details", nodes: [
                .element(named: "summary", nodes: [.t(l("Зарегистрировать новую", "Register a new one"))]),
                ProblemsView.createForm(ProblemInput(kind: .bug, title: model.ticket.subject), errors: [:], ticketNumber: number, ctx),
            ])
        )
    }

    static func routePanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        guard !model.routes.isEmpty else { return .empty }
        let options: [Node<HTML.SelectContext>] = model.routes.map { route in
            .opt(route.key, route.name + (route.paidOnly ? l(" (только платные)", " (paid plans only)") : ""),
                 attributes: [("data-hint", route.agentHint ?? ""), ("data-message", l.language == .ru ? route.messageRu : route.messageEn)])
        }
        return .form(
            .class("card"), .method(.post), .action(SitePath.agentRoute(model.ticket.number).path), .id("route-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Передать заявку", "Hand off"))),
            .unwrap(model.errors["route"]) { .div(.class("errors"), .attr("role", "alert"), .id("route-error"), .t($0)) },
            .select(.attr("name", "route"), .id("route-select"), .attr("aria-label", l("Маршрут", "Route")), .group(options)),
            .ul(.class("muted route-texts"), .forEach(model.routes) { route in
                .li(.strong(.t(route.name + ": ")), .t("«" + (l.language == .ru ? route.messageRu : route.messageEn) + "»"),
                    .unwrap(route.agentHint) { .div(.class("hint"), .t($0)) })
            }),
            .textarea(.name("note"), .id("route-note"), .rows(2), .attr("aria-label", l("Скрытый комментарий", "Internal note")),
                      .attr("placeholder", l("Скрытый комментарий (необязательно)", "Internal note (optional)"))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("route-send"), .t(l("Передать", "Hand off"))))
        )
    }

    /// What the customer's "contract or login" answer says about the account (seed 002: check that it
    /// is correct): not in the directory, several organizations, another organization than the
    /// ticket's, or the organization of a customer not yet placed in one, with "place" for dispatchers.
    static func accountReference(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        guard let account = model.account, let reference = account.reference else { return .empty }
        let names = reference.organizations.map { "«" + $0.name + "»" }.joined(separator: ", ")
        let said = "«" + reference.value + "»"
        func notice(_ text: String, _ extra: Node<HTML.BodyContext> = .empty) -> Node<HTML.BodyContext> {
            .div(.class("notice warning banner"), .id("account-reference"), .attr("role", "status"), .t(text), extra)
        }
        switch (reference.state, account.source) {
        case ("not_found", _):
            return notice(l("Договор или логин \(said) из заявки не найден в справочнике: уточните его у клиента.",
                            "The contract or login \(said) given in the request is not in the directory: check it with the customer."))
        case ("ambiguous", _):
            return notice(l("Договор или логин \(said) есть у нескольких организаций: \(names).",
                            "The contract or login \(said) belongs to several organizations: \(names)."))
        case (_, "reference"):
            let organization = reference.organizations.first?.name ?? ""
            let place: Node<HTML.BodyContext> = account.canPlace
                ? .form(.method(.post), .action(SitePath.agentPlace(model.ticket.number).path), .id("place-form"), .class("inline"),
                        Layout.csrfField(ctx),
                        .button(.type(.submit), .id("place-requester"),
                                .t(l("Привязать клиента к «\(organization)»", "Place the customer in “\(organization)”"))))
                : .empty
            return notice(l("Клиент не привязан к организации. По договору или логину \(said) это \(names).",
                            "The customer is not in an organization. The contract or login \(said) is \(names)."), place)
        case _ where account.referenceMismatch:
            return notice(l("Договор или логин \(said) из заявки принадлежит другой организации: \(names), а не «\(account.organization?.name ?? "")».",
                            "The contract or login \(said) given in the request belongs to another organization: \(names), not “\(account.organization?.name ?? "")”."))
        default:
            return .empty
        }
    }

    /// Seed 001's remark for a customer who leaves the business tone; a repeat offence offers a ban.
    static func conductPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(
            .class("card"), .method(.post), .action(SitePath.agentWarning(model.ticket.number).path), .id("conduct-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Нарушение делового стиля", "Conduct"))),
            .p(.class("muted"), .id("conduct-count"),
               .t(model.warnings == 0 ? l("Замечаний клиенту не было.", "No warnings so far.")
                  : l("Замечаний клиенту: \(model.warnings).", "Warnings so far: \(model.warnings)."))),
            .div(.class("actions"),
                 .button(.type(.submit), .name("action"), .value("warn"), .id("conduct-warn"), .t(l("Сделать замечание", "Warn the customer"))),
                 .if(model.warnings > 0, .button(.type(.submit), .name("action"), .value("ban"), .class("secondary"), .id("conduct-ban"),
                                                 .t(l("Запросить бан (повторное нарушение)", "Ask for a ban (repeat offence)")))))
        )
    }

    /// Planning the work (SPEC S4): the estimate, the specialist, the earliest free slot and the date promised to the customer.
    static func planPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let number = model.ticket.number
        let chosen = model.proposal.map { String($0.user.id) } ?? model.ticket.assignee.map { String($0.id) }
        return .div(
            .class("card"), .id("plan"),
            .h2(.t(l("Планирование", "Planning"))),
            .if(!model.slots.isEmpty, .ul(.class("slots"), .forEach(model.slots) { slot in
                .li(.t(slot.user.name + ": " + l.dateTime(slot.startsAt) + " — " + l.dateTime(slot.endsAt) + " (\(l.minutes(slot.minutes)))"))
            })),
            .unwrap(model.errors["plan"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .unwrap(model.proposal) { p in
                .p(.id("plan-proposal"), .t(l("Свободно: ", "Free: ") + p.user.name + ", " + l.dateTime(p.startsAt) + " — " + l.dateTime(p.endsAt)))
            },
            .form(.method(.post), .action(SitePath.agentPlan(number).path), .id("plan-form"),
                  Layout.csrfField(ctx),
                  Layout.row(l("Оценка, минут", "Estimate, minutes"), for: "plan-minutes", error: nil,
                             .input(.type(.number), .name("minutes"), .id("plan-minutes"), .attr("min", "1"), .attr("max", String(WorkloadService.maxMinutes)),
                                    .attr("value", model.proposal.map { String($0.minutes) } ?? ""), .required(true))),
                  Layout.row(l("Специалист", "Specialist"), for: "plan-user", error: nil,
                             .select(.attr("name", "user_id"), .id("plan-user"),
                                     .forEach(model.staff) { .opt($0.value, $0.label, selected: $0.value == chosen) })),
                  .element(named: "label", nodes: [.input(.type(.checkbox), .name("tell_customer"), .value("1"), .id("plan-tell"), .checked(true)),
                                                   .t(" " + l("Сообщить клиенту срок решения", "Tell the customer the solution time"))]),
                  .div(.class("actions"),
                       .button(.type(.submit), .name("action"), .value("propose"), .id("plan-propose"), .t(l("Найти время", "Find a slot"))),
                       .button(.type(.submit), .name("action"), .value("book"), .class("primary"), .id("plan-book"),
                               .t(l("Запланировать", "Plan it"))))),
            .p(.a(.href(SitePath.workload.path + (model.ticket.assignee.map { "?user_id=\($0.id)" } ?? "")),
                  .t(l("Календарь загрузки →", "Workload calendar →"))))
        )
    }

    static func requesterCard(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let r = model.requester
        var rows: [(String, String)] = [(l("Имя", "Name"), r.name), (l("Почта", "Email"), r.email)]
        if let phone = r.phone { rows.append((l("Телефон", "Phone"), phone)) }
        if let org = r.organization { rows.append((l("Организация", "Organization"), org)) }
        if let inn = r.inn { rows.append((l("ИНН", "INN"), inn)) }
        if let contract = r.contract { rows.append((l("Договор", "Contract"), contract)) }
        if let plan = r.plan { rows.append((l("Тариф", "Plan"), PhoneView.planName(plan, l))) }
        return .div(
            .class("card"), .id("requester"),
            .h2(.t(l("Клиент", "Requester"))),
            .unwrap(model.ban) { ban in
                .div(.class("notice error banner ban-banner"), .id("requester-banned"), .attr("role", "alert"),
                     .strong(.t(l("Клиент заблокирован (бан)", "The customer is banned") + (ban.endsAt.map { l(" до ", " until ") + l.dateTime($0) } ?? "") + ". ")),
                     .t(l("Причина: ", "Reason: ") + ban.reason + ". " + l("Его письма уходят в карантин, портал и API ему закрыты.",
                                                                          "Their mail goes to quarantine; the portal and the API refuse them.")),
                     .if(ctx.signedIn?.viewer.role.can(.manageBans) == true,
                         .a(.href(SitePath.adminBans.path), .t(" " + l("Баны →", "Bans →")))))
            },
            .element(named: "dl", nodes: rows.flatMap { [Node<HTML.BodyContext>.element(named: "dt", nodes: [.t($0.0)]), .element(named: "dd", nodes: [.t($0.1)])] }),
            .h2(.t(l("Другие заявки", "Other tickets"))),
            r.otherTickets.isEmpty ? .p(.class("muted"), .t(l("Нет", "None")))
                : .ul(.forEach(r.otherTickets) { other in
                    .li(.a(.href(SitePath.agentTicket(other.number).path), .t("№\(other.number) " + other.subject)), .t(" · " + other.status))
                })
        )
    }
}
