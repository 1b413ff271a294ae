import Foundation
import Plot
import Vapor
import ZayavkaCore

/// Admin page for hand-off routes, critical-problem rules and the callback rule (SPEC T4, T8, C5).
enum RoutingPages {
    static func show(_ request: Request, errors: [String: String] = [:], status: HTTPResponseStatus = .ok, typed: ReceivedForm? = nil) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let ctx = PageContext(request)
        let l = ctx.l
        let sql = try request.sql
        let routes = try await RoutingService.routes(on: sql)
        let rules = try await RoutingService.criticalRules(on: sql)
        let rule = try await PhoneService.callbackRule(on: sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let staff = try await QueueController.staffOptions(request: request)
        let groups = try await QueueController.groupOptions(request: request)
        let editRoute = request.query[String.self, at: "route"] ?? typed?.value("original_key")
        let route = routes.first { $0.key == editRoute }
        let editRule = request.query[String.self, at: "rule"] ?? typed?.value("original_rule")
        let critical = rules.first { $0.key == editRule }
        func v(_ name: String, _ fallback: String?) -> String { typed?.value(name) ?? fallback ?? "" }
        func yes(_ text: Bool) -> String { text ? l("да", "yes") : l("нет", "no") }
        let names = Dictionary(staff.map { ($0.value, $0.label) } + groups.map { ("g" + $0.value, $0.label) }, uniquingKeysWith: { a, _ in a })

        let routeRows: [[Node<HTML.BodyContext>]] = routes.map { r in
            [.a(.href(SitePath.adminRouting.path + "?route=" + r.key), .t(r.name)),
             .t(r.status.flatMap { catalog.workflow.definition($0)?.name(l.language) } ?? "—"),
             .t(r.groupId.flatMap { names["g" + String($0)] } ?? "—"), .t(r.assigneeId.flatMap { names[String($0)] } ?? "—"),
             .t(yes(r.paidOnly)), .t(yes(r.active))]
        }
        let routeStatus = v("status", route?.status)
        let routeFields: Node<HTML.FormContext> = .group(
            Layout.row(l("Ключ (латиницей)", "Key"), for: "r-key", error: errors["key"],
                       .input(.type(.text), .name("key"), .id("r-key"), .attr("value", v("key", route?.key)), .attribute(named: "readonly", value: route != nil ? "readonly" : nil))),
            Layout.row(l("Название", "Name"), for: "r-name", error: errors["name"],
                       .input(.type(.text), .name("name"), .id("r-name"), .attr("value", v("name", route?.name)))),
            Layout.row(l("Статус заявки", "Status to set"), for: "r-status", error: errors["status"],
                       .select(.attr("name", "status"), .id("r-status"), .opt("", "—"),
                               .forEach(catalog.statuses) { .opt($0.key, $0.name(l.language), selected: $0.key == routeStatus) })),
            Layout.row(l("Группа", "Group"), for: "r-group", error: errors["group_id"],
                       .select(.attr("name", "group_id"), .id("r-group"), .opt("", "—"),
                               .forEach(groups) { .opt($0.value, $0.label, selected: $0.value == v("group_id", route?.groupId.map(String.init))) })),
            Layout.row(l("Ответственный", "Responsible"), for: "r-assignee", error: errors["assignee_id"],
                       .select(.attr("name", "assignee_id"), .id("r-assignee"), .opt("", "—"),
                               .forEach(staff) { .opt($0.value, $0.label, selected: $0.value == v("assignee_id", route?.assigneeId.map(String.init))) })),
            Layout.row(l("Сообщение клиенту (русский)", "Message to the customer (Russian)"), for: "r-ru", error: errors["message_ru"],
                       .textarea(.name("message_ru"), .id("r-ru"), .rows(2), .t(v("message_ru", route?.messageRu)))),
            Layout.row(l("Сообщение клиенту (английский)", "Message to the customer (English)"), for: "r-en", error: errors["message_en"],
                       .textarea(.name("message_en"), .id("r-en"), .rows(2), .t(v("message_en", route?.messageEn)))),
            Layout.row(l("Подсказка специалисту", "Hint for the agent"), for: "r-hint", error: nil,
                       .input(.type(.text), .name("agent_hint"), .id("r-hint"), .attr("value", v("agent_hint", route?.agentHint)))),
            Layout.row(l("Порядок", "Order"), for: "r-position", error: errors["position"],
                       .input(.type(.number), .name("position"), .id("r-position"), .attr("value", v("position", route.map { String($0.position) })))),
            .div(.class("field"), .element(named: "label", nodes: [
                .input(.type(.checkbox), .name("paid_only"), .value("1"), .id("r-paid"), .checked(typed.map { $0.value("paid_only") == "1" } ?? route?.paidOnly ?? false)),
                .t(" " + l("Только для клиентов на платном тарифе", "Paid plans only")),
            ])),
            .div(.class("field"), .element(named: "label", nodes: [
                .input(.type(.checkbox), .name("active"), .value("1"), .id("r-active"), .checked(typed.map { $0.value("active") == "1" } ?? route?.active ?? true)),
                .t(" " + l("Действует", "Active")),
            ]))
        )
        let routeForm: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminRouteSave.path), .id("route-admin-form"),
            Layout.csrfField(ctx),
            .h2(.t(route == nil ? l("Новый маршрут", "New route") : l("Изменить маршрут", "Edit route"))),
            .input(.type(.hidden), .name("original_key"), .attr("value", route?.key ?? "")),
            routeFields,
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("route-admin-save"), .t(l("Сохранить", "Save")))))

        let ruleRows: [[Node<HTML.BodyContext>]] = rules.map { r in
            [.a(.href(SitePath.adminRouting.path + "?rule=" + r.key), .t(r.name)), .t(r.categories.joined(separator: ", ")),
             .t(r.phrases.map { $0.joined(separator: " ") }.joined(separator: " | ")), .t(yes(r.active))]
        }
        let ruleForm: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminCriticalSave.path), .id("critical-form"),
            Layout.csrfField(ctx),
            .h2(.t(critical == nil ? l("Новое правило", "New rule") : l("Изменить правило", "Edit rule"))),
            .input(.type(.hidden), .name("original_rule"), .attr("value", critical?.key ?? "")),
            Layout.row(l("Ключ (латиницей)", "Key"), for: "c-key", error: errors["rule.key"],
                       .input(.type(.text), .name("key"), .id("c-key"), .attr("value", v("key", critical?.key)), .attribute(named: "readonly", value: critical != nil ? "readonly" : nil))),
            Layout.row(l("Название", "Name"), for: "c-name", error: errors["rule.name"],
                       .input(.type(.text), .name("name"), .id("c-name"), .attr("value", v("name", critical?.name)))),
            Layout.row(l("Категории из вопроса «Что случилось» (через запятую)", "Categories of the question “What happened” (comma-separated)"), for: "c-categories",
                       error: errors["rule.categories"],
                       .input(.type(.text), .name("categories"), .id("c-categories"), .attr("value", v("categories", critical?.categories.joined(separator: ", "))))),
            Layout.row(l("Фразы: по одной в строке, основы слов через пробел (основа совпадает с началом слова, «не» — только целым словом)",
                         "Phrases: one a line, word stems separated by spaces (a stem matches the start of a word; “не” only as a word)"),
                       for: "c-phrases", error: errors["rule.phrases"],
                       .textarea(.name("phrases"), .id("c-phrases"), .rows(5), .t(v("phrases", critical?.phrases.map { $0.joined(separator: " ") }.joined(separator: "\n"))))),
            .div(.class("field"), .element(named: "label", nodes: [
                .input(.type(.checkbox), .name("active"), .value("1"), .checked(typed.map { $0.value("active") == "1" } ?? critical?.active ?? true)),
                .t(" " + l("Действует", "Active")),
            ])),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("critical-save"), .t(l("Сохранить", "Save")))))

        let callbackForm: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminCallbackRuleSave.path), .id("callback-rule-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Обратные звонки", "Callbacks"))),
            .p(.class("muted"), .t(l("Регламент 002: если занято — перезвонить в течение 15 минут; если снова занято, не ответил или телефон выключен — написать клиенту в заявке.",
                                     "Seed 002: busy → call again within 15 minutes; busy again, no answer or switched off → write to the customer in the ticket."))),
            Layout.row(l("Перезвонить через, минут", "Call again after, minutes"), for: "cb-minutes", error: errors["retry_minutes"],
                       .input(.type(.number), .name("retry_minutes"), .id("cb-minutes"), .attr("min", "1"), .attr("max", "1440"),
                              .attr("value", v("retry_minutes", String(rule.retryMinutes))))),
            Layout.row(l("Сколько раз перезванивать после «занято»", "Retries after busy"), for: "cb-retries", error: errors["busy_retries"],
                       .input(.type(.number), .name("busy_retries"), .id("cb-retries"), .attr("min", "0"), .attr("max", "10"),
                              .attr("value", v("busy_retries", String(rule.busyRetries))))),
            Layout.row(l("Сообщение клиенту (русский)", "Message to the customer (Russian)"), for: "cb-ru", error: errors["message_ru"],
                       .textarea(.name("message_ru"), .id("cb-ru"), .rows(3), .t(v("message_ru", rule.messageRu)))),
            Layout.row(l("Сообщение клиенту (английский)", "Message to the customer (English)"), for: "cb-en", error: errors["message_en"],
                       .textarea(.name("message_en"), .id("cb-en"), .rows(3), .t(v("message_en", rule.messageEn)))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("callback-rule-save"), .t(l("Сохранить", "Save")))))

        return Layout.render(l("Маршруты и звонки", "Routing and calls"), ctx, status: status, .group(
            .h1(.t(l("Маршруты, критические проблемы, обратные звонки", "Routes, critical problems, callbacks"))),
            DirectoryPages.errorsBox(errors.filter { $0.key == "_form" }, l),
            .h2(.t(l("Маршруты передачи", "Hand-off routes"))),
            DirectoryPages.table("routes", [l("Маршрут", "Route"), l("Статус", "Status"), l("Группа", "Group"), l("Ответственный", "Responsible"),
                                            l("Только платные", "Paid only"), l("Действует", "Active")], routeRows),
            .p(.a(.href(SitePath.adminRouting.path), .t(l("+ Новый маршрут", "+ New route")))),
            routeForm,
            .h2(.t(l("Критические проблемы", "Critical problems"))),
            .p(.class("muted"), .t(l("Совпавшая заявка получает приоритет «Срочный», диспетчеры и менеджеры оповещаются сразу.",
                                     "A matching request gets urgent priority and the dispatchers and managers are told at once."))),
            DirectoryPages.table("critical-rules", [l("Правило", "Rule"), l("Категории", "Categories"), l("Фразы", "Phrases"), l("Действует", "Active")], ruleRows),
            .p(.a(.href(SitePath.adminRouting.path + "?rule="), .t(l("+ Новое правило", "+ New rule")))),
            ruleForm,
            callbackForm
        ))
    }

    static func saveRoute(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let original = form.text("original_key")
        var input = RouteInput()
        if original == nil { input.key = form.text("key") }
        input.name = form.text("name") ?? ""
        input.status = .some(form.text("status"))
        input.groupId = .some(form.text("group_id").flatMap(Int.init))
        input.assigneeId = .some(form.text("assignee_id").flatMap(Int.init))
        input.messageRu = form.value("message_ru") ?? ""
        input.messageEn = form.value("message_en") ?? ""
        input.agentHint = .some(form.text("agent_hint"))
        input.position = form.text("position").flatMap(Int.init)
        input.paidOnly = form.value("paid_only") == "1"
        input.active = form.value("active") == "1"
        do {
            _ = try await RoutingService.saveRoute(key: original, input, context: try request.context)
            return request.redirect(to: SitePath.adminRouting.path + "?notice=saved")
        } catch let error as ZayavkaError {
            return try await show(request, errors: DirectoryPages.fieldErrors(error, PageContext(request).l), status: .unprocessableEntity, typed: form)
        }
    }

    static func saveRule(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let original = form.text("original_rule")
        let phrases = (form.value("phrases") ?? "").split(whereSeparator: \.isNewline)
            .map { $0.split(separator: " ").map(String.init).filter { !$0.isEmpty } }.filter { !$0.isEmpty }
        let input = CriticalRuleInput(key: original == nil ? form.text("key") : nil, name: form.text("name") ?? "",
                                      categories: CSVColumns.list(form.value("categories") ?? ""), phrases: phrases, position: nil,
                                      active: form.value("active") == "1")
        do {
            _ = try await RoutingService.saveCriticalRule(key: original, input, context: try request.context)
            return request.redirect(to: SitePath.adminRouting.path + "?notice=saved")
        } catch let error as ZayavkaError {
            let errors = DirectoryPages.fieldErrors(error, PageContext(request).l)
            return try await show(request, errors: Dictionary(errors.map { ($0.key == "_form" ? $0.key : "rule." + $0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                  status: .unprocessableEntity, typed: form)
        }
    }

    static func saveCallbackRule(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let l = PageContext(request).l
        var input = CallbackRuleInput()
        var errors: [String: String] = [:]
        for (field, target) in [("retry_minutes", \CallbackRuleInput.retryMinutes), ("busy_retries", \CallbackRuleInput.busyRetries)] {
            guard let raw = form.text(field) else { continue }
            if let value = Int(raw) { input[keyPath: target] = value } else { errors[field] = l.localizer.fieldMessage(FieldError(field, .invalid)) }
        }
        input.messageRu = form.value("message_ru")
        input.messageEn = form.value("message_en")
        if !errors.isEmpty { return try await show(request, errors: errors, status: .unprocessableEntity, typed: form) }
        do {
            _ = try await PhoneService.saveCallbackRule(input, context: try request.context)
            return request.redirect(to: SitePath.adminRouting.path + "?notice=saved")
        } catch let error as ZayavkaError {
            return try await show(request, errors: DirectoryPages.fieldErrors(error, l), status: .unprocessableEntity, typed: form)
        }
    }
}
