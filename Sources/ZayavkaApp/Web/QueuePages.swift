import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The agents' saved views (SPEC V1): each is a set of list filters.
enum QueueView: String, CaseIterable, Sendable {
    case unassigned, mine, group, waiting, open, solved

    func title(_ l: L) -> String {
        switch self {
        case .mine: l("Мои открытые", "My open tickets")
        case .unassigned: l("Не назначенные", "Unassigned")
        case .group: l("Моя группа", "My groups")
        case .waiting: l("Ждут клиента", "Waiting for the customer")
        case .open: l("Все открытые", "All open")
        case .solved: l("Недавно решённые", "Recently solved")
        }
    }

    /// The first view a person sees: dispatchers sort incoming tickets, others work their own.
    static func start(for role: Role) -> QueueView { role == .dispatcher ? .unassigned : .mine }

    /// The view's own list parameters.
    func params(statuses: [StatusDefinition], userID: Int, groupIDs: [Int]) -> [String: String] {
        func keys(_ test: (StatusCategory) -> Bool) -> String { statuses.filter { test($0.category) }.map(\.key).joined(separator: ",") }
        let active = keys(\.isActive)
        switch self {
        case .mine: return ["status": active, "assignee_id": String(userID), "sort": "due"]
        case .unassigned: return ["status": active, "assignee_id": "none", "sort": "due"]
        case .group: return ["status": active, "group_id": groupIDs.isEmpty ? "0" : groupIDs.map(String.init).joined(separator: ","), "sort": "due"]
        case .waiting: return ["status": keys { $0 == .pending }, "sort": "updated_at"]
        case .open: return ["status": active, "sort": "due"]
        case .solved: return ["status": keys { $0 == .solved }, "sort": "updated_at"]
        }
    }
}

/// The agent's queue page: model.
struct QueueModel: Sendable {
    struct Option: Sendable {
        let value: String
        let label: String

        /// Options whose values are ids, as id → label (to name ids in history).
        static func labelsByID(_ options: [Option]) -> [Int: String] {
            Dictionary(options.compactMap { option in Int(option.value).map { ($0, option.label) } }, uniquingKeysWith: { a, _ in a })
        }
    }

    let view: QueueView
    let counts: [QueueView: Int]
    let items: [TicketDTO]
    let nextCursor: String?
    /// The filters as typed (query parameters), to keep them in the form and the links.
    let filters: [String: String]
    let statuses: [Option]
    let staff: [Option]
    let groups: [Option]
    let organizations: [Option]
    let total: Int
    /// What the live feed's new tickets are matched against: the view's statuses, assignee, groups.
    var live: [String: String] = [:]
    /// A new desk's setup steps, shown to its admin until all are done.
    var checklist: SetupChecklist?
}

enum QueueFilters {
    /// The parameters a person may set on a queue; everything else in the URL is ignored.
    static let names = ["q", "status", "type", "priority", "urgency", "group_id", "assignee_id", "organization_id", "channel", "sort"]
}

