import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Filing a ticket for a customer who called or walked in: find them, or enter a new one.
struct NewTicketModel: Sendable {
    struct Customer: Sendable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let organization: String?
    }

    var find = ""
    var found: [Customer] = []
    var requesterID: Int?
    var newName = ""
    var newEmail = ""
    var subject = ""
    var body = ""
    var channel = TicketChannel.phone
    var type = TicketType.question
    var priority = TicketPriority.normal
    var urgency: Int?
    var assigneeID: Int?
    var groupID: Int?
    var fields: [String: String] = [:]
    var errors: [String: String] = [:]
    var intake: [IntakeFieldDefinition] = []
    var staff: [QueueModel.Option] = []
    var groups: [QueueModel.Option] = []
}

enum NewTicketView {
    static func render(_ model: NewTicketModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(l("Новая заявка от клиента", "New ticket for a customer"))),
            .form(
                .class("card filters"), .method(.get), .action(SitePath.agentNew.path), .id("customer-search"),
                .div(.class("field wide"),
                     .element(named: "label", nodes: [.attr("for", "find"), .t(l("Найти клиента: имя, почта, телефон или организация", "Find the customer: name, email, phone or organization"))]),
                     .input(.type(.search), .name("find"), .id("find"), .attr("value", model.find), .autofocus(model.find.isEmpty))),
                .button(.type(.submit), .class("secondary"), .t(l("Найти", "Find")))
            ),
            .if(!model.errors.isEmpty, .div(.class("errors"), .attr("role", "alert"), .t(l("Проверьте выделенные поля.", "Please check the highlighted fields.")))),
            .form(
                .class("card"), .method(.post), .action(SitePath.agentNew.path), .enctype(.multipartData), .id("new-ticket-form"),
                Layout.csrfField(ctx),
                .input(.type(.hidden), .name("find"), .attr("value", model.find)),
                .fieldset(
                    .class("field" + (model.errors["requester"] == nil ? "" : " invalid")),
                    .element(named: "legend", nodes: [.t(l("Клиент", "Customer"))]),
                    .unwrap(model.errors["requester"]) { .p(.class("error"), .t($0)) },
                    .forEach(model.found) { customer in
                        .div(.element(named: "label", nodes: [
                            .input(.type(.radio), .name("requester_id"), .value(String(customer.id)), .checked(model.requesterID == customer.id || model.found.count == 1)),
                            .t(" " + customer.name + " · " + customer.email + (customer.phone.map { " · " + $0 } ?? "") + (customer.organization.map { " · " + $0 } ?? "")),
                        ]))
                    },
                    .if(!model.find.isEmpty && model.found.isEmpty, .p(.class("muted"), .t(l("Никого не нашли — введите нового клиента ниже.", "Nobody found: enter a new customer below.")))),
                    .div(.element(named: "label", nodes: [
                        .input(.type(.radio), .name("requester_id"), .value("new"), .checked(model.found.isEmpty && model.requesterID == nil)),
                        .t(" " + l("Новый клиент:", "New customer:")),
                    ])),
                    .div(.class("filters"),
                         .input(.type(.text), .name("new_name"), .attr("value", model.newName), .placeholder(l("Имя", "Name")), .attr("aria-label", l("Имя", "Name"))),
                         .input(.type(.email), .name("new_email"), .attr("value", model.newEmail), .placeholder(l("Почта", "Email")), .attr("aria-label", l("Почта", "Email"))))
                ),
                Layout.row(l("Тема", "Subject"), for: "subject", error: model.errors["subject"],
                           .input(.type(.text), .name("subject"), .id("subject"), .attr("value", model.subject), .required(true))),
                Layout.row(l("Описание", "Description"), for: "body", error: model.errors["body"],
                           .textarea(.name("body"), .id("body"), .required(true), .rows(6), .t(model.body))),
                .div(.class("filters"),
                     Layout.row(l("Канал", "Channel"), for: "channel", .select(.attr("name", "channel"), .id("channel"),
                        .forEach([TicketChannel.phone, .email, .web]) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == model.channel) })),
                     Layout.row(l("Тип", "Type"), for: "type", error: model.errors["type"], .select(.attr("name", "type"), .id("type"),
                        .forEach(TicketType.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == model.type) })),
                     Layout.row(l("Приоритет", "Priority"), for: "priority", .select(.attr("name", "priority"), .id("priority"),
                        .forEach(TicketPriority.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == model.priority) })),
                     Layout.row(l("Срочность", "Urgency"), for: "urgency", .select(.attr("name", "urgency"), .id("urgency"), .opt("", "—"),
                        .forEach(Urgency.all) { .opt(String($0.level), String($0.level), selected: $0.level == model.urgency) })),
                     Layout.row(l("Исполнитель", "Assignee"), for: "assignee_id", .select(.attr("name", "assignee_id"), .id("assignee_id"), .opt("", "—"),
                        .forEach(model.staff) { .opt($0.value, $0.label, selected: $0.value == model.assigneeID.map(String.init)) })),
                     Layout.row(l("Группа", "Group"), for: "group_id", .select(.attr("name", "group_id"), .id("group_id"), .opt("", "—"),
                        .forEach(model.groups) { .opt($0.value, $0.label, selected: $0.value == model.groupID.map(String.init)) }))),
                .forEach(model.intake) { field in
                    IntakeInputs.row(field, value: model.fields[field.key] ?? "", error: model.errors["fields." + field.key], l)
                },
                Layout.row(l("Файлы", "Files"), for: "files", .input(.type(.file), .name("files"), .id("files"), .multiple(true))),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("create-ticket"), .t(l("Создать заявку", "Create ticket"))))
            )
        )
    }
}

