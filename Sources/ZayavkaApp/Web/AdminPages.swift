import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

// MARK: Canned responses

/// The team's stock phrases, editable by managers and admins.
struct CannedListModel: Sendable {
    struct Item: Sendable {
        let id: Int
        let title: String
        let body: String
        let position: Int
        var sets = CannedSets()
    }

    var items: [Item]
    var editing: Item?
    var errors: [String: String] = [:]
    /// What a macro may set: the statuses, the staff and the groups to choose from.
    var statuses: [QueueModel.Option] = []
    var staff: [QueueModel.Option] = []
    var groups: [QueueModel.Option] = []
}

enum CannedView {
    static func render(_ model: CannedListModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let editing = model.editing
        return .group(
            .h1(.t(l("Шаблоны ответов", "Canned responses"))),
            .table(.class("list"), .id("canned-list"),
                   .thead(.tr(.th(.t(l("Название", "Title"))), .th(.t(l("Текст", "Text"))), .th(.t(l("Заодно меняет", "Also sets"))), .th(.t("")))),
                   .tbody(.forEach(model.items) { item in
                       .tr(.td(.a(.href(SitePath.adminCanned.path + "?edit=\(item.id)"), .t(item.title))),
                           .td(.t(item.body)),
                           .td(.t(setsText(item.sets, model, l))),
                           .td(.form(.method(.post), .action(SitePath.adminCannedDelete(item.id).path), Layout.csrfField(ctx),
                                     .button(.type(.submit), .class("secondary"), .t(l("Удалить", "Delete"))))))
                   })),
            .form(
                .class("card"), .method(.post), .action(SitePath.adminCannedSave.path), .id("canned-form"),
                Layout.csrfField(ctx),
                .h2(.t(editing == nil ? l("Новый шаблон", "New canned response") : l("Изменить шаблон", "Edit canned response"))),
                .input(.type(.hidden), .name("id"), .attr("value", editing.flatMap { $0.id == 0 ? nil : String($0.id) } ?? "")),
                Layout.row(l("Название", "Title"), for: "canned-title", error: model.errors["title"],
                           .input(.type(.text), .name("title"), .id("canned-title"), .attr("value", editing?.title ?? ""), .required(true))),
                Layout.row(l("Текст", "Text"), for: "canned-body", error: model.errors["body"],
                           .textarea(.name("body"), .id("canned-body"), .required(true), .rows(4), .t(editing?.body ?? ""))),
                .p(.class("hint"), .t(l("Шаблон может заодно менять поля заявки: они выставятся на странице заявки и сохранятся вместе с ответом.",
                                        "A canned response may also set the ticket's fields: they are filled in on the ticket page and saved with the reply."))),
                .div(.class("inline-row"),
                     select("set_status", l("Статус", "Status"), model.statuses, editing?.sets.status, model, l),
                     select("set_priority", l("Приоритет", "Priority"), TicketPriority.allCases.map { .init(value: $0.rawValue, label: l.localizer.name($0)) },
                            editing?.sets.priority?.rawValue, model, l),
                     select("set_group_id", l("Группа", "Group"), model.groups, editing?.sets.groupId.map(String.init), model, l),
                     select("set_assignee_id", l("Исполнитель", "Assignee"), model.staff, editing?.sets.assigneeId.map(String.init), model, l)),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
            )
        )
    }

    static func select<C: HTML.BodyContext>(_ name: String, _ label: String, _ options: [QueueModel.Option], _ value: String?, _ model: CannedListModel, _ l: L) -> Node<C> {
        Layout.row(label, for: "canned-" + name, error: model.errors["sets." + name.dropFirst(4)],
                   .select(.attr("name", name), .id("canned-" + name), .opt("", l("не менять", "keep")),
                           .forEach(options) { .opt($0.value, $0.label, selected: $0.value == value) }))
    }

