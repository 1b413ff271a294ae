import Foundation
import Plot
import Vapor
import ZayavkaCore

/// The known-problems backlog (SPEC P1, P2): a list by popularity with filters, a form to register
/// a problem, and one problem's page to change it, announce news to everyone it concerns, and see
/// its tickets and history.
struct ProblemListModel: Sendable {
    var items: [ProblemDTO]
    var query: String
    var kind: ProblemKind?
    var status: ProblemStatus?
    var sort: ProblemPopularity.SortKey?
    var draft = ProblemInput()
    var errors: [String: String] = [:]
}

struct ProblemPageModel: Sendable {
    var problem: ProblemDTO
    var tickets: [ProblemTicketDTO]
    var events: [ProblemEventDTO]
    var groups: [QueueModel.Option]
    var staff: [QueueModel.Option]
    var errors: [String: String] = [:]
}

enum ProblemsView {
    static func kindName(_ kind: ProblemKind, _ l: L) -> String { kind.name(l.language) }

    static func list(_ model: ProblemListModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(l("Известные проблемы", "Known problems"))),
            .form(
                .class("filters"), .method(.get), .action(SitePath.problems.path), .id("problem-filters"),
                .input(.type(.search), .name("q"), .id("problem-q"), .attr("value", model.query),
                       .attr("placeholder", l("Слова из названия или номер P-…", "Words of the title or a number P-…"))),
                .select(.attr("name", "kind"), .id("problem-kind-filter"),
                        .opt("", l("Любой вид", "Any kind")),
                        .forEach(ProblemKind.allCases) { kind in
                            .opt(kind.rawValue, kindName(kind, l), selected: model.kind == kind)
                        }),
                .select(.attr("name", "status"), .id("problem-status-filter"),
                        .opt("", l("Любой статус", "Any status")),
                        .forEach(ProblemStatus.allCases) { status in
                            .opt(status.rawValue, status.name(l.language), selected: model.status == status)
                        }),
                .select(.attr("name", "sort"), .id("problem-sort"),
                        .opt("", l("Сначала новые", "Newest first")),
                        .opt("tickets", l("Больше всего заявок", "Most tickets"), selected: model.sort == .tickets),
                        .opt("organizations", l("Больше всего организаций", "Most organizations"), selected: model.sort == .organizations),
                        .opt("paid_organizations", l("Больше всего платных клиентов", "Most paying customers"), selected: model.sort == .paidOrganizations),
                        .opt("last_30_days", l("Больше всего за 30 дней", "Most in 30 days"), selected: model.sort == .lastThirtyDays)),
                .button(.type(.submit), .t(l("Показать", "Show"))),
                .a(.href(SitePath.problemsExport.path), .id("problems-export"), .t(l("Выгрузить CSV", "Export CSV")))
            ),
            .table(
                .class("list"), .id("problem-list"),
                .thead(.tr(.th(.t(l("Номер", "Number"))), .th(.t(l("Вид", "Kind"))), .th(.t(l("Название", "Title"))), .th(.t(l("Статус", "Status"))),
                           .th(.t(l("Заявок", "Tickets"))), .th(.t(l("Организаций", "Organizations"))), .th(.t(l("Платных", "Paying"))),
                           .th(.t(l("За 30 дней", "30 days"))))),
                .tbody(.forEach(model.items) { problem in
                    .tr(.attr("data-problem", problem.code),
                        .td(.a(.href(SitePath.problem(problem.number).path), .t(problem.code))),
                        .td(.t(kindName(problem.kind, l))), .td(.t(problem.title)), .td(.t(problem.statusName)),
                        .td(.class("tickets"), .t(String(problem.popularity?.tickets ?? 0))),
                        .td(.t(String(problem.popularity?.organizations ?? 0))),
                        .td(.t(String(problem.popularity?.paidOrganizations ?? 0))),
                        .td(.t(String(problem.popularity?.lastThirtyDays ?? 0))))
                })
            ),
            .if(model.items.isEmpty, .p(.class("empty"), .t(l("Проблем не найдено.", "No problems found.")))),
            createForm(model.draft, errors: model.errors, ticketNumber: nil, ctx)
        )
    }

    /// Registering a problem; from a ticket's page the ticket is linked at once.
    static func createForm(_ draft: ProblemInput, errors: [String: String], ticketNumber: Int?, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(
            .class("card"), .method(.post), .action(SitePath.problemCreate.path), .id("problem-create"),
            Layout.csrfField(ctx),
            .h2(.t(ticketNumber == nil ? l("Новая проблема", "New problem") : l("Новая проблема из этой заявки", "New problem from this ticket"))),
            .unwrap(ticketNumber) { .input(.type(.hidden), .name("ticket_number"), .attr("value", String($0))) },
            Layout.row(l("Вид", "Kind"), for: "problem-kind", error: errors["kind"],
                       .select(.attr("name", "kind"), .id("problem-kind"), .forEach(ProblemKind.allCases) { kind in
                           .opt(kind.rawValue, kindName(kind, l), selected: (draft.kind ?? .bug) == kind)
                       })),
            Layout.row(l("Название", "Title"), for: "problem-title", error: errors["title"],
                       .input(.type(.text), .name("title"), .id("problem-title"), .attr("value", draft.title ?? ""), .required(true))),
            Layout.row(l("Что сообщить клиентам", "What customers are told"), for: "problem-summary",
                       hint: l("Клиенты видят номер, название, этот текст и статус — и ничего больше.",
                               "Customers see the number, the title, this text and the status — nothing else."),
                       error: errors["public_summary"],
                       .textarea(.name("public_summary"), .id("problem-summary"), .rows(3), .t(draft.publicSummary ?? ""))),
            Layout.row(l("Описание для команды", "Description for the team"), for: "problem-description", error: errors["description"],
                       .textarea(.name("description"), .id("problem-description"), .rows(4), .t(draft.description ?? ""))),
            Layout.row(l("Ссылка на задачу в трекере", "Link to the tracker's task"), for: "problem-tracker", error: errors["tracker_url"],
                       .input(.type(.url), .name("tracker_url"), .id("problem-tracker"), .attr("value", draft.trackerUrl ?? ""))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("problem-create-submit"),
                                            .t(ticketNumber == nil ? l("Зарегистрировать", "Register") : l("Зарегистрировать и связать", "Register and link"))))
        )
    }

    static func page(_ model: ProblemPageModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let p = model.problem
        let errors = model.errors
        return .group(
            .p(.a(.href(SitePath.problems.path), .t(l("← Все проблемы", "← All problems")))),
            .h1(.id("problem-heading"), .t("\(p.code) · \(p.title)")),
            .p(.class("meta"),
               .span(.class("badge"), .id("problem-status"), .t(p.statusName)), .t(" · "), .t(kindName(p.kind, l)),
               .unwrap(p.popularity) { pop in
                   .t(" · " + l("заявок: \(pop.tickets), организаций: \(pop.organizations), платных: \(pop.paidOrganizations), за 30 дней: \(pop.lastThirtyDays)",
                                "tickets: \(pop.tickets), organizations: \(pop.organizations), paying: \(pop.paidOrganizations), last 30 days: \(pop.lastThirtyDays)"))
               },
               .unwrap(p.trackerUrl) { url in .group(.t(" · "), .a(.href(url), .attr("rel", "noopener noreferrer"), .t(l("задача в трекере", "tracker task")))) }),
            .form(
                .class("card"), .method(.post), .action(SitePath.problem(p.number).path), .id("problem-form"),
                Layout.csrfField(ctx),
                .h2(.t(l("Изменить и сообщить новости", "Change and announce news"))),
                Layout.row(l("Название", "Title"), for: "problem-title", error: errors["title"],
                           .input(.type(.text), .name("title"), .id("problem-title"), .attr("value", p.title), .required(true))),
                Layout.row(l("Вид", "Kind"), for: "problem-kind", error: errors["kind"],
                           .select(.attr("name", "kind"), .id("problem-kind"), .forEach(ProblemKind.allCases) { kind in
                               .opt(kind.rawValue, kindName(kind, l), selected: p.kind == kind)
                           })),
                Layout.row(l("Что сообщить клиентам", "What customers are told"), for: "problem-summary", error: errors["public_summary"],
                           .textarea(.name("public_summary"), .id("problem-summary"), .rows(3), .t(p.publicSummary))),
                Layout.row(l("Описание для команды", "Description for the team"), for: "problem-description", error: errors["description"],
                           .textarea(.name("description"), .id("problem-description"), .rows(4), .t(p.description ?? ""))),
                Layout.row(l("Группа", "Group"), for: "problem-group", error: errors["group_id"],
                           .select(.attr("name", "group_id"), .id("problem-group"), .opt("", "—"), .forEach(model.groups) { option in
                               .opt(option.value, option.label, selected: p.group.map { String($0.id) } == option.value)
                           })),
                Layout.row(l("Ведёт проблему", "Owner"), for: "problem-owner", error: errors["owner_id"],
                           .select(.attr("name", "owner_id"), .id("problem-owner"), .opt("", "—"), .forEach(model.staff) { option in
                               .opt(option.value, option.label, selected: p.owner.map { String($0.id) } == option.value)
                           })),
                Layout.row(l("Ссылка на задачу в трекере", "Link to the tracker's task"), for: "problem-tracker", error: errors["tracker_url"],
                           .input(.type(.url), .name("tracker_url"), .id("problem-tracker"), .attr("value", p.trackerUrl ?? ""))),
                Layout.row(l("Статус", "Status"), for: "problem-status-select", error: errors["status"],
                           .select(.attr("name", "status"), .id("problem-status-select"), .forEach(ProblemStatus.allCases) { status in
                               .opt(status.rawValue, status.name(l.language), selected: p.status == status)
                           })),
                Layout.row(l("Плановая версия", "Target version"), for: "problem-target-version", error: errors["target_version"],
                           .input(.type(.text), .name("target_version"), .id("problem-target-version"), .attr("value", p.targetVersion ?? ""))),
                Layout.row(l("Плановая дата", "Target date"), for: "problem-target-date", error: errors["target_date"],
                           .input(.type(.date), .name("target_date"), .id("problem-target-date"), .attr("value", p.targetDate ?? ""))),
                Layout.row(l("Исправлено в версии", "Fixed in version"), for: "problem-fixed-version", error: errors["fixed_version"],
                           .input(.type(.text), .name("fixed_version"), .id("problem-fixed-version"), .attr("value", p.fixedVersion ?? ""))),
                Layout.row(l("Причина отказа", "Reason for rejecting"), for: "problem-reason", error: errors["reason"],
                           .input(.type(.text), .name("reason"), .id("problem-reason"), .attr("value", p.reason ?? ""))),
                Layout.row(l("Когда исправят (ориентировочно)", "Expected fix (estimate)"), for: "problem-estimate", error: errors["estimate"],
                           .input(.type(.text), .name("estimate"), .id("problem-estimate"), .attr("value", p.estimate ?? ""),
                                  .attr("placeholder", l("например, сегодня к 15:00", "e.g. today by 15:00")))),
                Layout.row(l("Новость для клиентов", "News for the customers"), for: "problem-note",
                           hint: l("Новый статус, срок или эта новость уходят письмом каждому заинтересованному (одно письмо на человека) и ответом в каждую открытую связанную заявку.",
                                   "A new status, estimate or this news goes by mail to every interested party (one mail a person) and as a reply on every open linked ticket."),
                           error: errors["note"],
                           .textarea(.name("note"), .id("problem-note"), .rows(3))),
                .div(.class("field"),
                     .element(named: "label", nodes: [.input(.type(.checkbox), .name("solve_tickets"), .id("problem-solve"), .value("1")),
                                                      .t(" " + l("Исправлено: решить связанные открытые заявки", "Fixed: solve the open linked tickets"))]),
                     .unwrap(errors["solve_tickets"]) { .p(.class("error"), .t($0)) }),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("problem-save"), .t(l("Сохранить", "Save"))))
            ),
            .h2(.t(l("Связанные заявки", "Linked tickets"))),
            .table(.class("list"), .id("problem-tickets"),
                   .thead(.tr(.th(.t("№")), .th(.t(l("Тема", "Subject"))), .th(.t(l("Клиент", "Customer"))), .th(.t(l("Организация", "Organization"))),
                              .th(.t(l("Статус", "Status"))), .th(.t(l("Создана", "Created"))))),
                   .tbody(.forEach(model.tickets) { ticket in
                       .tr(.td(.a(.href(SitePath.agentTicket(ticket.number).path), .t(String(ticket.number)))), .td(.t(ticket.subject)),
                           .td(.t(ticket.requester.name)), .td(.t(ticket.organization?.name ?? "—")), .td(.t(ticket.status)),
                           .td(.t(l.dateTime(ticket.createdAt))))
                   })),
            .h2(.t(l("История", "History"))),
            .ul(.class("history"), .id("problem-history"), .forEach(model.events) { event in
                .li(.t(l.dateTime(event.createdAt) + " · " + (event.actor?.name ?? l("система", "system")) + " · " + describe(event, l)))
            })
        )
    }

    static func describe(_ event: ProblemEventDTO, _ l: L) -> String {
        switch event.kind {
        case "created": return l("зарегистрирована", "registered")
        case "ticket_linked": return l("связана заявка \(event.after ?? "")", "ticket \(event.after ?? "") linked")
        case "ticket_unlinked": return l("отвязана заявка \(event.after ?? "")", "ticket \(event.after ?? "") unlinked")
        case "status_changed":
            let name = { (raw: String?) in raw.flatMap(ProblemStatus.init(rawValue:))?.name(l.language) ?? raw ?? "" }
            return l("статус: \(name(event.before)) → \(name(event.after))", "status: \(name(event.before)) → \(name(event.after))")
        case "public_update": return l("новость клиентам: ", "news to customers: ") + (event.after ?? "")
        default: return (event.field ?? event.kind) + ": " + (event.before ?? "—") + " → " + (event.after ?? "—")
        }
    }
}

