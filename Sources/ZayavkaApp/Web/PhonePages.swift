import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The dispatcher's phone desk (SPEC A2, C5): the directory's one search box, the incoming-call
/// screen, the callback queue and the ticket's call log.
enum PhoneView {
    static func kindName(_ kind: String, _ l: L) -> String {
        switch DirectorySearch.Kind(rawValue: kind) {
        case .inn: l("ИНН", "INN")
        case .contract: l("договор", "contract")
        case .login: l("логин", "login")
        case .phone: l("телефон", "phone")
        case .email: l("почта", "email")
        case .domain: l("домен", "domain")
        case .name: l("название", "name")
        case nil: kind
        }
    }

    static func planName(_ plan: String, _ l: L) -> String { plan == "paid" ? l("платный", "paid") : l("бесплатный", "free") }

    /// An organization found: its identifiers, account state with the team's next step, open tickets.
    static func organizationCard(_ match: OrganizationMatchDTO, checks: [AccountCheckDTO], _ l: L) -> Node<HTML.BodyContext> {
        let o = match.organization
        var facts: [(String, String)] = []
        if let inn = o.inn { facts.append((l("ИНН", "INN"), inn)) }
        if let contract = o.contractNumber { facts.append((l("Договор", "Contract"), contract)) }
        if let logins = o.logins, !logins.isEmpty { facts.append((l("Логины", "Logins"), logins.joined(separator: ", "))) }
        if let plan = o.plan { facts.append((l("Тариф", "Plan"), planName(plan, l))) }
        if let ends = o.contractEndsOn { facts.append((l("Договор до", "Contract ends"), ends)) }
        if let quota = o.quota { facts.append((l("Квота", "Quota"), "\(o.usage ?? 0) / \(quota)")) }
        if !o.phones.isEmpty { facts.append((l("Телефоны", "Phones"), o.phones.joined(separator: ", "))) }
        if !o.addresses.isEmpty { facts.append((l("Адреса", "Addresses"), o.addresses.joined(separator: "; "))) }
        facts.append((l("Открытых заявок", "Open tickets"), String(match.openTickets)))
        return .div(
            .class("card found-organization"), .attr("data-id", String(o.id)),
            .h3(.t(o.name), .span(.class("muted"), .t(" · " + l("найдено по: ", "matched by ") + kindName(match.matched.kind, l)))),
            .forEach(checks) { check in
                .div(.class("notice error banner"), .class("check-" + check.kind), .attr("role", "alert"),
                     .strong(.t(check.message)), .t(" " + check.nextStep))
            },
            .element(named: "dl", nodes: facts.flatMap { [Node<HTML.BodyContext>.element(named: "dt", nodes: [.t($0.0)]), .element(named: "dd", nodes: [.t($0.1)])] })
        )
    }

    static func checks(of match: OrganizationMatchDTO, _ l: L, _ configuration: AppConfiguration) -> [AccountCheckDTO] {
        let o = match.organization
        return AccountCheckService.describe(organization: PersonRef(id: o.id, name: o.name), contractNumber: o.contractNumber,
                                            contractEndsOn: o.contractEndsOn, quota: o.quota, usage: o.usage, language: l.language,
                                            configuration: configuration)
    }

    static func searchBox(_ value: String, action: String, _ l: L, label: String) -> Node<HTML.BodyContext> {
        .form(.method(.get), .action(action), .class("card search-box"), .id("directory-search"),
              .element(named: "label", nodes: [.attr("for", "q"), .t(label)]),
              .div(.class("inline"),
                   .input(.type(.search), .name("q"), .id("q"), .attr("value", value), .attr("autofocus", "autofocus"),
                          .attr("placeholder", l("договор, логин, ИНН, название, почта или телефон", "contract, login, INN, name, email or phone"))),
                   .button(.type(.submit), .class("primary"), .id("search-go"), .t(l("Найти", "Search")))))
    }

    static func duration(_ seconds: Int, _ l: L) -> String {
        seconds < 60 ? l("\(seconds) с", "\(seconds) s") : l("\(seconds / 60) мин \(seconds % 60) с", "\(seconds / 60) min \(seconds % 60) s")
    }