    static func setsText(_ sets: CannedSets, _ model: CannedListModel, _ l: L) -> String {
        func label(_ options: [QueueModel.Option], _ value: String?) -> String? { value.map { v in options.first { $0.value == v }?.label ?? v } }
        let parts = [label(model.statuses, sets.status).map { l("статус: ", "status: ") + $0 },
                     sets.priority.map { l("приоритет: ", "priority: ") + l.localizer.name($0) },
                     label(model.groups, sets.groupId.map(String.init)).map { l("группа: ", "group: ") + $0 },
                     label(model.staff, sets.assigneeId.map(String.init)).map { l("исполнитель: ", "assignee: ") + $0 }].compactMap { $0 }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }
}

enum CannedController {
    static func requireManager(_ request: Request) throws {
        _ = try QueueController.requireStaff(request)
        try CannedService.requireEditor(try request.context)
    }

    static func items(_ request: Request) async throws -> [CannedListModel.Item] {
        try await CannedService.list(context: try request.context).map { .init(id: $0.id, title: $0.title, body: $0.body, position: $0.position, sets: $0.sets) }
    }

    static func model(_ request: Request, editing: CannedListModel.Item?) async throws -> CannedListModel {
        let catalog = try await request.services.catalog.snapshot(request.database)
        var model = CannedListModel(items: try await items(request), editing: editing)
        model.statuses = catalog.statuses.map { .init(value: $0.key, label: $0.name(request.language)) }
        model.staff = try await QueueController.staffOptions(request: request)
        model.groups = try await QueueController.groupOptions(request: request)
        return model
    }

    static func sets(_ form: ReceivedForm) -> CannedSets {
        CannedSets(status: form.text("set_status"), priority: form.text("set_priority").flatMap(TicketPriority.init(rawValue:)),
                   groupId: form.text("set_group_id").flatMap { Int($0) }, assigneeId: form.text("set_assignee_id").flatMap { Int($0) })
    }

    static func list(_ request: Request) async throws -> Response {
        try requireManager(request)
        let items = try await items(request)
        let editID = request.query[String.self, at: "edit"].flatMap(Int.init)
        let ctx = PageContext(request)
        let model = try await model(request, editing: items.first { $0.id == editID })
        return Layout.render(ctx.l("Шаблоны ответов", "Canned responses"), ctx, CannedView.render(model, ctx))
    }

    static func save(_ request: Request) async throws -> Response {
        try requireManager(request)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap(Int.init)
        let ctx = PageContext(request)
        do {
            _ = try await CannedService.save(id: id, CannedResponseInput(title: form.value("title") ?? "", body: form.value("body") ?? "", sets: sets(form)), context: try request.context)
            return request.redirect(to: SitePath.adminCanned.path + "?notice=saved")
        } catch ZayavkaError.validation(let problems) {
            let editing = CannedListModel.Item(id: id ?? 0, title: form.value("title") ?? "", body: form.value("body") ?? "", position: 0, sets: sets(form))
            var model = try await model(request, editing: editing)
            for problem in problems { model.errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            return Layout.render(ctx.l("Шаблоны ответов", "Canned responses"), ctx, status: .unprocessableEntity, CannedView.render(model, ctx))
        }
    }

    static func delete(_ request: Request) async throws -> Response {
        try requireManager(request)
        _ = try await WebForms.read(request)
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw NotFoundPage() }
        _ = try await CannedService.delete(id: id, context: try request.context)
        return request.redirect(to: SitePath.adminCanned.path + "?notice=deleted")
    }
}

// MARK: Users

struct UsersModel: Sendable {
    struct Item: Sendable {
        let id: Int
        let name: String
        let email: String
        let role: Role
        let organization: String?
        let organizationID: Int?
        let phone: String?
        let isActive: Bool
        let calendar: String?
    }

    var items: [Item]
    var editing: Item?
    var organizations: [QueueModel.Option]
    var calendars: [QueueModel.Option] = []
    var errors: [String: String] = [:]
    /// The latest audit events (erasures, legal holds): who, whose, why.
    var audit: [AuditEventDTO] = []
    /// The legal holds covering the customer being edited (theirs and their organization's), newest first.
    var holds: [LegalHoldDTO] = []
}

