import Fluent
import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Admin pages for groups (support lines), organizations, intake questions, and each person's API
/// tokens. They call the same services as the API, so the rules are the same.
enum DirectoryPages {
    static func table(_ id: String, _ headers: [String], _ rows: [[Node<HTML.BodyContext>]]) -> Node<HTML.BodyContext> {
        .table(.class("list"), .id(id),
               .thead(.tr(.forEach(headers) { .th(.t($0)) })),
               .tbody(.forEach(rows) { cells in .tr(.forEach(cells) { .td($0) }) }))
    }

    static func errorsBox(_ errors: [String: String], _ l: L) -> Node<HTML.BodyContext> {
        .if(!errors.isEmpty, .div(.class("errors"), .attr("role", "alert"),
                                  .t(errors["_form"] ?? l("Проверьте выделенные поля.", "Please check the highlighted fields."))))
    }

    static func fieldErrors(_ error: ZayavkaError, _ l: L) -> [String: String] {
        if case .validation(let problems) = error {
            return Dictionary(problems.map { ($0.field, l.localizer.fieldMessage($0)) }, uniquingKeysWith: { a, _ in a })
        }
        return ["_form": l.localizer.message(for: error)]
    }

    static func requireAdmin(_ request: Request, _ permission: Permission) throws {
        let signedIn = try QueueController.requireStaff(request)
        guard signedIn.viewer.role.can(permission) else { throw ZayavkaError.forbidden(reason: "\(permission)") }
    }

    // MARK: Groups