    static func outcomeSelect(_ name: String, id: String, _ l: L, selected: String = "answered") -> Node<HTML.FormContext> {
        .select(.attr("name", name), .id(id), .attr("aria-label", l("Результат", "Outcome")),
                .forEach(CallOutcome.allCases) { outcome in .opt(outcome.rawValue, CallOutcomeNames.name(outcome.rawValue, l), selected: outcome.rawValue == selected) })
    }

    /// A callback with the form to record a try at it.
    static func callbackRow(_ callback: CallbackDTO, back: String, _ ctx: PageContext) -> Node<HTML.ListContext> {
        let l = ctx.l
        let due = callback.dueAt <= ctx.now
        let form: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.callbackAttempt(callback.id).path), .class("inline attempt"),
            Layout.csrfField(ctx),
            .input(.type(.hidden), .name("back"), .attr("value", back)),
            outcomeSelect("outcome", id: "attempt-outcome-\(callback.id)", l, selected: "busy"),
            .input(.type(.number), .name("minutes"), .attr("min", "0"), .attr("max", "600"), .attr("aria-label", l("Минут", "Minutes")),
                   .attr("placeholder", l("мин", "min")), .class("short")),
            .input(.type(.text), .name("note"), .attr("aria-label", l("Заметка", "Note")), .attr("placeholder", l("Заметка", "Note"))),
            .button(.type(.submit), .id("attempt-\(callback.id)"), .t(l("Записать звонок", "Record the call"))))
        return .li(
            .class(due ? "callback due" : "callback"), .id("callback-\(callback.id)"),
            .strong(.t(l.dateTime(callback.dueAt))), .t(" · "),
            .a(.href(SitePath.agentTicket(callback.ticketNumber).path), .t("№\(callback.ticketNumber) " + callback.subject)), .t(" · "),
            .t(callback.number),
            .if(callback.busyCount > 0, .span(.class("badge"), .t(l(" повтор после «занято»", " retry after busy")))),
            .unwrap(callback.assignee) { .span(.class("muted"), .t(" · " + $0.name)) },
            .unwrap(callback.note) { .div(.class("muted"), .t($0)) },
            form)
    }
}

/// The directory search page.
enum DirectorySearchPage {
    static func show(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let query = request.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        var body: [Node<HTML.BodyContext>] = [
            .h1(.t(l("Поиск клиента", "Find a customer"))),
            PhoneView.searchBox(query, action: SitePath.directory.path, l, label: l("Кого ищем", "Who are you looking for")),
        ]
        if query.count >= DirectorySearch.minQueryLength {
            let result = try await DirectorySearchService.search(query, context: try request.context)
            if result.organizations.isEmpty && result.contacts.isEmpty {
                body.append(.p(.class("muted"), .id("nothing-found"), .t(l("Ничего не найдено.", "Nothing found."))))
            }
            if !result.organizations.isEmpty {
                body.append(.h2(.t(l("Организации", "Organizations"))))
                for match in result.organizations {
                    body.append(PhoneView.organizationCard(match, checks: PhoneView.checks(of: match, l, request.services.configuration), l))
                }
            }
            if !result.contacts.isEmpty {
                body.append(.h2(.t(l("Контакты", "Contacts"))))
                body.append(.ul(.class("contacts"), .forEach(result.contacts) { contact in
                    .li(.strong(.t(contact.name)), .t(" · " + contact.email), .unwrap(contact.phone) { .t(" · " + $0) },
                        .unwrap(contact.organization) { .t(" · " + $0.name) },
                        .span(.class("muted"), .t(" · " + l("найдено по: ", "matched by ") + PhoneView.kindName(contact.matched.kind, l)
                                                  + " · " + l("открытых заявок: ", "open tickets: ") + String(contact.openTickets))),
                        .t(" "), .a(.href(SitePath.call.path + "?q=" + (contact.phone ?? contact.email).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!),
                                    .t(l("Оформить звонок →", "Take a call →"))))
                }))
            }
        } else if !query.isEmpty {
            body.append(.p(.class("muted"), .t(l("Введите хотя бы два символа.", "Type at least two characters."))))
        }
        return Layout.render(l("Поиск клиента", "Find a customer"), ctx, .group(body))
    }
}