enum UsersView {
    static func auditAction(_ event: AuditEventDTO, _ l: L) -> String {
        let whom = event.details["organization_id"].map { l("организации #", "organization #") + String($0) }
            ?? (l("пользователя #", "user #") + String(event.subjectUserId ?? 0))
        switch event.action {
        case "personal_data_erased": return l("удалены персональные данные ", "erased the personal data of ") + whom
        case "legal_hold_placed": return l("наложено удержание данных ", "placed a legal hold on ") + whom
        case "legal_hold_released": return l("снято удержание данных ", "released the legal hold on ") + whom
        default: return event.action
        }
    }

    static func eraseCard(_ user: UsersModel.Item, _ model: UsersModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(
            .class("card"), .method(.post), .action(SitePath.adminUserErase.path), .id("erase-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Удалить персональные данные", "Erase personal data"))),
            .p(.class("hint"), .t(l("Имя, почта, телефон и тексты обращений \(user.name) будут заменены, вложения и исходные письма удалены; заявки и статистика останутся. Отменить нельзя.",
                                   "The name, email, phone and the text of \(user.name)'s requests are replaced, attachments and raw mail deleted; tickets and statistics stay. This cannot be undone."))),
            .unwrap(model.errors["_erase"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .input(.type(.hidden), .name("id"), .attr("value", String(user.id))),
            Layout.row(l("Основание (запрос клиента, его номер и дата)", "Grounds (the customer's request, its number and date)"),
                       for: "erase-reason", error: model.errors["reason"],
                       .textarea(.name("reason"), .id("erase-reason"), .rows(2), .required(true))),
            .div(.class("field"), .element(named: "label", nodes: [
                .input(.type(.checkbox), .name("confirm"), .value("1"), .id("erase-confirm")),
                .t(" " + l("Я понимаю, что это необратимо", "I understand this cannot be undone")),
            ])),
            .div(.class("actions"), .button(.type(.submit), .class("danger"), .t(l("Удалить данные", "Erase the data"))))
        )
    }