enum ProblemsController {
    static func list(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Известные проблемы", "Known problems"), ctx, ProblemsView.list(try await listModel(request), ctx))
    }

    private static func listModel(_ request: Request) async throws -> ProblemListModel {
        var filter = ProblemService.Filter()
        filter.query = request.query[String.self, at: "q"]
        filter.kind = request.query[String.self, at: "kind"].flatMap(ProblemKind.init(rawValue:))
        let status = request.query[String.self, at: "status"].flatMap(ProblemStatus.init(rawValue:))
        filter.status = status.map { [$0] } ?? []
        filter.sort = request.query[String.self, at: "sort"].flatMap(ProblemPopularity.SortKey.init(rawValue:))
        filter.limit = 200
        let items = try await ProblemService.list(filter, context: try request.context).items
        return ProblemListModel(items: items, query: filter.query ?? "", kind: filter.kind, status: status, sort: filter.sort)
    }

    static func export(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        return try await ProblemService.export(context: try request.context).encodeResponse(for: request)
    }

    /// Registers a problem from the list or from a ticket (then the ticket is linked and the page goes back to it).
    static func create(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        var input = ProblemInput()
        input.kind = form.value("kind").flatMap(ProblemKind.init(rawValue:))
        input.title = form.value("title") ?? ""
        input.publicSummary = form.value("public_summary")
        input.description = form.value("description")
        input.trackerUrl = form.value("tracker_url")?.nilIfEmpty
        input.ticketNumber = form.value("ticket_number").flatMap { Int($0) }
        do {
            let problem = try await ProblemService.create(input, context: try request.context)
            if let number = input.ticketNumber { return request.redirect(to: SitePath.agentTicket(number).path + "?notice=problem-linked") }
            return request.redirect(to: SitePath.problem(problem.number).path + "?notice=saved")
        } catch ZayavkaError.validation(let problems) {
            var model = try await listModel(request)
            model.draft = input
            for problem in problems { model.errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            return Layout.render(ctx.l("Известные проблемы", "Known problems"), ctx, status: .unprocessableEntity, ProblemsView.list(model, ctx))
        }
    }

    private static func pageModel(_ number: Int, _ request: Request) async throws -> ProblemPageModel {
        let context = try request.context
        return ProblemPageModel(problem: try await ProblemService.get(number: number, context: context),
                                tickets: try await ProblemService.tickets(number: number, context: context).items,
                                events: try await ProblemService.events(number: number, context: context).items,
                                groups: try await QueueController.groupOptions(request: request),
                                staff: try await QueueController.staffOptions(request: request))
    }

    static func show(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        guard let number = request.parameters.get("number").flatMap(ProblemNumber.parse) else { throw NotFoundPage() }
        let ctx = PageContext(request)
        let model = try await pageModel(number, request)
        return Layout.render(model.problem.code, ctx, ProblemsView.page(model, ctx))
    }

    static func save(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        guard let number = request.parameters.get("number").flatMap(ProblemNumber.parse) else { throw NotFoundPage() }
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let current = try await ProblemService.get(number: number, context: try request.context)
        var patch = ProblemPatchInput()
        patch.title = form.value("title")
        patch.kind = form.value("kind").flatMap(ProblemKind.init(rawValue:))
        patch.publicSummary = form.value("public_summary")
        patch.description = form.value("description")
        patch.groupId = .some(form.value("group_id").flatMap { Int($0) })
        patch.ownerId = .some(form.value("owner_id").flatMap { Int($0) })
        patch.trackerUrl = .some(form.value("tracker_url")?.nilIfEmpty)
        if let status = form.value("status").flatMap(ProblemStatus.init(rawValue:)), status != current.status { patch.status = status }
        // Only what was changed on the form counts as news.
        func changed(_ name: String, _ old: String?) -> String? {
            let value = form.value(name) ?? ""
            return value == (old ?? "") ? nil : value
        }
        patch.targetVersion = changed("target_version", current.targetVersion)
        patch.targetDate = changed("target_date", current.targetDate)
        patch.fixedVersion = changed("fixed_version", current.fixedVersion)
        patch.reason = changed("reason", current.reason)
        patch.estimate = changed("estimate", current.estimate)
        patch.note = form.value("note")?.nilIfEmpty
        patch.solveTickets = form.value("solve_tickets") == "1" ? true : nil
        do {
            _ = try await ProblemService.update(number: number, patch, context: try request.context)
            return request.redirect(to: SitePath.problem(number).path + "?notice=saved")
        } catch ZayavkaError.validation(let problems) {
            var model = try await pageModel(number, request)
            for problem in problems { model.errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            return Layout.render(model.problem.code, ctx, status: .unprocessableEntity, ProblemsView.page(model, ctx))
        }
    }

    /// The ticket page's known-problem panel: link to a problem (by number), or unlink.
    static func ticketProblem(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try request.intParameter("number")
        let form = try await WebForms.read(request)
        let context = try request.context
        do {
            if form.value("action") == "unlink" {
                try await ProblemService.unlink(ticketNumber: number, context: context)
                return request.redirect(to: SitePath.agentTicket(number).path + "?notice=problem-unlinked")
            }
            _ = try await ProblemService.link(ticketNumber: number, problem: form.value("problem") ?? "", context: context)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=problem-linked")
        } catch ZayavkaError.validation, ZayavkaError.conflict, ZayavkaError.notFound(entity: "problem", id: _) {
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=problem-not-linked")
        }
    }
}