/// "Incoming call": find the caller (by number first), see their open tickets, register a new
/// ticket or add the call to one.
enum IncomingCallPage {
    struct OpenTicket: Sendable { let number: Int; let subject: String; let status: String }
    struct Person: Sendable { let id: Int; let name: String; let email: String; let phone: String?; let organization: String?; let tickets: [OpenTicket] }

    static func people(for result: DirectorySearchDTO, request: Request) async throws -> [Person] {
        let sql = try request.sql
        // An organization found by INN or contract: its people are the candidates.
        let ids = try await PhonePagesQuery.candidates(contacts: result.contacts.map(\.id), organizations: result.organizations.map(\.organization.id),
                                                       on: sql)
        guard !ids.isEmpty else { return [] }
        let catalog = try await request.services.catalog.snapshot(request.database)
        let active = catalog.statuses.filter { $0.category.isActive }.map(\.key)
        let names = Dictionary(catalog.statuses.map { ($0.key, $0.name(request.language)) }, uniquingKeysWith: { a, _ in a })
        return try await PhonePagesQuery.people(ids, active: active, statusNames: names, on: sql)
    }

    static func show(_ request: Request) async throws -> Response {
        try await render(request, form: nil, errors: [:], status: .ok)
    }

    static func render(_ request: Request, form: ReceivedForm?, errors: [String: String], status: HTTPResponseStatus) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let query = (form?.value("q") ?? request.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        var content: [Node<HTML.BodyContext>] = [
            .h1(.t(l("Входящий звонок", "Incoming call"))),
            PhoneView.searchBox(query, action: SitePath.call.path, l,
                                label: l("Номер звонящего (или договор, логин, ИНН, название)", "Caller's number (or contract, login, INN, name)")),
        ]
        guard query.count >= DirectorySearch.minQueryLength else {
            return Layout.render(l("Входящий звонок", "Incoming call"), ctx, status: status, .group(content))
        }
        let result = try await DirectorySearchService.search(query, context: try request.context)
        let people = try await people(for: result, request: request)
        // A banned caller (SPEC X1) is shown in red: other channels refuse them, the call is the agent's decision.
        let banList = try await request.services.bans.list(request.sql)
        let now = Date()
        var bans: [Int: BanEntry] = [:]
        for person in people {
            if let ban = banList.match(userID: person.id, email: person.email, at: now) { bans[person.id] = ban }
        }
        for match in result.organizations.prefix(5) {
            content.append(PhoneView.organizationCard(match, checks: PhoneView.checks(of: match, l, request.services.configuration), l))
        }
        // The query is the caller's number when it reads as a Russian one (an INN of 12 digits does not).
        let asPhone = PhoneNumber.normalize(query).flatMap { $0.hasPrefix("+7") && $0.count == 12 && INN.normalize(query) == nil ? $0 : nil }
        let callerNumber = form?.value("number") ?? asPhone ?? people.first?.phone ?? ""
        let chosenPerson = form?.value("requester_id") ?? (people.count == 1 ? String(people[0].id) : "")
        let chosenTicket = form?.value("ticket_number") ?? "new"
        let category = (try await request.services.catalog.snapshot(request.database)).intake.first { $0.key == "category" }

        let who: Node<HTML.FormContext> = people.isEmpty
            ? .div(.class("card"), .id("caller-unknown"),
                   .p(.t(l("Звонящий не найден. Заведите заявку на нового клиента:", "The caller is not in the directory. File for a new customer:"))),
                   Layout.row(l("Почта клиента", "Customer's email"), for: "c-email", error: errors["requester_email"],
                              .input(.type(.email), .name("requester_email"), .id("c-email"), .attr("value", form?.value("requester_email") ?? ""))),
                   Layout.row(l("Имя", "Name"), for: "c-name", error: nil,
                              .input(.type(.text), .name("requester_name"), .id("c-name"), .attr("value", form?.value("requester_name") ?? ""))))
            : .div(.class("card"), .id("callers"),
                   .h2(.t(l("Кто звонит", "Who is calling"))),
                   .unwrap(errors["requester_id"]) { .p(.class("error"), .t($0)) },
                   .ul(.class("people"), .forEach(people) { person in
                       .li(.element(named: "label", nodes: [
                           .input(.type(.radio), .name("requester_id"), .value(String(person.id)), .id("person-\(person.id)"),
                                  .checked(chosenPerson == String(person.id))),
                           .strong(.t(" " + person.name)), .t(" · " + person.email), .unwrap(person.phone) { .t(" · " + $0) },
                           .unwrap(person.organization) { .t(" · " + $0) },
                       ]),
                       .unwrap(bans[person.id]) { ban in
                           .div(.class("notice error banner ban-banner"), .id("ban-banner-\(person.id)"), .attr("role", "alert"),
                                .strong(.t(l("Клиент заблокирован (бан)", "The customer is banned") + (ban.endsAt.map { l(" до ", " until ") + l.dateTime($0) } ?? "") + ". ")),
                                .t(l("Причина: ", "Reason: ") + ban.reason + ". "
                                   + l("Письма, портал и API ему закрыты; принять ли звонок — решаете вы по регламенту.",
                                       "Mail, the portal and the API refuse them; whether to take the call is yours to decide by the regulation.")))
                       },
                       .if(!person.tickets.isEmpty, .ul(.class("open-tickets"), .forEach(person.tickets) { ticket in
                           .li(.element(named: "label", nodes: [
                               .input(.type(.radio), .name("ticket_number"), .value(String(ticket.number)), .id("ticket-\(ticket.number)"),
                                      .checked(chosenTicket == String(ticket.number))),
                               .t(l(" добавить к ", " add to ")), .a(.href(SitePath.agentTicket(ticket.number).path), .t("№\(ticket.number) " + ticket.subject)),
                               .t(" · " + ticket.status),
                           ]))
                       })))
                   }))
        let newTicket: Node<HTML.FormContext> = .div(
            .class("card"), .id("new-ticket"),
            .element(named: "label", nodes: [.input(.type(.radio), .name("ticket_number"), .value("new"), .id("ticket-new"), .checked(chosenTicket == "new")),
                                             .strong(.t(" " + l("Новая заявка", "New ticket")))]),
            Layout.row(l("Тема", "Subject"), for: "call-subject", error: errors["subject"],
                       .input(.type(.text), .name("subject"), .id("call-subject"), .attr("value", form?.value("subject") ?? ""))),
            Layout.row(l("Суть обращения", "What the customer says"), for: "call-body", error: errors["body"],
                       .textarea(.name("body"), .id("call-body"), .rows(4), .t(form?.value("body") ?? ""))),
            .unwrap(category) { field in
                IntakeInputs.row(field, value: form?.value("category") ?? "", error: errors["fields.category"], l, name: "category")
            },
            Layout.row(l("Когда удобно перезвонить (по МСК)", "Best time to call back (Moscow time)"), for: "call-time", error: nil,
                       .input(.type(.text), .name("call_time"), .id("call-time"), .attr("value", form?.value("call_time") ?? "")))
        )
        let callFacts: Node<HTML.FormContext> = .div(
            .class("card"), .id("call-facts"),
            .h2(.t(l("Звонок", "The call"))),
            Layout.row(l("Номер звонящего", "Caller's number"), for: "call-number", error: errors["number"],
                       .input(.type(.tel), .name("number"), .id("call-number"), .attr("value", callerNumber), .required(true))),
            Layout.row(l("Длительность, минут", "Duration, minutes"), for: "call-minutes", error: errors["duration_seconds"],
                       .input(.type(.number), .name("minutes"), .id("call-minutes"), .attr("min", "0"), .attr("max", "600"),
                              .attr("value", form?.value("minutes") ?? ""))),
            Layout.row(l("Заметка о звонке", "Note about the call"), for: "call-note", error: errors["note"],
                       .textarea(.name("note"), .id("call-note"), .rows(2), .t(form?.value("note") ?? ""))),
            Layout.row(l("Перезвонить (время по МСК, необязательно)", "Call back at (Moscow time, optional)"), for: "call-callback", error: errors["callback_at"],
                       .input(.type(.datetimeLocal), .name("callback_at"), .id("call-callback"), .attr("value", form?.value("callback_at") ?? "")))
        )
        let register: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.call.path), .id("call-form"),
            Layout.csrfField(ctx),
            .input(.type(.hidden), .name("q"), .attr("value", query)),
            .unwrap(errors["_form"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            who, newTicket, callFacts,
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("call-register"), .t(l("Зарегистрировать звонок", "Register the call")))))
        content.append(register)
        return Layout.render(l("Входящий звонок", "Incoming call"), ctx, status: status, .group(content))
    }

    static func register(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let l = PageContext(request).l
        var input = CallInput(number: form.text("number") ?? "")
        input.direction = "in"
        input.note = form.text("note")
        if let minutes = form.text("minutes") {
            guard let seconds = CallLength.seconds(minutes) else {
                return try await render(request, form: form, errors: ["duration_seconds": l.localizer.fieldMessage(FieldError("minutes", .invalid, "0…1440"))],
                                        status: .unprocessableEntity)
            }
            input.durationSeconds = seconds
        }
        if let raw = form.text("callback_at") {
            guard let at = l.parseLocalInput(raw) else {
                return try await render(request, form: form, errors: ["callback_at": l.localizer.fieldMessage(FieldError("callback_at", .invalid))],
                                        status: .unprocessableEntity)
            }
            input.callbackAt = at
        }
        let target = form.text("ticket_number") ?? "new"
        if target == "new" {
            var fields: [String: String] = [:]
            if let category = form.text("category") { fields["category"] = category }
            if let time = form.text("call_time") { fields["call_time"] = time }
            let requester = form.text("requester_id").flatMap(Int.init)
            var errors: [String: String] = [:]
            if form.text("subject") == nil { errors["subject"] = l.localizer.fieldMessage(FieldError("subject", .required)) }
            if form.text("body") == nil { errors["body"] = l.localizer.fieldMessage(FieldError("body", .required)) }
            if requester == nil, form.text("requester_email") == nil {
                errors[form.value("requester_email") == nil ? "requester_id" : "requester_email"] = l("Выберите, кто звонит.", "Choose who is calling.")
            }
            if !errors.isEmpty { return try await render(request, form: form, errors: errors, status: .unprocessableEntity) }
            input.newTicket = CallTicketInput(subject: form.text("subject")!, body: form.text("body")!, requesterId: requester,
                                              requesterEmail: requester == nil ? form.text("requester_email") : nil,
                                              requesterName: requester == nil ? form.text("requester_name") : nil, groupId: nil, fields: fields)
        } else {
            input.ticketNumber = Int(target)
        }
        do {
            let call = try await PhoneService.logCall(input, context: try request.context)
            return request.redirect(to: SitePath.agentTicket(call.ticketNumber ?? 0).path + "?notice=call-logged")
        } catch let error as ZayavkaError {
            return try await render(request, form: form, errors: DirectoryPages.fieldErrors(error, l), status: .unprocessableEntity)
        }
    }
}