    static func holdsCard(_ user: UsersModel.Item, _ model: UsersModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(
            .class("card"), .id("holds"),
            .h2(.t(l("Удержание данных (legal hold)", "Legal holds"))),
            .p(.class("hint"), .t(l("Пока действует удержание (суд, проверка, расследование), персональные данные клиента удалить нельзя.",
                                   "While a hold is active (a court case, an audit, an investigation), the customer's personal data cannot be erased."))),
            .unwrap(model.errors["_hold"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .if(!model.holds.isEmpty, .table(
                .class("list"), .id("holds-list"),
                .thead(.tr(.th(.t(l("На кого", "On"))), .th(.t(l("Основание", "Grounds"))), .th(.t(l("Наложил", "Placed"))), .th(.t(l("Состояние", "State"))))),
                .tbody(.forEach(model.holds) { hold in
                    .tr(.td(.t(hold.organization.map { l("организация ", "organization ") + $0.name } ?? (hold.user?.name ?? "—"))),
                        .td(.t(hold.reason)),
                        .td(.t((hold.placedBy?.name ?? "—") + ", " + l.dateTime(hold.placedAt))),
                        .td(hold.releasedAt.map { at in
                            .t(l("снято ", "released ") + l.dateTime(at) + " (" + (hold.releasedBy?.name ?? "—") + "): " + (hold.releaseReason ?? ""))
                        } ?? .form(
                            .method(.post), .action(SitePath.adminUserHoldRelease.path), .class("inline"),
                            Layout.csrfField(ctx),
                            .input(.type(.hidden), .name("id"), .attr("value", String(user.id))),
                            .input(.type(.hidden), .name("hold_id"), .attr("value", String(hold.id))),
                            .strong(.t(l("действует", "active"))), .t(" "),
                            .input(.type(.text), .name("reason"), .required(true), .attr("aria-label", l("Почему снимается", "Why it is released")),
                                   .attr("placeholder", l("почему снимается", "why it is released"))),
                            .button(.type(.submit), .t(l("Снять", "Release")))
                        )))
                }))),
            .form(
                .method(.post), .action(SitePath.adminUserHold.path), .id("hold-form"),
                Layout.csrfField(ctx),
                .input(.type(.hidden), .name("id"), .attr("value", String(user.id))),
                Layout.row(l("На кого", "On"), for: "hold-on", error: nil,
                           .select(.attr("name", "on"), .id("hold-on"), .opt("user", l("на клиента ", "the customer ") + user.name, selected: true),
                                   .unwrap(user.organization) { name in .opt("organization", l("на всю организацию ", "the whole organization ") + name, selected: false) })),
                Layout.row(l("Основание (дело, запрос, номер и дата)", "Grounds (the case or request, its number and date)"), for: "hold-reason",
                           error: model.errors["hold_reason"], .textarea(.name("reason"), .id("hold-reason"), .rows(2), .required(true))),
                .div(.class("actions"), .button(.type(.submit), .t(l("Наложить удержание", "Place a hold"))))
            )
        )
    }

    static func render(_ model: UsersModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let e = model.editing
        return .group(
            .h1(.t(l("Пользователи", "Users"))),
            .table(.class("list"), .id("users"),
                   .thead(.tr(.th(.t(l("Имя", "Name"))), .th(.t(l("Почта", "Email"))), .th(.t(l("Роль", "Role"))),
                              .th(.class("wide-only"), .t(l("Организация", "Organization"))), .th(.t(l("Активен", "Active"))))),
                   .tbody(.forEach(model.items) { user in
                       .tr(.td(.a(.href(SitePath.adminUsers.path + "?edit=\(user.id)"), .t(user.name))), .td(.t(user.email)),
                           .td(.t(l.localizer.name(user.role))), .td(.class("wide-only"), .t(user.organization ?? "—")),
                           .td(.t(user.isActive ? l("да", "yes") : l("нет", "no"))))
                   })),
            .if(!model.audit.isEmpty, .group(
                .h2(.t(l("Журнал аудита", "Audit log"))),
                .table(.class("list"), .id("audit-log"),
                       .thead(.tr(.th(.t(l("Когда", "When"))), .th(.t(l("Кто", "Who"))), .th(.t(l("Что", "What"))), .th(.t(l("Основание", "Grounds"))))),
                       .tbody(.forEach(model.audit) { event in
                           .tr(.td(.t(l.dateTime(event.createdAt))), .td(.t(event.actor?.name ?? "—")),
                               .td(.t(auditAction(event, l))),
                               .td(.t(event.reason)))
                       })))),
            .form(
                .class("card"), .method(.post), .action(SitePath.adminUserSave.path), .id("user-form"),
                Layout.csrfField(ctx),
                .h2(.t(e == nil ? l("Новый пользователь", "New user") : l("Изменить пользователя", "Edit user"))),
                .unwrap(model.errors["_form"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                .input(.type(.hidden), .name("id"), .attr("value", e.map { String($0.id) } ?? "")),
                Layout.row(l("Имя", "Name"), for: "u-name", error: model.errors["name"],
                           .input(.type(.text), .name("name"), .id("u-name"), .attr("value", e?.name ?? ""), .required(true))),
                Layout.row(l("Почта", "Email"), for: "u-email", error: model.errors["email"],
                           .input(.type(.email), .name("email"), .id("u-email"), .attr("value", e?.email ?? ""), .required(true))),
                Layout.row(l("Роль", "Role"), for: "u-role", error: model.errors["role"],
                           .select(.attr("name", "role"), .id("u-role"), .forEach(Role.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == (e?.role ?? .customer)) })),
                Layout.row(l("Организация", "Organization"), for: "u-org", error: model.errors["organization_id"],
                           .select(.attr("name", "organization_id"), .id("u-org"), .opt("", "—"),
                                   .forEach(model.organizations) { .opt($0.value, $0.label, selected: $0.value == e?.organizationID.map(String.init)) })),
                Layout.row(l("Телефон", "Phone"), for: "u-phone", error: model.errors["phone"],
                           .input(.type(.tel), .name("phone"), .id("u-phone"), .attr("value", e?.phone ?? ""))),
                Layout.row(l("Рабочее время (для планирования)", "Working hours (for planning)"), for: "u-calendar", error: model.errors["calendar"],
                           .select(.attr("name", "calendar"), .id("u-calendar"), .opt("", l("календарь по умолчанию", "the default calendar")),
                                   .forEach(model.calendars) { .opt($0.value, $0.label, selected: $0.value == e?.calendar) })),
                Layout.row(l("Пароль", "Password"), for: "u-password", hint: l("Не меньше 8 символов; пусто — не менять.", "At least 8 characters; leave empty to keep."),
                           error: model.errors["password"],
                           .input(.type(.password), .name("password"), .id("u-password"), .attribute(named: "autocomplete", value: "new-password"))),
                // Your own password changes only with the current one; other sessions then end.
                .if(e != nil && e?.id == ctx.signedIn?.viewer.userID,
                    Layout.row(l("Текущий пароль (чтобы сменить свой)", "Current password (to change your own)"), for: "u-current-password",
                               error: model.errors["current_password"],
                               .input(.type(.password), .name("current_password"), .id("u-current-password"),
                                      .attribute(named: "autocomplete", value: "current-password")))),
                .div(.class("field"), .element(named: "label", nodes: [
                    .input(.type(.checkbox), .name("is_active"), .value("1"), .checked(e?.isActive ?? true)), .t(" " + l("Активен", "Active")),
                ])),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
            ),
            // 152-FZ / GDPR: a customer's personal data erased on their request (unless a legal hold covers them);
            // staff are deactivated instead.
            .unwrap(e.flatMap { $0.role == .customer && !$0.email.hasSuffix("@" + ErasureService.erasedDomain) ? $0 : nil }) { user in
                .group(eraseCard(user, model, ctx), holdsCard(user, model, ctx))
            }
        )
    }
}

enum UsersController {
    static func model(_ request: Request, editID: Int?) async throws -> UsersModel {
        let items = try await AdminPagesQuery.users(on: request.sql)
        let calendars = try await AdminPagesQuery.calendarOptions(on: request.sql)
        let editing = items.first { $0.id == editID }
        let holds = editing?.role == .customer
            ? try await LegalHoldService.list(activeOnly: false, coveringUser: editing!.id, limit: 50, context: try request.context) : []
        return UsersModel(items: items, editing: editing, organizations: try await QueuePagesQuery.organizationOptions(on: request.sql),
                          calendars: calendars, audit: try await AuditEvents.list(limit: 20, context: try request.context), holds: holds)
    }

    /// Places a legal hold on the customer or their organization (`LegalHoldService`).
    static func placeHold(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageUsers)
        let form = try await WebForms.read(request)
        guard let id = form.text("id").flatMap(Int.init) else { throw ZayavkaError.notFound(entity: "user", id: form.text("id") ?? "") }
        let ctx = PageContext(request)
        let model = try await model(request, editID: id)
        guard let user = model.editing else { throw ZayavkaError.notFound(entity: "user", id: String(id)) }
        let subject: LegalHoldService.Subject
        switch form.value("on") {
        case "organization":
            guard let organizationID = user.organizationID else { throw ZayavkaError.notFound(entity: "organization", id: "") }
            subject = .organization(organizationID)
        default: subject = .user(id)
        }
        do {
            _ = try await LegalHoldService.place(on: subject, reason: form.value("reason"), context: try request.context)
            return request.redirect(to: SitePath.adminUsers.path + "?edit=\(id)&notice=hold-placed")
        } catch let error as ZayavkaError {
            return refused(error, model, ctx, reasonKey: "hold_reason", otherKey: "_hold")
        }
    }

    /// Releases a legal hold, saying why (`LegalHoldService`).
    static func releaseHold(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageUsers)
        let form = try await WebForms.read(request)
        guard let id = form.text("id").flatMap(Int.init) else { throw ZayavkaError.notFound(entity: "user", id: form.text("id") ?? "") }
        guard let holdID = form.text("hold_id").flatMap(Int.init) else { throw ZayavkaError.notFound(entity: "legal_hold", id: form.text("hold_id") ?? "") }
        let ctx = PageContext(request)
        let model = try await model(request, editID: id)
        guard model.editing != nil, model.holds.contains(where: { $0.id == holdID }) else { throw ZayavkaError.notFound(entity: "legal_hold", id: String(holdID)) }
        do {
            _ = try await LegalHoldService.release(id: holdID, reason: form.value("reason"), context: try request.context)
            return request.redirect(to: SitePath.adminUsers.path + "?edit=\(id)&notice=hold-released")
        } catch let error as ZayavkaError {
            return refused(error, model, ctx, reasonKey: "_hold", otherKey: "_hold", reasonPrefix: ctx.l("Почему снимается: ", "Why it is released: "))
        }
    }

    static func list(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageUsers)
        let model = try await model(request, editID: request.query[String.self, at: "edit"].flatMap(Int.init))
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Пользователи", "Users"), ctx, UsersView.render(model, ctx))
    }