enum QueuePageView {
    /// The typed filters as a query string, for the pager and for coming back after a bulk action.
    static func filterQuery(_ filters: [String: String]) -> String {
        var parts: [String] = []
        for name in QueueFilters.names {
            guard let value = filters[name], !value.isEmpty else { continue }
            parts.append(name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return parts.joined(separator: "&")
    }

    static func render(_ model: QueueModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let query = filterQuery(model.filters)
        let nextLink: Node<HTML.BodyContext> = .unwrap(model.nextCursor) { cursor in
            .p(.class("pager"), .a(.id("next-page"), .href(SitePath.queue(model.view.rawValue).path + "?" + (query.isEmpty ? "" : query + "&") + "cursor=" + cursor),
                                   .t(l("Следующая страница →", "Next page →"))))
        }
        var live = model.live
        live["live"] = SitePath.agentLive.path
        live["since"] = ctx.now.formatted(.iso8601)
        live["forms"] = l("новая заявка|новые заявки|новых заявок", "new ticket|new tickets|new tickets")
        live["changed"] = l("изменено", "changed")
        live["show"] = l("показать", "show")
        let main: Node<HTML.BodyContext> = .div(
            .unwrap(model.checklist.flatMap { $0.complete ? nil : $0 }) { $0.render(l) },
            .div(.class("queue-head"),
                 .h1(.t(model.view.title(l))),
                 .p(.class("muted"), .id("queue-total"), .t(model.total > QueueController.countCap
                    ? l("более \(l.number(QueueController.countCap)) заявок", "more than \(l.number(QueueController.countCap)) tickets")
                    : l.tickets(model.total)))),
            filtersForm(model, ctx),
            .button(.type(.button), .class("live-bar"), .id("queue-news"), .attr("hidden", "hidden"), .attr("aria-live", "polite")),
            Layout.jsonBlock(id: "queue-live", live),
            bulkForm(model, ctx, query: query),
            nextLink,
            .p(.class("kbd"), .t(l("Клавиши: j/k — вверх/вниз, Enter — открыть, x — выбрать, / — поиск.",
                                   "Keys: j/k move, Enter opens, x selects, / searches.")))
        )
        return .div(.class("console"), sidebar(model, ctx), main)
    }

    static func sidebar(_ model: QueueModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let first = QueueView.start(for: ctx.signedIn?.viewer.role ?? .agent)
        let views = [first] + QueueView.allCases.filter { $0 != first }
        return .nav(.class("queues card"), .attr("aria-label", l("Очереди", "Queues")),
                    .forEach(views) { view in
                        .a(.href(SitePath.queue(view.rawValue).path), .class(view == model.view ? "current" : ""), .id("queue-" + view.rawValue),
                           .span(.t(view.title(l))), .span(.class("count"), .t(QueueController.countLabel(model.counts[view] ?? 0, l))))
                    })
    }

    static func select(_ name: String, _ label: String, _ options: [QueueModel.Option], _ model: QueueModel, _ l: L) -> Node<HTML.BodyContext> {
        let current = model.filters[name]
        let control: Node<HTML.BodyContext> = .select(.attr("name", name), .id("filter-" + name),
                                                      .opt("", l("все", "any")),
                                                      .forEach(options) { .opt($0.value, $0.label, selected: current == $0.value) })
        return Layout.row(label, for: "filter-" + name, control)
    }

    static func filtersForm(_ model: QueueModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let types: [QueueModel.Option] = TicketType.allCases.map { .init(value: $0.rawValue, label: l.localizer.name($0)) }
        let priorities: [QueueModel.Option] = TicketPriority.allCases.map { .init(value: $0.rawValue, label: l.localizer.name($0)) }
        let urgencies: [QueueModel.Option] = Urgency.all.map { .init(value: String($0.level), label: String($0.level)) }
        let channels: [QueueModel.Option] = TicketChannel.allCases.map { .init(value: $0.rawValue, label: l.localizer.name($0)) }
        let assignees: [QueueModel.Option] = [.init(value: "none", label: l("не назначен", "unassigned"))] + model.staff
        let sorts: [QueueModel.Option] = [
            .init(value: "due", label: l("по сроку", "by due time")), .init(value: "updated_at", label: l("по обновлению", "by last update")),
            .init(value: "created_at", label: l("по созданию", "by creation")), .init(value: "priority", label: l("по приоритету", "by priority")),
            .init(value: "number", label: l("по номеру", "by number")),
        ]
        let search: Node<HTML.BodyContext> = .input(.type(.search), .name("q"), .id("filter-q"), .class("filter-q"), .attr("value", model.filters["q"] ?? ""),
                                                    .attr("aria-label", l("Текст в теме", "Text in subject")), .attr("placeholder", l("Текст в теме…", "Text in the subject…")))
        let selects: [Node<HTML.BodyContext>] = [
            select("status", l("Статус", "Status"), model.statuses, model, l),
            select("type", l("Тип", "Type"), types, model, l),
            select("priority", l("Приоритет", "Priority"), priorities, model, l),
            select("urgency", l("Срочность", "Urgency"), urgencies, model, l),
            select("group_id", l("Группа", "Group"), model.groups, model, l),
            select("assignee_id", l("Исполнитель", "Assignee"), assignees, model, l),
            select("organization_id", l("Организация", "Organization"), model.organizations, model, l),
            select("channel", l("Канал", "Channel"), channels, model, l),
            select("sort", l("Сортировка", "Sort"), sorts, model, l),
        ]
        let active = QueueFilters.names.filter { $0 != "q" && $0 != "sort" && !(model.filters[$0] ?? "").isEmpty }.count
        let more: Node<HTML.BodyContext> = .element(named: "details", nodes: [
            .class("filter-more"), .id("filter-more"),
            .element(named: "summary", nodes: [.t(l("Фильтры", "Filters") + (active > 0 ? " (\(active))" : ""))]),
            .div(.class("filter-grid"), .group(selects)),
        ])
        return .form(
            .class("filters"), .method(.get), .action(SitePath.queue(model.view.rawValue).path), .id("filters"),
            .component(Node<HTML.BodyContext>.group([search, more])),
            .button(.type(.submit), .class("secondary"), .id("filters-apply"), .t(l("Показать", "Apply")))
        )
    }

    static func bulkForm(_ model: QueueModel, _ ctx: PageContext, query: String) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let list: Node<HTML.BodyContext> = model.items.isEmpty
            ? .div(.class("card"), .p(.t(l("В этой очереди нет заявок.", "There are no tickets in this queue."))))
            : table(model, ctx)
        let assign: Node<HTML.BodyContext> = .select(.attr("name", "bulk_assignee"), .attr("aria-label", l("Назначить", "Assign")),
                                                     .opt("", l("назначить…", "assign…")), .opt("none", l("снять назначение", "unassign")),
                                                     .forEach(model.staff) { .opt($0.value, $0.label) })
        let status: Node<HTML.BodyContext> = .select(.attr("name", "bulk_status"), .attr("aria-label", l("Статус", "Status")),
                                                     .opt("", l("статус…", "status…")), .forEach(model.statuses) { .opt($0.value, $0.label) })
        let priority: Node<HTML.BodyContext> = .select(.attr("name", "bulk_priority"), .attr("aria-label", l("Приоритет", "Priority")),
                                                       .opt("", l("приоритет…", "priority…")),
                                                       .forEach(TicketPriority.allCases) { .opt($0.rawValue, l.localizer.name($0)) })
        let actions: Node<HTML.BodyContext> = .div(.class("bulk"), .span(.t(l("С выбранными:", "With selected:"))), assign, status, priority,
                                                   .button(.type(.submit), .class("secondary"), .id("bulk-apply"), .t(l("Применить", "Apply"))))
        return .form(
            .method(.post), .action(SitePath.agentBulk.path), .id("bulk-form"),
            Layout.csrfField(ctx),
            .input(.type(.hidden), .name("back"), .attr("value", ctx.path + (query.isEmpty ? "" : "?" + query))),
            .component(Node<HTML.BodyContext>.group([list, actions]))
        )
    }

    static func table(_ model: QueueModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .table(
            .class("list"), .id("queue"), .attribute(named: "data-keys", value: "1"),
            .thead(.tr(
                .th(.input(.type(.checkbox), .attribute(named: "data-select-all", value: "1"), .attr("aria-label", l("Выбрать все", "Select all")))),
                .th(.t("№")), .th(.t(l("Тема", "Subject"))), .th(.class("wide-only"), .t(l("Клиент", "Requester"))),
                .th(.t(l("Статус", "Status"))), .th(.class("wide-only"), .t(l("Приоритет", "Priority"))),
                .th(.class("wide-only"), .t(l("Исполнитель", "Assignee"))), .th(.t(l("Возраст", "Age"))), .th(.t(l("Срок", "Due"))))),
            .tbody(.forEach(model.items) { ticket in
                .tr(
                    .attr("data-href", SitePath.agentTicket(ticket.number).path), .attr("id", "ticket-\(ticket.number)"),
                    .td(.input(.type(.checkbox), .name("ticket"), .value(String(ticket.number)), .attr("aria-label", "№\(ticket.number)"))),
                    .td(.t(String(ticket.number))),
                    .td(.class("subject"), .a(.href(SitePath.agentTicket(ticket.number).path), .attr("title", ticket.subject), .t(ticket.subject))),
                    .td(.class("wide-only who"), .attr("title", ticket.requester.name + (ticket.organization.map { " · " + $0.name } ?? "")),
                        .t(ticket.requester.name), .unwrap(ticket.organization) { .span(.class("muted"), .t(" · " + $0.name)) }),
                    .td(.span(.class("badge \(ticket.status)"), .t(ticket.statusName))),
                    .td(.class("wide-only"), .span(.class("badge \(ticket.priority.rawValue)"), .t(l.localizer.name(ticket.priority)))),
                    .td(.class("wide-only"), .t(ticket.assignee?.name ?? "—")),
                    .td(.element(named: "time", nodes: [.attr("datetime", l.iso(ticket.createdAt)), .attr("title", l.dateTime(ticket.createdAt)),
                                                        .t(l.age(since: ticket.createdAt, now: ctx.now))])),
                    .td(.unwrap(ticket.nextDueAt ?? ticket.dueAt) { due in
                        .span(.class(due < ctx.now ? "due overdue" : "due"), .attr("title", l.dateTime(due)), .t(l.due(due, now: ctx.now)))
                    })
                )
            })
        )
    }
}

/// Agent area: queues and bulk actions.
enum QueueController {
    static func requireStaff(_ request: Request) throws -> SignedIn {
        guard let signedIn = request.signedInIfAny else { throw WebError.signInRequired }
        guard signedIn.viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        return signedIn
    }