/// The callback queue: the agent's own and unassigned callbacks, due ones first.
enum CallbacksPage {
    static func show(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let all = request.query[String.self, at: "all"] == "1"
        let callbacks = try await PhoneService.callbacks(due: false, assigneeID: all ? nil : signedIn.viewer.userID, ticketNumber: nil, context: try request.context)
        let due = callbacks.filter { $0.dueAt <= ctx.now }
        let later = callbacks.filter { $0.dueAt > ctx.now }
        let back = SitePath.callbacks.path + (all ? "?all=1" : "")
        return Layout.render(l("Обратные звонки", "Callbacks"), ctx, .group(
            .h1(.t(l("Обратные звонки", "Callbacks"))),
            .p(.a(.href(all ? SitePath.callbacks.path : SitePath.callbacks.path + "?all=1"),
                  .t(all ? l("Только мои", "Only mine") : l("Все сотрудники", "Everyone's")))),
            .h2(.t(l("Пора звонить", "Due now") + " (\(due.count))")),
            due.isEmpty ? .p(.class("muted"), .id("no-due"), .t(l("Сейчас звонить некому.", "Nobody to call now.")))
                : .ul(.class("callbacks"), .id("due-callbacks"), .forEach(due) { PhoneView.callbackRow($0, back: back, ctx) }),
            .h2(.t(l("Позже", "Later") + " (\(later.count))")),
            later.isEmpty ? .p(.class("muted"), .t(l("Нет запланированных.", "None scheduled.")))
                : .ul(.class("callbacks"), .id("later-callbacks"), .forEach(later) { PhoneView.callbackRow($0, back: back, ctx) })
        ))
    }