    /// Erases a customer's personal data through the same rules as the API (`ErasureService`).
    static func erase(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageUsers)
        let form = try await WebForms.read(request)
        guard let id = form.text("id").flatMap(Int.init) else { throw ZayavkaError.notFound(entity: "user", id: form.text("id") ?? "") }
        let ctx = PageContext(request)
        var model = try await model(request, editID: id)
        guard model.editing != nil else { throw ZayavkaError.notFound(entity: "user", id: String(id)) }
        if form.value("confirm") != "1" {
            model.errors["_erase"] = ctx.l("Подтвердите, что понимаете: удаление необратимо.", "Confirm that you understand the erasure cannot be undone.")
            return Layout.render(ctx.l("Пользователи", "Users"), ctx, status: .unprocessableEntity, UsersView.render(model, ctx))
        }
        do {
            _ = try await ErasureService.erase(userID: id, reason: form.value("reason"), context: try request.context)
            return request.redirect(to: SitePath.adminUsers.path + "?notice=erased")
        } catch let error as ZayavkaError {
            return refused(error, model, ctx, reasonKey: "reason", otherKey: "_erase")
        }
    }

    /// The page again (422) with a refused form's errors: the grounds' own under `reasonKey` (after
    /// `reasonPrefix`), every other under `otherKey`.
    private static func refused(_ error: ZayavkaError, _ model: UsersModel, _ ctx: PageContext, reasonKey: String, otherKey: String,
                                reasonPrefix: String = "") -> Response {
        var model = model
        if case .validation(let problems) = error {
            for problem in problems {
                let isReason = problem.field == "reason"
                model.errors[isReason ? reasonKey : otherKey] = (isReason ? reasonPrefix : "") + ctx.l.localizer.fieldMessage(problem)
            }
        } else {
            model.errors[otherKey] = ctx.l.localizer.message(for: error)
        }
        return Layout.render(ctx.l("Пользователи", "Users"), ctx, status: .unprocessableEntity, UsersView.render(model, ctx))
    }

    /// Creates or edits a person through the same rules as the API (`UserService`).
    static func save(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageUsers)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap(Int.init)
        var input = UserInput()
        input.email = form.text("email")
        input.name = form.text("name")
        input.role = form.text("role").flatMap(Role.init(rawValue:))
        input.phone = .some(form.text("phone"))
        input.organizationId = .some(form.text("organization_id").flatMap(Int.init))
        input.password = form.value("password")?.nilIfEmpty
        input.currentPassword = form.value("current_password")?.nilIfEmpty
        input.isActive = form.value("is_active") == "1"
        input.calendar = .some(form.text("calendar"))
        let ctx = PageContext(request)
        do {
            if let id { _ = try await UserService.update(id: id, input, context: try request.context) } else { _ = try await UserService.create(input, context: try request.context) }
            return request.redirect(to: SitePath.adminUsers.path + "?notice=saved")
        } catch let error as ZayavkaError {
            var model = try await model(request, editID: id)
            if case .validation(let problems) = error {
                for problem in problems { model.errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            } else {
                model.errors["_form"] = ctx.l.localizer.message(for: error)
            }
            if model.editing == nil, id != nil { throw error }
            return Layout.render(ctx.l("Пользователи", "Users"), ctx, status: .unprocessableEntity, UsersView.render(model, ctx))
        }
    }
}
