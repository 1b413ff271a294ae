import Foundation
import Plot
import Vapor
import ZayavkaCore

/// The agent's ticket page: view.
enum AgentTicketView {
    static func render(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let ticket = model.ticket
        let closed = model.statuses.first { $0.key == ticket.status }?.category == .closed
        return .group(
            .p(.a(.href(SitePath.agent.path), .t("← " + l("К очереди", "Back to the queue")))),
            .h1(.t("№\(ticket.number) · " + ticket.subject)),
            .p(.span(.class("badge \(ticket.status)"), .id("status"), .t(ticket.statusName)), .t(" "),
               .span(.class("badge \(ticket.priority.rawValue)"), .t(l.localizer.name(ticket.priority))), .t(" "),
               .span(.class("muted"), .t(l.localizer.name(ticket.channel) + " · " + l("создана", "filed") + " " + l.dateTime(ticket.createdAt)
                                         + " (" + l.age(since: ticket.createdAt, now: ctx.now) + ")"))),
            .forEach(model.checks) { check in
                .div(.class("notice error banner"), .id("check-" + check.kind), .attr("role", "alert"),
                     .strong(.t(check.organization.name + ": " + check.message)), .t(" " + check.nextStep))
            },
            accountReference(model, ctx),
            .div(
                .class("ticket"),
                .div(
                    TimelineView.render(model.timeline, ctx),
                    closed ? .div(.class("card muted"), .t(l("Заявка закрыта: новые ответы не принимаются.", "The ticket is closed: no more replies.")))
                        : composer(model, ctx)
                ),
                .aside(.class("side"), qualityPanel(model, ctx), articlesPanel(model, ctx), problemPanel(model, ctx), routePanel(model, ctx), phonePanel(model, ctx), conductPanel(model, ctx), fieldsPanel(model, ctx), slaPanel(model, ctx), planPanel(model, ctx),
                       requesterCard(model, ctx))
            )
        )
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

    static func composer(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(
            .class("composer"), .method(.post), .action(SitePath.agentComment(model.ticket.number).path), .enctype(.multipartData), .id("composer"),
            Layout.csrfField(ctx),
            .div(.class("modes"),
                 .element(named: "label", nodes: [.input(.type(.radio), .name("visibility"), .value("public"), .id("mode-public"), .checked(!model.draftInternal)),
                                                  .t(" " + l("Ответ клиенту", "Public reply"))]),
                 .element(named: "label", nodes: [.input(.type(.radio), .name("visibility"), .value("internal"), .id("mode-internal"), .checked(model.draftInternal)),
                                                  .t(" " + l("Внутренняя заметка", "Internal note"))])),
            .unwrap(model.errors["body"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .if(!model.canned.isEmpty, .div(.class("field"),
                .select(.attr("name", "canned"), .id("canned"), .attr("aria-label", l("Шаблон ответа", "Canned response")),
                        .opt("", l("Вставить шаблон ответа…", "Insert a canned response…")),
                        .forEach(model.canned) { .opt($0.title, $0.title, attributes: [("data-body", $0.body)]) }))),
            kbPicker(ctx),
            .textarea(.name("body"), .id("composer-body"), .required(true), .rows(6), .attr("aria-label", l("Текст", "Text")), .t(model.draft)),
            // Seed 000: the first answer is a solution, a promised date and time, or a reasoned refusal.
            .div(.class("field answer-kind"),
                 .unwrap(model.errors["answer"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                 .select(.attr("name", "answer"), .id("composer-answer"), .attr("aria-label", l("Что это за ответ", "What this reply is")),
                         .opt("", l("Ответ без отметки", "A reply (not marked)"), selected: model.draftAnswer.isEmpty),
                         .opt("solution", l("Решение", "A solution"), selected: model.draftAnswer == "solution"),
                         .opt("promise", l("Обещание срока решения", "A promised solution time"), selected: model.draftAnswer == "promise"),
                         .opt("refusal", l("Обоснованный отказ", "A reasoned refusal"), selected: model.draftAnswer == "refusal")),
                 .element(named: "label", nodes: [.t(l("Срок решения", "Solve by") + " "),
                                                  .input(.type(.datetimeLocal), .name("promised_at"), .id("composer-promised"))]),
                 .input(.type(.text), .name("refusal_reason"), .id("composer-refusal"), .attr("maxlength", "500"),
                        .attr("placeholder", l("Причина отказа", "Reason for the refusal")))),
            .div(.class("field"), .input(.type(.file), .name("files"), .multiple(true), .attr("aria-label", l("Файлы", "Files")))),
            ResolutionView.fields(l, required: model.resolutionRequired, values: model.draftResolution, error: model.errors["resolution"]),
            .div(.class("actions"),
                 .select(.attr("name", "status"), .id("composer-status"), .attr("aria-label", l("Статус после отправки", "Status after sending")),
                         .opt("", l("статус не менять", "keep the status")),
                         .forEach(model.statuses.filter { $0.key != model.ticket.status && $0.category != .new && $0.category != .closed }) {
                             .opt($0.key, l("и перевести в «", "and set to “") + $0.name(l.language) + l("»", "”"))
                         }),
                 .button(.type(.submit), .class("primary"), .id("composer-send"), .t(l("Отправить", "Send"))))
        )
    }

    static func fieldsPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let t = model.ticket
        func err(_ key: String) -> String? { model.errors[key] }
        let dueValue = t.dueAt.map(l.localInput) ?? ""
        return .form(
            .class("card"), .method(.post), .action(SitePath.agentFields(t.number).path), .id("fields-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Поля заявки", "Ticket fields"))),
            .unwrap(model.errors["_form"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            Layout.row(l("Тема", "Subject"), for: "f-subject", error: err("subject"),
                       .input(.type(.text), .name("subject"), .id("f-subject"), .attr("value", t.subject), .required(true))),
            Layout.row(l("Статус", "Status"), for: "f-status", error: err("status"),
                       .select(.attr("name", "status"), .id("f-status"), .forEach(model.statuses) { .opt($0.key, $0.name(l.language), selected: $0.key == t.status) })),
            Layout.row(l("Ответственный", "Assignee"), for: "f-assignee", error: err("assignee_id"),
                       .select(.attr("name", "assignee_id"), .id("f-assignee"), .opt("", l("не назначен", "unassigned")),
                               .forEach(model.staff) { .opt($0.value, $0.label, selected: $0.value == t.assignee.map { String($0.id) }) })),
            Layout.row(l("Группа", "Group"), for: "f-group", error: err("group_id"),
                       .select(.attr("name", "group_id"), .id("f-group"), .opt("", "—"),
                               .forEach(model.groups) { .opt($0.value, $0.label, selected: $0.value == t.group.map { String($0.id) }) })),
            Layout.row(l("Тип", "Type"), for: "f-type", error: err("type"),
                       .select(.attr("name", "type"), .id("f-type"), .forEach(TicketType.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == t.type) })),
            Layout.row(l("Приоритет", "Priority"), for: "f-priority", error: err("priority"),
                       .select(.attr("name", "priority"), .id("f-priority"), .forEach(TicketPriority.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == t.priority) })),
            Layout.row(l("Срочность", "Urgency"), for: "f-urgency", error: err("urgency"),
                       .select(.attr("name", "urgency"), .id("f-urgency"), .opt("", "—"),
                               .forEach(Urgency.all) { .opt(String($0.level), "\($0.level) — " + $0.definition(l.language).prefix(60) + "…", selected: $0.level == t.urgency) })),
            Layout.row(l("Ответственность", "Responsibility"), for: "f-responsibility", error: err("responsibility"),
                       .select(.attr("name", "responsibility"), .id("f-responsibility"), .opt("", "—"),
                               .forEach(Responsibility.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == t.responsibility) })),
            Layout.row(l("Причина", "Cause"), for: "f-cause", error: err("cause"),
                       .input(.type(.text), .name("cause"), .id("f-cause"), .attr("value", t.cause ?? ""))),
            Layout.row(l("Срок (для задач)", "Due date (tasks)"), for: "f-due", error: err("due_at"),
                       .input(.type(.datetimeLocal), .name("due_at"), .id("f-due"), .attr("value", dueValue))),
            .forEach(model.intake) { field in
                IntakeInputs.row(field, value: t.fields[field.key] ?? "", error: err("fields." + field.key), l)
            },
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("fields-save"), .t(l("Сохранить", "Save"))))
        )
    }

    static func slaPanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        guard !model.clocks.isEmpty else { return .empty }
        func metric(_ m: SLAMetric) -> String {
            switch m {
            case .firstResponse: l("Первый ответ", "First response")
            case .nextResponse: l("Следующий ответ", "Next response")
            case .resolution: l("Решение", "Resolution")
            case .promise: l("Обещанный срок", "Promised time")
            }
        }
        func state(_ s: SLAState) -> String {
            switch s {
            case .running: l("идёт", "running")
            case .warning: l("скоро срок", "due soon")
            case .breached: l("нарушен", "breached")
            case .paused: l("на паузе", "paused")
            case .achieved: l("выполнен", "met")
            case .missed: l("выполнен с опозданием", "met late")
            }
        }
        return .div(.class("card"), .id("sla"), .h2(.t("SLA")), .element(named: "dl", nodes: model.clocks.flatMap { clock -> [Node<HTML.BodyContext>] in
            [.element(named: "dt", nodes: [.t(metric(clock.metric))]),
             .element(named: "dd", nodes: [
                .span(.class(clock.state == .breached ? "due overdue" : "due"), .t(state(clock.state))),
                .unwrap(clock.dueAt) { due in .div(.attr("title", l.dateTime(due)), .t(l.dateTime(due) + " · " + l.due(due, now: ctx.now))) },
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
            .textarea(.name("note"), .id("route-note"), .rows(2), .attr("placeholder", l("Скрытый комментарий (необязательно)", "Internal note (optional)"))),
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
        if let plan = r.plan { rows.append((l("Тариф", "Plan"), plan)) }
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