    static func attempt(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw NotFoundPage() }
        let form = try await WebForms.read(request)
        form.discardFiles()
        let back = LocalRedirect.path(form.text("back")).flatMap { $0.hasPrefix("/agent/") ? $0 : nil } ?? SitePath.callbacks.path
        let separator = back.contains("?") ? "&" : "?"
        guard let outcome = form.text("outcome").flatMap(CallOutcome.init(rawValue:)) else {
            return request.redirect(to: back + separator + "notice=callback-invalid")
        }
        guard let seconds = form.text("minutes").map(CallLength.seconds) ?? 0 else {
            return request.redirect(to: back + separator + "notice=callback-invalid")
        }
        do {
            let result = try await PhoneService.attempt(id: id, CallbackAttemptInput(outcome: outcome, durationSeconds: seconds,
                                                                                      note: form.text("note")), context: try request.context)
            return request.redirect(to: back + separator + "notice=callback-" + result.next.replacingOccurrences(of: "_", with: "-"))
        } catch ZayavkaError.conflict {
            return request.redirect(to: back + separator + "notice=callback-taken")
        }
    }

    static func shift(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        form.discardFiles()
        var input = UserInput()
        input.onShift = form.value("on_shift") == "1"
        _ = try await UserService.update(id: signedIn.viewer.userID, input, context: try request.context)
        let back = LocalRedirect.path(form.text("back")) ?? SitePath.agent.path
        return request.redirect(to: back)
    }
}