    static func start(_ request: Request) throws -> Response {
        let signedIn = try requireStaff(request)
        return request.redirect(to: SitePath.queue(QueueView.start(for: signedIn.viewer.role).rawValue).path)
    }

    /// Queue counts stop at this many: beyond it a person reads "10 000+", and a count costs at most
    /// that many index entries however large the desk grows (1,000,000 tickets: see scripts/bench-queue).
    static let countCap = 10_000

    static func countLabel(_ n: Int, _ l: L) -> String { n > countCap ? l.number(countCap) + "+" : String(n) }

    static func staffOptions(request: Request) async throws -> [QueueModel.Option] {
        try await QueuePagesQuery.staffOptions(on: request.sql)
    }

    static func groupOptions(request: Request) async throws -> [QueueModel.Option] {
        try await QueuePagesQuery.groupOptions(on: request.sql)
    }

    static func queue(_ request: Request) async throws -> Response {
        let signedIn = try requireStaff(request)
        guard let view = request.parameters.get("view").flatMap(QueueView.init(rawValue:)) else { throw NotFoundPage() }
        let catalog = try await request.services.catalog.snapshot(request.database)
        let userID = signedIn.viewer.userID
        let sql = try request.sql
        let groups = try await QueuePagesQuery.groupIDs(of: userID, on: sql)
        var filters: [String: String] = [:]
        for name in QueueFilters.names { if let value = request.query[String.self, at: name], !value.isEmpty { filters[name] = value } }
        var params = view.params(statuses: catalog.statuses, userID: userID, groupIDs: groups)
        params.merge(filters) { _, typed in typed }
        let live = ["statuses": params["status"] ?? "", "assignee": params["assignee_id"] ?? "", "groups": params["group_id"] ?? ""]
        params["limit"] = "50"
        var ctx = PageContext(request)
        if let notice = BulkFailure.notice(request, ctx.l) { ctx.notice = notice }
        let counts = try await QueuePagesQuery.counts(statuses: catalog.statuses, userID: userID, groupIDs: groups, cap: countCap, on: sql)
        let total: Int
        let rows: [TicketQueries.Row]
        let next: String?
        do {
            // The view's own count is the total unless the person narrowed it down.
            let narrowed = filters.keys.contains { $0 != "sort" }
            total = narrowed ? try await TicketQueries.count(params, cap: countCap, context: try request.context) : counts[view] ?? 0
            if let cursor = request.query[String.self, at: "cursor"] { params["cursor"] = cursor }
            (rows, next) = try await TicketQueries.page(params, context: try request.context)
        } catch ZayavkaError.validation {
            // A hand-edited URL with a bad filter: show the view without the typed filters.
            return request.redirect(to: SitePath.queue(view.rawValue).path)
        }
        var model = QueueModel(
            view: view,
            counts: counts,
            items: rows.map { $0.dto(signedIn.viewer, catalog, ctx.l.language) },
            nextCursor: next, filters: filters,
            statuses: catalog.statuses.map { .init(value: $0.key, label: $0.name(ctx.l.language)) },
            staff: try await QueuePagesQuery.staffOptions(on: sql), groups: try await QueuePagesQuery.groupOptions(on: sql),
            organizations: try await QueuePagesQuery.organizationOptions(on: sql), total: total, live: live)
        if signedIn.viewer.role == .admin { model.checklist = try await SetupChecklist.load(request) }
        return Layout.render(view.title(ctx.l), ctx, QueuePageView.render(model, ctx))
    }

