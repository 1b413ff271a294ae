import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The agent's ticket page: model.
struct AgentTicketModel: Sendable {
    struct Requester: Sendable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let organization: String?
        let inn: String?
        let contract: String?
        let plan: String?
        let otherTickets: [(number: Int, subject: String, status: String)]
    }

    struct Canned: Sendable {
        let title: String
        let body: String
    }

    let ticket: TicketDTO
    let timeline: TimelineModel
    let requester: Requester
    let statuses: [StatusDefinition]
    let staff: [QueueModel.Option]
    let groups: [QueueModel.Option]
    let intake: [IntakeFieldDefinition]
    let canned: [Canned]
    let clocks: [SLAClockDTO]
    /// Hand-off routes (SPEC T8).
    var routes: [RouteDTO] = []
    /// Whose account the ticket is on, the customer's "contract or login" answer looked up, and the
    /// failing account checks (SPEC A3).
    var account: TicketAccountDTO?
    var checks: [AccountCheckDTO] { account?.checks ?? [] }
    /// Conduct warnings the customer has had (SPEC V8).
    var warnings = 0
    /// Work planned for this ticket (SPEC S4), and a proposal when the agent asked for one.
    var slots: [WorkSlotDTO] = []
    var proposal: PlanDTO?
    /// Calls and pending callbacks (SPEC C5), and the number to call: the ticket's phone, else the customer's.
    var calls: [CallDTO] = []
    var callbacks: [CallbackDTO] = []
    var phone: String?
    var errors: [String: String] = [:]
    var draft = ""
    var draftInternal = false
    var draftAnswer = ""
}

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
                .aside(.class("side"), routePanel(model, ctx), phonePanel(model, ctx), conductPanel(model, ctx), fieldsPanel(model, ctx), slaPanel(model, ctx), planPanel(model, ctx),
                       requesterCard(model, ctx))
            )
        )
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
            .element(named: "dl", nodes: rows.flatMap { [Node<HTML.BodyContext>.element(named: "dt", nodes: [.t($0.0)]), .element(named: "dd", nodes: [.t($0.1)])] }),
            .h2(.t(l("Другие заявки", "Other tickets"))),
            r.otherTickets.isEmpty ? .p(.class("muted"), .t(l("Нет", "None")))
                : .ul(.forEach(r.otherTickets) { other in
                    .li(.a(.href(SitePath.agentTicket(other.number).path), .t("№\(other.number) " + other.subject)), .t(" · " + other.status))
                })
        )
    }
}