extension AgentTicketView {
    /// The ticket's calls and callbacks (SPEC C5): log a call, schedule a callback, record a try.
    static func phonePanel(_ model: AgentTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let number = model.ticket.number
        let back = SitePath.agentTicket(number).path
        let log: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.agentCall(number).path), .id("call-log-form"),
            Layout.csrfField(ctx),
            .div(.class("inline"),
                 .select(.attr("name", "direction"), .id("call-direction"), .attr("aria-label", l("Направление", "Direction")),
                         .opt("out", l("Исходящий", "Outgoing")), .opt("in", l("Входящий", "Incoming"))),
                 .input(.type(.tel), .name("number"), .id("call-log-number"), .attr("value", model.phone ?? ""), .attr("aria-label", l("Номер", "Number")))),
            .div(.class("inline"),
                 PhoneView.outcomeSelect("outcome", id: "call-outcome", l),
                 .input(.type(.number), .name("minutes"), .id("call-log-minutes"), .attr("min", "0"), .attr("max", "600"), .class("short"),
                        .attr("placeholder", l("мин", "min")), .attr("aria-label", l("Минут", "Minutes")))),
            .textarea(.name("note"), .id("call-log-note"), .attr("aria-label", l("Заметка о звонке", "A note about the call")), .rows(2), .attr("placeholder", l("Заметка о звонке", "Note about the call"))),
            .div(.class("actions"), .button(.type(.submit), .id("call-log-save"), .t(l("Записать звонок", "Log the call")))))
        let schedule: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.agentCallback(number).path), .id("callback-form"),
            Layout.csrfField(ctx),
            .div(.class("inline"),
                 .input(.type(.datetimeLocal), .name("due_at"), .id("callback-at"), .required(true), .attr("aria-label", l("Когда (МСК)", "When (Moscow)"))),
                 .button(.type(.submit), .id("callback-save"), .t(l("Перезвонить", "Call back")))))
        return .div(
            .class("card"), .id("phone"),
            .h2(.t(l("Звонки", "Calls"))),
            .unwrap(model.errors["call"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .if(!model.callbacks.isEmpty, .ul(.class("callbacks"), .forEach(model.callbacks) { PhoneView.callbackRow($0, back: back, ctx) })),
            model.calls.isEmpty ? .p(.class("muted"), .t(l("Звонков не было.", "No calls yet.")))
                : .ul(.class("calls"), .id("calls"), .forEach(model.calls) { call in
                    let direction: String = call.direction == "in" ? l("входящий", "incoming") : l("исходящий", "outgoing")
                    let line: String = [l.dateTime(call.startedAt), direction, call.number, PhoneView.duration(call.durationSeconds, l)].joined(separator: " · ")
                    return .li(.t(line + " · "),
                        .strong(.t(CallOutcomeNames.name(call.outcome.rawValue, l))),
                        .unwrap(call.agent) { .span(.class("muted"), .t(" · " + $0.name)) },
                        .unwrap(call.note) { .div(.class("muted"), .t($0)) })
                }),
            log,
            .h3(.t(l("Обратный звонок", "Callback"))),
            schedule)
    }
}