    /// Applies one change to every selected ticket; tickets that refuse it (closed, illegal status) are counted.
    static func bulk(_ request: Request) async throws -> Response {
        _ = try requireStaff(request)
        let form = try await WebForms.read(request)
        let back = AuthController.safeNext(form.value("back")) ?? SitePath.agent.path
        let numbers = form.values("ticket").compactMap(Int.init)
        var patch = TicketPatchInput()
        if let assignee = form.text("bulk_assignee") { patch.assigneeId = .some(assignee == "none" ? nil : Int(assignee)) }
        if let status = form.text("bulk_status") { patch.status = status }
        if let priority = form.text("bulk_priority") { patch.priority = TicketPriority(rawValue: priority) }
        // Each ticket is its own change: those that refuse it are named, with the reason, on the queue.
        var failed: [(Int, String)] = []
        for number in numbers {
            do { _ = try await TicketService.update(number: number, input: patch, context: try request.context) } catch {
                failed.append((number, BulkFailure.code(error)))
            }
        }
        let separator = back.contains("?") ? "&" : "?"
        if !failed.isEmpty {
            let list = failed.prefix(50).map { "\($0.0):\($0.1)" }.joined(separator: ",")
            return request.redirect(to: back + separator + "bulk_done=\(numbers.count - failed.count)&bulk_of=\(numbers.count)&bulk_failed=" + list)
        }
        return request.redirect(to: back + separator + "notice=bulk")
    }
}

/// Why a ticket of a bulk change refused it, as a short code in the queue's address and as words on it.
enum BulkFailure {
    static func code(_ error: any Error) -> String {
        switch error as? ZayavkaError {
        case .ticketClosed: "closed"
        case .illegalTransition, .unknownStatus: "status"
        case .forbidden: "forbidden"
        case .notFound: "missing"
        case .validation(let problems):
            if problems.contains(where: { $0.field.hasPrefix("resolution") }) { "report" }
            else if problems.contains(where: { $0.field == "assignee_id" }) { "assignee" }
            else if problems.contains(where: { $0.field == "status" }) { "status" }
            else { "invalid" }
        default: "other"
        }
    }