    static func groups(_ request: Request, errors: [String: String] = [:], status: HTTPResponseStatus = .ok,
                       typed: ReceivedForm? = nil) async throws -> Response {
        try requireAdmin(request, .manageGroups)
        let ctx = PageContext(request)
        let l = ctx.l
        let groups = try await DirectoryService.listGroups(context: try request.context).items
        let staff = try await QueueController.staffOptions(request: request)
        let names = QueueModel.Option.labelsByID(staff)
        let editID = request.query[String.self, at: "edit"].flatMap(Int.init)
        let editing = groups.first { $0.id == editID }
        let rows: [[Node<HTML.BodyContext>]] = groups.map { group in
            [.a(.href(SitePath.adminGroups.path + "?edit=\(group.id)"), .t(group.name)), .t(group.description ?? ""),
             .t(group.memberIds.compactMap { names[$0] }.joined(separator: ", ")), .t(assignmentName(group.assignment, l))]
        }
        let mode = typed?.value("assignment") ?? editing?.assignment.rawValue ?? AssignmentMode.manual.rawValue
        let form: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminGroupSave.path), .id("group-form"),
            Layout.csrfField(ctx),
            .h2(.t(editing == nil ? l("Новая группа", "New group") : l("Изменить группу", "Edit group"))),
            .input(.type(.hidden), .name("id"), .attr("value", editing.map { String($0.id) } ?? "")),
            Layout.row(l("Название", "Name"), for: "g-name", error: errors["name"],
                       .input(.type(.text), .name("name"), .id("g-name"), .attr("value", typed?.value("name") ?? editing?.name ?? ""), .required(true))),
            Layout.row(l("Описание", "Description"), for: "g-description", error: errors["description"],
                       .input(.type(.text), .name("description"), .id("g-description"), .attr("value", typed?.value("description") ?? editing?.description ?? ""))),
            Layout.row(l("Распределение заявок", "Assignment"), for: "g-assignment", error: errors["assignment"],
                       .select(.attr("name", "assignment"), .id("g-assignment"),
                               .forEach(AssignmentMode.allCases) { .opt($0.rawValue, assignmentName($0, l), selected: $0.rawValue == mode) })),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
        )
        let members: Node<HTML.BodyContext> = .unwrap(editing) { group in
            .form(.class("card"), .method(.post), .action(SitePath.adminGroupMember.path), .id("member-form"),
                  Layout.csrfField(ctx),
                  .h2(.t(l("Участники группы", "Group members"))),
                  .input(.type(.hidden), .name("group_id"), .attr("value", String(group.id))),
                  .ul(.forEach(group.memberIds) { id in .li(.t(names[id] ?? "#\(id)")) }),
                  .select(.attr("name", "user_id"), .attr("aria-label", l("Специалист", "Agent")),
                          .forEach(staff) { .opt($0.value, $0.label) }),
                  .div(.class("actions"),
                       .button(.type(.submit), .name("member"), .value("1"), .class("primary"), .t(l("Добавить", "Add"))),
                       .button(.type(.submit), .name("member"), .value("0"), .class("secondary"), .t(l("Убрать", "Remove")))))
        }
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Группы (линии поддержки)", "Groups (support lines)"))),
            errorsBox(errors, l),
            table("groups", [l("Название", "Name"), l("Описание", "Description"), l("Участники", "Members"), l("Распределение", "Assignment")], rows),
            .p(.class("muted"), .t(l("По очереди и по загрузке — среди участников, отметивших «На смене». Если на смене никого, заявка ждёт диспетчера в очереди группы.",
                                     "Round robin and least loaded choose among members who are “On shift”. With nobody on shift the ticket waits for the dispatcher in the group's queue."))),
            form, members,
            .form(.class("card"), .method(.post), .action(SitePath.adminGroupTemplate.path), .id("lines-template"),
                  Layout.csrfField(ctx),
                  .h2(.t(l("Линии по регламенту 002", "Seed 002's lines"))),
                  .p(.class("muted"), .t(l("Первая линия (по очереди), вторая линия (по загрузке), программисты, линия консультаций, менеджеры; маршруты передачи ведут на них.",
                                           "First line (round robin), second line (least loaded), developers, the consultation line, managers; the hand-off routes lead to them."))),
                  .div(.class("actions"), .button(.type(.submit), .id("lines-install"), .t(l("Создать линии", "Create the lines"))))))
        return Layout.render(l("Группы", "Groups"), ctx, status: status, content)
    }

    static func installLines(_ request: Request) async throws -> Response {
        try requireAdmin(request, .manageGroups)
        let form = try await WebForms.read(request)
        form.discardFiles()
        _ = try await request.write { db in try await AssignmentService.installSeed002Lines(on: db as! any SQLDatabase) }
        return request.redirect(to: SitePath.adminGroups.path + "?notice=saved")
    }

    static func assignmentName(_ mode: AssignmentMode, _ l: L) -> String {
        switch mode {
        case .manual: l("Вручную (диспетчер)", "By hand (dispatcher)")
        case .roundRobin: l("По очереди", "Round robin")
        case .leastLoaded: l("Наименее загруженному", "Least loaded")
        }
    }

    static func saveGroup(_ request: Request) async throws -> Response {
        try requireAdmin(request, .manageGroups)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap(Int.init)
        do {
            _ = try await DirectoryService.saveGroup(id: id, GroupInput(name: form.text("name"), description: form.text("description"),
                                                                                 assignment: form.text("assignment").flatMap(AssignmentMode.init(rawValue:))), context: try request.context)
            return request.redirect(to: SitePath.adminGroups.path + "?notice=saved")
        } catch let error as ZayavkaError {
            return try await groups(request, errors: fieldErrors(error, PageContext(request).l), status: .unprocessableEntity, typed: form)
        }
    }

    static func setMember(_ request: Request) async throws -> Response {
        try requireAdmin(request, .manageGroups)
        let form = try await WebForms.read(request)
        guard let groupID = form.text("group_id").flatMap(Int.init), let userID = form.text("user_id").flatMap(Int.init) else {
            throw ZayavkaError.validation([FieldError("user_id", .required)])
        }
        _ = try await DirectoryService.setMember(groupID: groupID, userID: userID, member: form.value("member") == "1", context: try request.context)
        return request.redirect(to: SitePath.adminGroups.path + "?edit=\(groupID)&notice=saved")
    }

    // MARK: Organizations

    static func organizations(_ request: Request, errors: [String: String] = [:], status: HTTPResponseStatus = .ok,
                              typed: ReceivedForm? = nil, report: DirectoryImport.Report? = nil) async throws -> Response {
        try requireAdmin(request, .manageOrganizations)
        let ctx = PageContext(request)
        let l = ctx.l
        // The first 500 by name, or those the directory's search box finds (a large desk has more).
        let query = request.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let editID = request.query[String.self, at: "edit"].flatMap(Int.init)
        var all: [OrganizationDTO]
        if query.isEmpty {
            all = try await OrganizationRecord.query(on: request.database).sort(\.$name).limit(500).all().map(OrganizationDTO.init)
        } else {
            let ids = try await DirectoryIndex.lookup(query, limit: 100, on: try request.sql).organizations.map(\.id)
            let found = try await OrganizationRecord.query(on: request.database).filter(\.$id ~~ ids).all()
            let byID = Dictionary(found.map { ($0.id!, OrganizationDTO($0)) }, uniquingKeysWith: { a, _ in a })
            all = ids.compactMap { byID[$0] }
        }
        if let editID, !all.contains(where: { $0.id == editID }), let record = try await OrganizationRecord.find(editID, on: request.database) {
            all.insert(OrganizationDTO(record), at: 0)
        }
        let e = all.first { $0.id == editID }
        let rows: [[Node<HTML.BodyContext>]] = all.map { org in
            [.a(.href(SitePath.adminOrganizations.path + "?edit=\(org.id)"), .t(org.name)), .t(org.inn ?? "—"), .t(org.contractNumber ?? "—"),
             .t(org.plan ?? "—"), .t(org.contractEndsOn ?? "—")]
        }
        func text(_ name: String, _ label: String, _ value: String?, hint: String? = nil) -> Node<HTML.BodyContext> {
            Layout.row(label, for: "o-" + name, hint: hint, error: errors[name],
                       .input(.type(.text), .name(name), .id("o-" + name), .attr("value", typed?.value(name) ?? value ?? "")))
        }
        let plan = typed?.value("plan") ?? e?.plan ?? "free"
        let form: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminOrganizationSave.path), .id("organization-form"),
            Layout.csrfField(ctx),
            .h2(.t(e == nil ? l("Новая организация", "New organization") : l("Изменить организацию", "Edit organization"))),
            .input(.type(.hidden), .name("id"), .attr("value", e.map { String($0.id) } ?? "")),
            .component(Node<HTML.BodyContext>.group([
                text("name", l("Название", "Name"), e?.name),
                text("inn", l("ИНН", "INN"), e?.inn, hint: l("10 цифр у организации, 12 у ИП", "10 digits for a company, 12 for a sole trader")),
                text("contract_number", l("Номер договора", "Contract number"), e?.contractNumber),
                Layout.row(l("Тариф", "Plan"), for: "o-plan", error: errors["plan"],
                           .select(.attr("name", "plan"), .id("o-plan"),
                                   .opt("free", l("Бесплатный", "Free"), selected: plan == "free"),
                                   .opt("paid", l("Платный", "Paid"), selected: plan == "paid"))),
                text("contract_ends_on", l("Договор до (ГГГГ-ММ-ДД)", "Contract ends (YYYY-MM-DD)"), e?.contractEndsOn),
                text("quota", l("Квота", "Quota"), e?.quota.map(String.init)),
                text("logins", l("Логины (через запятую)", "Logins (comma-separated)"), e?.logins?.joined(separator: ", ")),
                text("phones", l("Телефоны (через запятую)", "Phones (comma-separated)"), e?.phones.joined(separator: ", ")),
                text("email_domains", l("Почтовые домены (через запятую)", "Email domains (comma-separated)"), e?.emailDomains?.joined(separator: ", ")),
                Layout.row(l("Адреса (по одному в строке)", "Addresses (one a line)"), for: "o-addresses", error: errors["addresses"],
                           .textarea(.name("addresses"), .id("o-addresses"), .rows(3),
                                     .t(typed?.value("addresses") ?? e?.addresses.joined(separator: "\n") ?? ""))),
                text("notes", l("Заметки", "Notes"), e?.notes),
            ])),
            .div(.class("field"), .element(named: "label", nodes: [
                .input(.type(.checkbox), .name("members_see_all_tickets"), .value("1"), .checked(e?.membersSeeAllTickets ?? false)),
                .t(" " + l("Сотрудники видят все заявки организации", "Members see all of the organization's tickets")),
            ])),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
        )
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Организации", "Organizations"))),
            errorsBox(errors, l),
            .form(.method(.get), .action(SitePath.adminOrganizations.path), .id("organization-search"), .class("inline-search"),
                  .input(.type(.search), .name("q"), .id("o-search"), .attr("value", query),
                         .attr("placeholder", l("ИНН, договор, логин, название, телефон", "INN, contract, login, name, phone"))),
                  .button(.type(.submit), .t(l("Найти", "Find")))),
            .if(!query.isEmpty && all.isEmpty, .p(.class("muted"), .id("organizations-none"), .t(l("Ничего не найдено.", "Nothing found.")))),
            table("organizations", [l("Название", "Name"), l("ИНН", "INN"), l("Договор", "Contract"), l("Тариф", "Plan"), l("Договор до", "Contract ends")], rows),
            form, DirectoryImport.panel(ctx, report: report))
        return Layout.render(l("Организации", "Organizations"), ctx, status: status, content)
    }

    static func saveOrganization(_ request: Request) async throws -> Response {
        try requireAdmin(request, .manageOrganizations)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap(Int.init)
        func list(_ name: String) -> [String] {
            (form.value(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var input = OrganizationInput()
        input.name = form.text("name")
        input.inn = .some(form.text("inn"))
        input.contractNumber = .some(form.text("contract_number"))
        input.plan = form.text("plan")
        input.contractEndsOn = .some(form.text("contract_ends_on"))
        let ctx = PageContext(request)
        if let raw = form.text("quota") {
            guard let quota = Int(raw) else {
                return try await organizations(request, errors: ["quota": ctx.l.localizer.fieldMessage(FieldError("quota", .invalid))],
                                               status: .unprocessableEntity, typed: form)
            }
            input.quota = .some(quota)
        } else {
            input.quota = .some(nil)
        }
        input.phones = list("phones")
        input.logins = list("logins")
        input.emailDomains = list("email_domains")
        input.addresses = CSVColumns.lines(form.value("addresses") ?? "")
        input.notes = .some(form.text("notes"))
        input.membersSeeAllTickets = form.value("members_see_all_tickets") == "1"
        do {
            _ = try await DirectoryService.saveOrganization(id: id, input, context: try request.context)
            return request.redirect(to: SitePath.adminOrganizations.path + "?notice=saved")
        } catch let error as ZayavkaError {
            return try await organizations(request, errors: fieldErrors(error, ctx.l), status: .unprocessableEntity, typed: form)
        }
    }

    // MARK: Intake questions

    static func fields(_ request: Request, errors: [String: String] = [:], status: HTTPResponseStatus = .ok,
                       typed: ReceivedForm? = nil) async throws -> Response {
        try requireAdmin(request, .manageConfiguration)
        let ctx = PageContext(request)
        let l = ctx.l
        let all = try await ConfigService.intakeFields(context: try request.context).items
        let editKey = request.query[String.self, at: "edit"]
        let e = all.first { $0.key == editKey }
        let yes = l("да", "yes"), no = l("нет", "no")
        let rows: [[Node<HTML.BodyContext>]] = all.map { field in
            [.a(.href(SitePath.adminFields.path + "?edit=\(field.key)"), .t(field.key)), .t(l.language == .ru ? field.labelRu : field.labelEn), .t(l.localizer.name(field.kind)),
             .t(field.required ? yes : no), .t(field.customerVisible ? yes : no), .t(field.active ? yes : no)]
        }
        func check(_ name: String, _ label: String, _ on: Bool) -> Node<HTML.BodyContext> {
            .div(.class("field"), .element(named: "label", nodes: [.input(.type(.checkbox), .name(name), .value("1"), .checked(on)), .t(" " + label)]))
        }
        let form: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminFieldSave.path), .id("field-form"),
            Layout.csrfField(ctx),
            .h2(.t(e == nil ? l("Новый вопрос", "New question") : l("Изменить вопрос", "Edit question"))),
            .input(.type(.hidden), .name("editing"), .attr("value", e?.key ?? "")),
            .component(Node<HTML.BodyContext>.group([
                Layout.row(l("Ключ (латиница)", "Key (latin letters)"), for: "i-key", error: errors["key"],
                           .input(.type(.text), .name("key"), .id("i-key"), .attr("value", typed?.value("key") ?? e?.key ?? ""), .readonly(e != nil), .required(true))),
                Layout.row(l("Вид", "Kind"), for: "i-kind", error: errors["kind"],
                           .select(.attr("name", "kind"), .id("i-kind"), .forEach(IntakeFieldDefinition.Kind.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0 == e?.kind) })),
                Layout.row(l("Вопрос по-русски", "Question in Russian"), for: "i-ru", error: errors["label_ru"],
                           .input(.type(.text), .name("label_ru"), .id("i-ru"), .attr("value", typed?.value("label_ru") ?? e?.labelRu ?? ""), .required(true))),
                Layout.row(l("Вопрос по-английски", "Question in English"), for: "i-en", error: errors["label_en"],
                           .input(.type(.text), .name("label_en"), .id("i-en"), .attr("value", typed?.value("label_en") ?? e?.labelEn ?? ""), .required(true))),
                Layout.row(l("Варианты (для выбора, через запятую)", "Options (for a choice, comma-separated)"), for: "i-options", error: errors["options"],
                           .input(.type(.text), .name("options"), .id("i-options"), .attr("value", typed?.value("options") ?? e?.options.joined(separator: ", ") ?? ""))),
                Layout.row(l("Порядок", "Position"), for: "i-position", error: errors["position"],
                           .input(.type(.text), .name("position"), .id("i-position"), .attr("value", e.map { String($0.position) } ?? ""))),
                check("required", l("Обязательный для клиента", "Required from customers"), e?.required ?? false),
                check("customer_visible", l("Клиент видит и заполняет", "Customers see and answer it"), e?.customerVisible ?? true),
                check("active", l("Используется", "In use"), e?.active ?? true),
            ])),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить", "Save"))))
        )
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Вопросы при обращении", "Intake questions"))),
            errorsBox(errors, l),
            table("intake-fields", [l("Ключ", "Key"), l("Вопрос", "Question"), l("Вид", "Kind"), l("Обязательный", "Required"),
                                    l("Виден клиенту", "Customer-visible"), l("Используется", "In use")], rows),
            form)
        return Layout.render(l("Вопросы при обращении", "Intake questions"), ctx, status: status, content)
    }

    static func saveField(_ request: Request) async throws -> Response {
        try requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let editing = form.text("editing")
        let options = (form.value("options") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let input = IntakeFieldInput(
            key: editing == nil ? form.text("key") : nil, kind: form.text("kind").flatMap(IntakeFieldDefinition.Kind.init(rawValue:)),
            labelRu: form.text("label_ru"), labelEn: form.text("label_en"), options: options,
            required: form.value("required") == "1", customerVisible: form.value("customer_visible") == "1",
            active: form.value("active") == "1", position: form.text("position").flatMap(Int.init))
        do {
            _ = try await ConfigService.saveIntakeField(key: editing, input, context: try request.context)
            return request.redirect(to: SitePath.adminFields.path + "?notice=saved")
        } catch let error as ZayavkaError {
            return try await fields(request, errors: fieldErrors(error, PageContext(request).l), status: .unprocessableEntity, typed: form)
        }
    }

    // MARK: API tokens (each person's own)

    static func tokens(_ request: Request, created: String? = nil) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let tokens = try await UserService.listTokens(all: false, context: try request.context).items
        let rows: [[Node<HTML.BodyContext>]] = tokens.map { token in
            [.t(token.name), .element(named: "code", nodes: [.t(token.prefix + "…")]),
             .t(token.createdAt.map(l.dateTime) ?? "—"), .t(token.lastUsedAt.map(l.dateTime) ?? "—"),
             token.revokedAt != nil ? .t(l("отозван", "revoked"))
                : .form(.method(.post), .action(SitePath.tokenRevoke(token.id).path), Layout.csrfField(ctx),
                        .button(.type(.submit), .class("secondary"), .t(l("Отозвать", "Revoke"))))]
        }
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Токены API", "API tokens"))),
            .if(ctx.signedIn?.viewer.role.can(.manageConfiguration) ?? false,
                .p(.a(.href(SitePath.adminWebhooks.path), .id("webhooks-link"), .t(l("Вебхуки: события заявок для других систем", "Webhooks: ticket events for other systems"))))),
            .unwrap(created) { token in
                .div(.class("notice"), .id("new-token"), .attr("role", "status"),
                     .p(.t(l("Токен создан. Скопируйте его сейчас: больше он показан не будет.", "Token created. Copy it now: it will not be shown again."))),
                     .element(named: "code", nodes: [.t(token)]))
            },
            table("tokens", [l("Название", "Name"), l("Начало", "Prefix"), l("Создан", "Created"), l("Использован", "Last used"), ""], rows),
            .form(.class("card filters"), .method(.post), .action(SitePath.tokenCreate.path), .id("token-form"),
                  Layout.csrfField(ctx),
                  .div(.class("field wide"), .element(named: "label", nodes: [.attr("for", "t-name"), .t(l("Название нового токена", "Name of a new token"))]),
                       .input(.type(.text), .name("name"), .id("t-name"), .required(true))),
                  .button(.type(.submit), .class("primary"), .t(l("Создать", "Create"))))
        )
        return Layout.render(l("Токены API", "API tokens"), ctx, content)
    }

    static func createToken(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        let token = APIToken.generate()
        let record = APITokenRecord()
        record.userID = signedIn.viewer.userID
        record.name = String((form.text("name") ?? "API").prefix(100))
        record.tokenHash = APIToken.hash(token)
        record.prefix = String(token.prefix(10))
        try await request.write { db in try await record.create(on: db) }
        return try await tokens(request, created: token)
    }

    static func revokeToken(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        _ = try await WebForms.read(request)
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw NotFoundPage() }
        _ = try await UserService.revokeToken(id: id, context: try request.context)
        return request.redirect(to: SitePath.tokens.path + "?notice=saved")
    }
}