extension AgentTicketController {
    static func logCall(_ request: Request) async throws -> Response {
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let l = PageContext(request).l
        var input = CallInput(number: form.text("number") ?? "")
        input.direction = form.text("direction") ?? "out"
        input.outcome = form.text("outcome").flatMap(CallOutcome.init(rawValue:))
        if let minutes = form.text("minutes") {
            guard let seconds = CallLength.seconds(minutes) else {
                throw ZayavkaError.validation([FieldError("minutes", .invalid, "0…1440")])
            }
            input.durationSeconds = seconds
        }
        input.note = form.text("note")
        input.ticketNumber = number
        do {
            _ = try await PhoneService.logCall(input, context: try request.context)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=call-logged")
        } catch let error as ZayavkaError {
            return try await showWithError(number, "call", DirectoryPages.fieldErrors(error, l).map { $0.key + ": " + $0.value }.joined(separator: "; "),
                                           request: request)
        }
    }

    static func scheduleCallback(_ request: Request) async throws -> Response {
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let l = PageContext(request).l
        guard let at = form.text("due_at").flatMap(l.parseLocalInput) else {
            return try await showWithError(number, "call", l("Укажите, когда перезвонить.", "Say when to call back."), request: request)
        }
        do {
            _ = try await PhoneService.scheduleCallback(number: number, CallbackInput(dueAt: at, number: nil, note: nil, assigneeId: nil), context: try request.context)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=callback-scheduled")
        } catch let error as ZayavkaError {
            return try await showWithError(number, "call", DirectoryPages.fieldErrors(error, l).values.joined(separator: "; "), request: request)
        }
    }

    static func showWithError(_ number: Int, _ key: String, _ message: String, request: Request) async throws -> Response {
        var model = try await load(number, request: request)
        model.errors[key] = message
        return Layout.render("№\(number)", PageContext(request), status: .unprocessableEntity, AgentTicketView.render(model, PageContext(request)))
    }
}

/// The length of a call as the forms take it: whole minutes, 0…1440 (a day).
enum CallLength {
    /// Seconds for `minutes`, or nil when it is not a number in range (checked before multiplying).
    static func seconds(_ minutes: String) -> Int? {
        guard minutes.utf8.count <= 6, let value = Int(minutes.trimmingCharacters(in: .whitespaces)), (0...1440).contains(value) else { return nil }
        return value * 60
    }
}