/// Agent ticket page, reply/note, field edits.
enum AgentTicketController {
    static func load(_ number: Int, request: Request) async throws -> AgentTicketModel {
        let signedIn = try QueueController.requireStaff(request)
        let sql = try request.sql
        let row = try await TicketQueries.load(number: number, viewer: signedIn.viewer, on: sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let language = request.language
        let ticket = row.dto(signedIn.viewer, catalog, language)
        let comments = try await ConversationService.comments(of: row, viewer: signedIn.viewer, request: request)
        let events = try await ConversationService.events(of: row, viewer: signedIn.viewer, request: request)
        let staff = try await QueueController.staffOptions(request: request)
        var people = Dictionary(staff.compactMap { option in Int(option.value).map { ($0, option.label) } }, uniquingKeysWith: { a, _ in a })
        people[ticket.requester.id] = ticket.requester.name
        let statusNames = Dictionary(catalog.statuses.map { ($0.key, $0.name(language)) }, uniquingKeysWith: { a, _ in a })
        guard let person = try await sql.raw("""
            SELECT u.id, u.name, u.email, u.phone, o.name AS org, o.inn, o.contract_number, o.plan
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = \(bind: ticket.requester.id)
            """).first() else { throw NotFoundPage() }
        let others = try await sql.raw("""
            SELECT number, subject, status FROM tickets WHERE requester_id = \(bind: ticket.requester.id) AND number <> \(bind: number)
            ORDER BY number DESC LIMIT 10
            """).all().map { (number: try $0.decode(column: "number", as: Int.self), subject: try $0.decode(column: "subject", as: String.self),
                              status: statusNames[try $0.decode(column: "status", as: String.self)] ?? "") }
        let requester = AgentTicketModel.Requester(
            id: ticket.requester.id, name: try person.decode(column: "name", as: String.self), email: try person.decode(column: "email", as: String.self),
            phone: try person.decode(column: "phone", as: String?.self), organization: try person.decode(column: "org", as: String?.self),
            inn: try person.decode(column: "inn", as: String?.self), contract: try person.decode(column: "contract_number", as: String?.self),
            plan: try person.decode(column: "plan", as: String?.self), otherTickets: others)
        let canned = try await CannedService.list(request: request).map { AgentTicketModel.Canned(title: $0.title, body: $0.body) }
        let calendars = try await request.services.sla.setup(sql).calendars
        let clocks = try await SLAClocks.dto(ticketID: row.id, at: Date(), calendars: calendars, on: sql)
        var timeline = TimelineModel(comments: comments, events: events, statusNames: statusNames, peopleNames: people)
        for mail in try await sql.raw("SELECT id, comment_id FROM mail_inbound WHERE ticket_id = \(bind: row.id) AND comment_id IS NOT NULL").all() {
            timeline.mailMessages[try mail.decode(column: "comment_id", as: Int.self)] = try mail.decode(column: "id", as: Int.self)
        }
        let slots = try await sql.raw("""
            SELECT s.id, s.user_id, u.name, s.starts_at, s.ends_at, s.minutes, s.note FROM work_slots s JOIN users u ON u.id = s.user_id
            WHERE s.ticket_id = \(bind: row.id) ORDER BY s.starts_at
            """).all().map { slot in
            WorkSlotDTO(id: try slot.decode(column: "id", as: Int.self),
                        user: PersonRef(id: try slot.decode(column: "user_id", as: Int.self), name: try slot.decode(column: "name", as: String.self)),
                        ticketNumber: number, subject: nil, startsAt: try slot.decode(column: "starts_at", as: Date.self),
                        endsAt: try slot.decode(column: "ends_at", as: Date.self), minutes: try slot.decode(column: "minutes", as: Int.self),
                        note: try slot.decode(column: "note", as: String?.self))
        }
        let routes = try await RoutingService.routes(on: sql)
        let calls = try await PhoneService.calls(number: number, request: request)
        let callbacks = try await PhoneService.callbacks(due: false, assigneeID: nil, ticketNumber: number, request: request)
        timeline.routeNames = Dictionary(routes.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
        return AgentTicketModel(
            ticket: ticket,
            timeline: timeline,
            requester: requester, statuses: catalog.statuses, staff: staff, groups: try await QueueController.groupOptions(request: request),
            intake: catalog.intake, canned: canned, clocks: clocks, routes: routes.filter(\.active),
            account: try await TicketAccountService.account(of: row, language: language, request: request),
            warnings: try await ConductService.warningsBefore(requesterID: ticket.requester.id, on: sql), slots: slots,
            calls: calls, callbacks: callbacks, phone: ticket.fields["phone"].flatMap { PhoneNumber.normalize($0) } ?? requester.phone)
    }

    static func show(_ request: Request) async throws -> Response {
        let number = try PortalController.number(request)
        let model = try await load(number, request: request)
        let ctx = PageContext(request)
        return Layout.render("№\(number) · " + model.ticket.subject, ctx, AgentTicketView.render(model, ctx))
    }

    static func comment(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let body = form.value("body") ?? ""
        let isPublic = form.value("visibility") != "internal"
        let answer = isPublic ? form.text("answer") : nil
        var uploads: [AttachmentRecord] = []
        do {
            var promised: Date?
            if answer == "promise", let raw = form.text("promised_at") {
                promised = PageContext(request).l.parseLocalInput(raw)
                if promised == nil { throw ZayavkaError.validation([FieldError("promised_at", .invalid)]) }
            }
            uploads = try await StreamedForm.record(form.files, uploaderID: signedIn.viewer.userID, request: request)
            _ = try await ConversationService.addComment(
                number: number, input: CommentInput(body: body, public: isPublic, attachments: uploads.map(\.publicID), status: form.text("status"),
                                                    answer: answer, promisedAt: promised, refusalReason: form.text("refusal_reason")),
                source: .web, request: request)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=" + (isPublic ? "replied" : "noted"))
        } catch ZayavkaError.validation(let errors) {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            let ctx = PageContext(request)
            var model = try await load(number, request: request)
            model.draft = body
            model.draftInternal = !isPublic
            model.draftAnswer = answer ?? ""
            let answerFields: Set<String> = ["answer", "promised_at", "refusal_reason"]
            let answerErrors = errors.filter { answerFields.contains($0.field) }
            func label(_ field: String) -> String {
                switch field {
                case "promised_at": ctx.l("Срок решения", "Solve by")
                case "refusal_reason": ctx.l("Причина отказа", "Reason for the refusal")
                default: ctx.l("Вид ответа", "Kind of reply")
                }
            }
            if !answerErrors.isEmpty {
                model.errors["answer"] = answerErrors.map { label($0.field) + ": " + ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
            }
            let others = errors.filter { !answerFields.contains($0.field) }
            if !others.isEmpty { model.errors["body"] = others.map { ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ") }
            if errors.contains(where: { $0.field == "body" }) { model.errors["body"] = ctx.l("Напишите текст.", "Please write the text.") }
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        }
    }

    static func warning(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let result = try await ConductService.warn(number: number, WarningInput(requestBan: form.text("action") == "ban"), request: request)
        let notice = result.banRequested ? "ban-requested" : (result.banOffered ? "warned-again" : "warned")
        return request.redirect(to: SitePath.agentTicket(number).path + "?notice=" + notice)
    }

    /// Places the customer in the organization their "contract or login" answer names.
    static func place(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        _ = try await WebForms.read(request)
        _ = try await TicketAccountService.place(number: number, request: request)
        return request.redirect(to: SitePath.agentTicket(number).path + "?notice=placed")
    }

    /// Hand-off along a route; a refusal (a paid-only route for a free-plan customer) comes back on the page.
    static func route(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        do {
            _ = try await RoutingService.route(number: number, RouteRequest(route: form.text("route") ?? "", note: form.value("note")), request: request)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=routed")
        } catch ZayavkaError.validation(let problems) {
            var model = try await load(number, request: request)
            let routeName = model.routes.first { $0.key == form.text("route") }?.name ?? ""
            model.errors["route"] = problems.map { problem in
                problem.code == .paidPlanOnly
                    ? ctx.l("Маршрут «\(routeName)» — только для клиентов на платном тарифе; у этого клиента бесплатный тариф или тариф не указан.",
                            "The route “\(routeName)” is only for customers on a paid plan; this customer's plan is free or not set.")
                    : ctx.l("Маршрут", "Route") + ": " + ctx.l.localizer.fieldMessage(problem)
            }.joined(separator: "; ")
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        }
    }

    /// Planning: "Find a slot" shows the earliest free one; "Plan it" books it and tells the customer.
    static func plan(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let minutes = form.text("minutes").flatMap(Int.init)
        let user = form.text("user_id").flatMap(Int.init)
        do {
            if form.text("action") == "propose" {
                var model = try await load(number, request: request)
                model.proposal = try await WorkloadService.propose(number: number, minutes: minutes, userID: user, notBefore: nil, request: request)
                return Layout.render("№\(number)", ctx, AgentTicketView.render(model, ctx))
            }
            _ = try await WorkloadService.plan(number: number, input: PlanInput(minutes: minutes ?? 0, userId: user, notBefore: nil,
                                                                                 tellCustomer: form.text("tell_customer") != nil, note: nil),
                                               request: request)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=planned")
        } catch ZayavkaError.validation(let problems) {
            var model = try await load(number, request: request)
            model.errors["plan"] = problems.map { ($0.field == "minutes" ? ctx.l("Оценка", "Estimate") : ctx.l("Специалист", "Specialist"))
                + ": " + ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        }
    }

    /// Saves the side panel: only fields that changed become a patch (and a history entry).
    static func fields(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        // Only the ticket to compare with; the whole page is loaded again only to show errors.
        let t = try await TicketQueries.dto(number: number, request: request)
        let intake = try await request.services.catalog.snapshot(request.database).intake
        let ctx = PageContext(request)
        var patch = TicketPatchInput()
        var errors: [String: String] = [:]
        if let subject = form.value("subject"), subject != t.subject { patch.subject = subject }
        if let status = form.text("status"), status != t.status { patch.status = status }
        let assignee = form.text("assignee_id").flatMap(Int.init)
        if assignee != t.assignee?.id { patch.assigneeId = .some(assignee) }
        let group = form.text("group_id").flatMap(Int.init)
        if group != t.group?.id { patch.groupId = .some(group) }
        if let type = form.text("type").flatMap(TicketType.init(rawValue:)), type != t.type { patch.type = type }
        if let priority = form.text("priority").flatMap(TicketPriority.init(rawValue:)), priority != t.priority { patch.priority = priority }
        let urgency = form.text("urgency").flatMap(Int.init)
        if urgency != t.urgency { patch.urgency = .some(urgency.flatMap(Urgency.init)) }
        let responsibility = form.text("responsibility").flatMap(Responsibility.init(rawValue:))
        if responsibility != t.responsibility { patch.responsibility = .some(responsibility) }
        let cause = form.text("cause")
        if cause != t.cause { patch.cause = .some(cause) }
        var due: Date?
        if let raw = form.text("due_at") {
            due = ctx.l.parseLocalInput(raw)
            if due == nil { errors["due_at"] = ctx.l.localizer.fieldMessage(FieldError("due_at", .invalid)) }
        }
        if due.map({ Int($0.timeIntervalSince1970 / 60) }) != t.dueAt.map({ Int($0.timeIntervalSince1970 / 60) }), errors["due_at"] == nil {
            patch.dueAt = .some(due)
        }
        var fieldChanges: [String: String?] = [:]
        for field in intake {
            let value = form.text("fields." + field.key)
            if value != t.fields[field.key] { fieldChanges[field.key] = .some(value) }
        }
        if !fieldChanges.isEmpty { patch.fields = fieldChanges }
        if errors.isEmpty {
            do {
                _ = try await TicketService.update(number: number, input: patch, request: request)
                return request.redirect(to: SitePath.agentTicket(number).path + "?notice=saved")
            } catch ZayavkaError.validation(let problems) {
                for problem in problems { errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            } catch let error as ZayavkaError {
                errors["_form"] = ctx.l.localizer.message(for: error)
            }
        }
        var model = try await load(number, request: request)
        model.errors = errors
        if model.errors["_form"] == nil {
            model.errors["_form"] = ctx.l("Изменения не сохранены: проверьте поля.", "Nothing was saved: please check the fields.")
        }
        return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
    }
}