enum NewTicketController {
    static func baseModel(_ request: Request) async throws -> NewTicketModel {
        var model = NewTicketModel()
        model.intake = try await request.services.catalog.snapshot(request.database).intake
        model.staff = try await QueueController.staffOptions(request: request)
        model.groups = try await QueueController.groupOptions(request: request)
        return model
    }

    static func form(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        var model = try await baseModel(request)
        model.find = request.query[String.self, at: "find"] ?? ""
        model.found = try await NewTicketPageQuery.findCustomers(model.find, on: request.sql)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Новая заявка", "New ticket"), ctx, NewTicketView.render(model, ctx))
    }

    static func create(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        var model = try await baseModel(request)
        let ctx = PageContext(request)
        model.find = form.value("find") ?? ""
        model.found = try await NewTicketPageQuery.findCustomers(model.find, on: request.sql)
        model.requesterID = form.value("requester_id").flatMap(Int.init)
        model.newName = form.value("new_name") ?? ""
        model.newEmail = form.value("new_email") ?? ""
        model.subject = form.value("subject") ?? ""
        model.body = form.value("body") ?? ""
        model.channel = form.value("channel").flatMap(TicketChannel.init(rawValue:)) ?? .phone
        model.type = form.value("type").flatMap(TicketType.init(rawValue:)) ?? .question
        model.priority = form.value("priority").flatMap(TicketPriority.init(rawValue:)) ?? .normal
        model.urgency = form.text("urgency").flatMap(Int.init)
        model.assigneeID = form.text("assignee_id").flatMap(Int.init)
        model.groupID = form.text("group_id").flatMap(Int.init)
        model.fields = IntakeInputs.values(form, model.intake)
        if model.requesterID == nil, model.newEmail.trimmingCharacters(in: .whitespaces).isEmpty {
            model.errors["requester"] = ctx.l("Выберите клиента или введите почту нового.", "Choose a customer or enter the new one's email.")
        }
        var uploads: [AttachmentRecord] = []
        do {
            guard model.errors.isEmpty else { throw ZayavkaError.validation([]) }
            uploads = try await StreamedForm.record(form.files, uploaderID: signedIn.viewer.userID, context: try request.context)
            let input = TicketCreateInput(
                subject: model.subject, body: model.body, requesterId: model.requesterID,
                requesterEmail: model.requesterID == nil ? model.newEmail.trimmingCharacters(in: .whitespaces) : nil,
                requesterName: model.requesterID == nil ? model.newName.trimmingCharacters(in: .whitespaces).nilIfEmpty : nil,
                channel: model.channel, type: model.type, priority: model.priority, urgency: model.urgency.flatMap(Urgency.init),
                responsibility: nil, cause: nil, status: nil, assigneeId: model.assigneeID, groupId: model.groupID, dueAt: nil,
                fields: model.fields, attachments: uploads.map(\.publicID))
            let ticket = try await TicketService.create(input, context: try request.context)
            return request.redirect(to: SitePath.agentTicket(ticket.number).path + "?notice=created")
        } catch ZayavkaError.validation(let errors) {
            form.discardFiles()
            await StreamedForm.forget(uploads, request: request)
            for error in errors {
                let key = error.field.hasPrefix("requester") ? "requester" : error.field
                model.errors[key] = ctx.l.localizer.fieldMessage(error)
            }
            return Layout.render(ctx.l("Новая заявка", "New ticket"), ctx, status: .unprocessableEntity, NewTicketView.render(model, ctx))
        }
    }
}