    static func reason(_ code: String, _ l: L) -> String {
        switch code {
        case "closed": l("заявка закрыта", "the ticket is closed")
        case "forbidden": l("нет прав", "not allowed")
        case "missing": l("заявка не найдена", "no such ticket")
        case "report": l("для решения нужен отчёт о решении — решите её ответом со страницы заявки", "solving needs a resolution report: solve it with a reply on its page")
        case "assignee": l("исполнитель не найден или отключён", "the assignee is unknown or deactivated")
        case "status": l("такой переход статуса не разрешён", "this status change is not allowed")
        case "invalid": l("недопустимое значение", "an invalid value")
        default: l("не удалось сохранить", "could not be saved")
        }
    }

    /// The notice for `bulk_done`, `bulk_of` and `bulk_failed` in the queue's address; nil without them.
    static func notice(_ request: Request, _ l: L) -> PageContext.Notice? {
        guard let raw = request.query[String.self, at: "bulk_failed"], raw.utf8.count <= 2000,
              let done = request.query[String.self, at: "bulk_done"].flatMap({ $0.count <= 6 ? Int($0) : nil }),
              let of = request.query[String.self, at: "bulk_of"].flatMap({ $0.count <= 6 ? Int($0) : nil }) else { return nil }
        let items: [String] = raw.split(separator: ",").prefix(50).compactMap { part in
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, pieces[0].count <= 9, let number = Int(pieces[0]) else { return nil }
            return "№\(number) — " + reason(String(pieces[1]), l)
        }
        guard !items.isEmpty else { return nil }
        return .init(text: l("Готово: \(done) из \(of). Не изменены: ", "Done: \(done) of \(of). Not changed: ") + items.joined(separator: "; ") + ".",
                     isError: true)
    }
}
