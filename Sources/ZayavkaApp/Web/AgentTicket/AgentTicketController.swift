import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The agent's ticket page: controller. It loads the model (services and `AgentTicketQuery`, no SQL of
/// its own), renders `AgentTicketView`, and handles the page's forms (reply or note, fields, route, plan).
enum AgentTicketController {
    static func load(_ number: Int, request: Request) async throws -> AgentTicketModel {
        let signedIn = try QueueController.requireStaff(request)
        let sql = try request.sql
        let row = try await TicketQueries.load(number: number, viewer: signedIn.viewer, on: sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let language = request.language
        let ticket = row.dto(signedIn.viewer, catalog, language)
        let comments = try await ConversationService.comments(of: row, viewer: signedIn.viewer, context: try request.context)
        let events = try await ConversationService.events(of: row, viewer: signedIn.viewer, context: try request.context)
        let staff = try await QueueController.staffOptions(request: request)
        var people = QueueModel.Option.labelsByID(staff)
        people[ticket.requester.id] = ticket.requester.name
        let statusNames = Dictionary(catalog.statuses.map { ($0.key, $0.name(language)) }, uniquingKeysWith: { a, _ in a })
        guard let requester = try await AgentTicketQuery.requester(id: ticket.requester.id, excluding: number, statusNames: statusNames, on: sql)
        else { throw NotFoundPage() }
        let canned = try await CannedService.list(context: try request.context).map { AgentTicketModel.Canned(title: $0.title, body: $0.body, sets: $0.sets.formValues) }
        let calendars = try await request.services.sla.setup(sql).calendars
        let clocks = try await SLAClocks.dto(ticketID: row.id, at: Date(), calendars: calendars, on: sql)
        var timeline = TimelineModel(comments: comments, events: events, statusNames: statusNames, peopleNames: people)
        timeline.mailMessages = try await AgentTicketQuery.mailMessages(ticketID: row.id, on: sql)
        let slots = try await AgentTicketQuery.slots(ticketID: row.id, number: number, on: sql)
        let routes = try await RoutingService.routes(on: sql)
        let calls = try await PhoneService.calls(number: number, context: try request.context)
        let callbacks = try await PhoneService.callbacks(due: false, assigneeID: nil, ticketNumber: number, context: try request.context)
        timeline.routeNames = Dictionary(routes.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
        timeline.staffTools = true
        timeline.intake = catalog.intake
        timeline.organizationNames = try await AgentTicketQuery.organizationNames(
            ids: events.filter { $0.field == "organization_id" }.flatMap { [$0.before, $0.after] }.compactMap { $0.flatMap { Int($0) } }, on: sql)
        let groups = try await QueueController.groupOptions(request: request)
        timeline.groupNames = QueueModel.Option.labelsByID(groups)
        var model = AgentTicketModel(
            ticket: ticket,
            timeline: timeline,
            requester: requester, statuses: catalog.statuses, staff: staff, groups: groups,
            intake: catalog.intake, canned: canned, clocks: clocks, routes: routes.filter(\.active),
            account: try await TicketAccountService.account(of: row, language: language, context: try request.context),
            warnings: try await ConductService.warningsBefore(requesterID: ticket.requester.id, on: sql), slots: slots,
            calls: calls, callbacks: callbacks, phone: ticket.fields["phone"].flatMap { PhoneNumber.normalize($0) } ?? requester.phone,
            problem: try await ProblemService.ofTicket(number: number, context: try request.context),
            problemCandidates: try await problemCandidates(ticket, request: request))
        // Articles that may answer this (issue 17): any word of the subject, best first.
        model.articles = try await SearchService.suggestions(forSubject: ticket.subject, audiences: ArticleAudience.allCases, language: nil, limit: 5, on: sql)
            .map { .init(title: $0.title, url: SitePath.agentArticle($0.slug).path,
                         publicURL: $0.audience == ArticleAudience.staff.rawValue ? nil : request.services.configuration.publicURL + SitePath.kbArticle($0.slug).path) }
        model.ban = try await request.services.bans.match(userID: requester.id, email: requester.email, sql)
        model.resolution = try await ResolutionService.latest(ticketID: row.id, on: sql)
        model.survey = try await SatisfactionService.surveys(of: row, viewer: signedIn.viewer, on: sql).last { $0.rating != nil }
        model.resolutionRequired = try await QualitySettingsService.current(services: request.services, on: sql).required(for: ticket.type)
        return model
    }

    /// The resolution report's fields of a reply form; nil when all are empty.
    static func resolutionInput(_ form: ReceivedForm) -> ResolutionInput? {
        let input = ResolutionInput(fixed: form.value("resolution.fixed"), how: form.value("resolution.how"),
                                    prevention: form.value("resolution.prevention"), check: form.value("resolution.check"))
        return input.report.isEmpty ? nil : input
    }

    /// Open problems the ticket's subject finds: the agent's first search (SPEC P1, seed 001).
    static func problemCandidates(_ ticket: TicketDTO, request: Request) async throws -> [ProblemDTO] {
        var filter = ProblemService.Filter()
        filter.query = request.query[String.self, at: "problem_q"] ?? ticket.subject
        filter.status = ProblemStatus.allCases.filter { !$0.isFinal }
        filter.limit = 5
        return try await ProblemService.list(filter, context: try request.context).items
    }

    static func show(_ request: Request) async throws -> Response {
        let number = try PortalController.number(request)
        let model = try await load(number, request: request)
        let ctx = PageContext(request)
        return Layout.render("№\(number) · " + model.ticket.subject, ctx, AgentTicketView.render(model, ctx))
    }

    /// The fields of the page's form that differ from the ticket, as a patch (status apart); only the
    /// fields the form carries are compared, so a form without them changes nothing.
    static func patch(_ form: ReceivedForm, ticket t: TicketDTO, intake: [IntakeFieldDefinition], l: L) -> (TicketPatchInput, [String: String]) {
        var patch = TicketPatchInput()
        var errors: [String: String] = [:]
        func has(_ name: String) -> Bool { form.fields[name] != nil }
        if has("subject"), let subject = form.value("subject"), subject != t.subject { patch.subject = subject }
        if has("assignee_id") {
            let assignee = form.text("assignee_id").flatMap { Int($0) }
            if assignee != t.assignee?.id { patch.assigneeId = .some(assignee) }
        }
        if has("group_id") {
            let group = form.text("group_id").flatMap { Int($0) }
            if group != t.group?.id { patch.groupId = .some(group) }
        }
        if let type = form.text("type").flatMap(TicketType.init(rawValue:)), type != t.type { patch.type = type }
        if let priority = form.text("priority").flatMap(TicketPriority.init(rawValue:)), priority != t.priority { patch.priority = priority }
        if has("urgency") {
            let urgency = form.text("urgency").flatMap { Int($0) }
            if urgency != t.urgency {
                if let urgency, Urgency(urgency) == nil { errors["urgency"] = l.localizer.fieldMessage(FieldError("urgency", .invalid)) }
                else { patch.urgency = .some(urgency.flatMap(Urgency.init)) }
            }
        }
        if has("responsibility") {
            let responsibility = form.text("responsibility").flatMap(Responsibility.init(rawValue:))
            if responsibility != t.responsibility { patch.responsibility = .some(responsibility) }
        }
        if has("cause") {
            let cause = form.text("cause")
            if cause != t.cause { patch.cause = .some(cause) }
        }
        if has("due_at") {
            var due: Date?
            if let raw = form.text("due_at") {
                due = l.parseLocalInput(raw)
                if due == nil { errors["due_at"] = l.localizer.fieldMessage(FieldError("due_at", .invalid)) }
            }
            if errors["due_at"] == nil, due.map({ Int($0.timeIntervalSince1970 / 60) }) != t.dueAt.map({ Int($0.timeIntervalSince1970 / 60) }) {
                patch.dueAt = .some(due)
            }
        }
        var fieldChanges: [String: String?] = [:]
        for field in intake where has("fields." + field.key) {
            let value = form.text("fields." + field.key)
            if value != t.fields[field.key] { fieldChanges[field.key] = .some(value) }
        }
        if !fieldChanges.isEmpty { patch.fields = fieldChanges }
        return (patch, errors)
    }

    /// The page's one submit: field changes, and the reply or note when there is text, in one
    /// transaction. "Send and → Solved" moves the ticket with the reply; "Save the fields" saves
    /// the fields and keeps an unsent text in the composer.
    static func work(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let t = try await TicketQueries.dto(number: number, context: try request.context)
        let intake = try await request.services.catalog.snapshot(request.database).intake
        var (patch, errors) = patch(form, ticket: t, intake: intake, l: l)
        let body = form.value("body") ?? ""
        let hasText = !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        let saveOnly = form.text("action") == "save"
        let isPublic = form.value("visibility") != "internal"
        let target = form.text("send_status") ?? form.text("status")
        let status = target == t.status ? nil : target
        let answer = isPublic ? form.text("answer") : nil
        let resolution = isPublic ? resolutionInput(form) : nil
        var uploads: [AttachmentRecord] = []
        var notice = "saved"
        /// The page again, with what the agent typed still in the composer.
        func withDraft() async throws -> AgentTicketModel {
            var model = try await load(number, request: request)
            model.draft = body
            model.draftInternal = !isPublic
            model.draftAnswer = answer ?? ""
            return model
        }
        do {
            if !errors.isEmpty { throw ZayavkaError.validation([]) }
            if hasText && !saveOnly {
                var promised: Date?
                if answer == "promise", let raw = form.text("promised_at") {
                    promised = l.parseLocalInput(raw)
                    if promised == nil { throw ZayavkaError.validation([FieldError("promised_at", .invalid)]) }
                }
                uploads = try await StreamedForm.record(form.files, uploaderID: try request.context.viewer.userID, context: try request.context)
                let changes: TicketPatchInput? = patch.isEmpty ? nil : patch
                _ = try await ConversationService.insertComment(
                    number: number, input: CommentInput(body: body, public: isPublic, attachments: uploads.map(\.publicID), status: status,
                                                        answer: answer, promisedAt: promised, refusalReason: form.text("refusal_reason"),
                                                        resolution: resolution, changes: changes),
                    source: .web, context: try request.context)
                notice = isPublic ? "replied" : "noted"
            } else {
                patch.status = status
                if patch.isEmpty, !saveOnly { throw ZayavkaError.validation([FieldError("body", .required)]) }
                patch.resolution = status == nil ? nil : resolution
                if !patch.isEmpty { _ = try await TicketService.update(number: number, input: patch, context: try request.context) }
                form.discardFiles()
                if hasText {
                    // Saved, and the text stays in the composer, unsent.
                    var ctx = ctx
                    ctx.notice = Notices.text("saved-unsent", l)
                    let model = try await withDraft()
                    return Layout.render("№\(number) · " + model.ticket.subject, ctx, AgentTicketView.render(model, ctx))
                }
            }
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=" + notice)
        } catch ZayavkaError.validation(let problems) {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            var model = try await withDraft()
            model.draftResolution = resolution
            for (name, values) in form.fields where name != "body" && name != "_csrf" { if let value = values.first { model.posted[name] = value } }
            if let status { model.posted["status"] = status }
            model.errors = errors
            describe(problems, into: &model, hasText: hasText && !saveOnly, l)
            if model.errors.isEmpty { model.errors["_form"] = l("Ничего не сохранено: проверьте поля.", "Nothing was saved: please check the fields.") }
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        } catch let error as ZayavkaError {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            if case .ticketClosed = error { throw error }
            var model = try await withDraft()
            model.errors["_form"] = l.localizer.message(for: error)
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        }
    }

    /// A refused submit's problems, each next to its control, in the reader's words.
    static func describe(_ errors: [FieldError], into model: inout AgentTicketModel, hasText: Bool, _ l: L) {
        let resolutionErrors = errors.filter { $0.field.hasPrefix("resolution") }
        if !resolutionErrors.isEmpty {
            if hasText {
                model.errors["resolution"] = resolutionErrors.map { problem in
                    problem.field == "resolution"
                        ? l("Отчёт о решении пишут только вместе с переводом заявки в «Решена».", "A resolution report goes only with setting the ticket to Solved.")
                        : ResolutionView.partName(problem.field, l) + ": " + l.localizer.fieldMessage(problem)
                }.joined(separator: "; ")
            } else {
                model.errors["status"] = l("Для заявки этого типа нужен отчёт о решении: решите её ответом клиенту, заполнив отчёт под текстом.",
                                           "A ticket of this type needs a resolution report: solve it with a reply and fill in the report under the text.")
            }
        }
        let answerFields: Set<String> = ["answer", "promised_at", "refusal_reason"]
        func label(_ field: String) -> String {
            switch field {
            case "promised_at": l("Срок решения", "Solve by")
            case "refusal_reason": l("Причина отказа", "Reason for the refusal")
            default: l("Вид ответа", "Kind of reply")
            }
        }
        let answerErrors = errors.filter { answerFields.contains($0.field) }
        if !answerErrors.isEmpty {
            model.errors["answer"] = answerErrors.map { label($0.field) + ": " + l.localizer.fieldMessage($0) }.joined(separator: "; ")
        }
        for problem in errors where !answerFields.contains(problem.field) && !problem.field.hasPrefix("resolution") {
            let field = problem.field.hasPrefix("changes.") ? String(problem.field.dropFirst(8)) : problem.field
            switch field {
            case "body": model.errors["body"] = problem.code == .required ? l("Напишите текст.", "Please write the text.") : l.localizer.fieldMessage(problem)
            case "public", "status", "changes": model.errors["body"] = l.localizer.fieldMessage(problem)
            default: model.errors[field] = l.localizer.fieldMessage(problem)
            }
        }
        if errors.contains(where: { $0.field == "status" }) {
            model.errors["status"] = errors.first { $0.field == "status" }.map { l.localizer.fieldMessage($0) }
        }
    }

    static func warning(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let result = try await ConductService.warn(number: number, WarningInput(requestBan: form.text("action") == "ban"), context: try request.context)
        let notice = result.banRequested ? "ban-requested" : (result.banOffered ? "warned-again" : "warned")
        return request.redirect(to: SitePath.agentTicket(number).path + "?notice=" + notice)
    }

    /// Places the customer in the organization their "contract or login" answer names.
    static func place(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        _ = try await WebForms.read(request)
        _ = try await TicketAccountService.place(number: number, context: try request.context)
        return request.redirect(to: SitePath.agentTicket(number).path + "?notice=placed")
    }

    /// Hand-off along a route; a refusal (a paid-only route for a free-plan customer) comes back on the page.
    static func route(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let number = try PortalController.number(request)
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        do {
            _ = try await RoutingService.route(number: number, RouteRequest(route: form.text("route") ?? "", note: form.value("note")), context: try request.context)
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
                model.proposal = try await WorkloadService.propose(number: number, minutes: minutes, userID: user, notBefore: nil, context: try request.context)
                return Layout.render("№\(number)", ctx, AgentTicketView.render(model, ctx))
            }
            _ = try await WorkloadService.plan(number: number, input: PlanInput(minutes: minutes ?? 0, userId: user, notBefore: nil,
                                                                                 tellCustomer: form.text("tell_customer") != nil, note: nil),
                                               context: try request.context)
            return request.redirect(to: SitePath.agentTicket(number).path + "?notice=planned")
        } catch ZayavkaError.validation(let problems) {
            var model = try await load(number, request: request)
            model.errors["plan"] = problems.map { ($0.field == "minutes" ? ctx.l("Оценка", "Estimate") : ctx.l("Специалист", "Specialist"))
                + ": " + ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
            return Layout.render("№\(number)", ctx, status: .unprocessableEntity, AgentTicketView.render(model, ctx))
        }
    }

}
