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
            Layout.row(l("Исполнитель", "Assignee"), for: "r-assignee", error: errors["assignee_id"],
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

        // Critical-problem rules and failure kinds share one shape, one form and one table.
        func ruleSection(_ table: RuleTable, _ rules: [CriticalRuleDTO], editing: CriticalRuleDTO?) -> (table: Node<HTML.BodyContext>, form: Node<HTML.BodyContext>) {
            let (param, prefix, formID) = table == .critical ? ("rule", "c", "critical") : ("kind", "f", "failure-kind")
            // The form typed last fills only its own section.
            let mine = typed?.value("rules") == table.rawValue
            func v(_ name: String, _ fallback: String?) -> String { (mine ? typed?.value(name) : nil) ?? fallback ?? "" }
            let rows: [[Node<HTML.BodyContext>]] = rules.map { r in
                [.a(.href(SitePath.adminRouting.path + "?\(param)=" + r.key), .t(r.name)), .t(r.categories.joined(separator: ", ")),
                 .t(r.phrases.map { $0.joined(separator: " ") }.joined(separator: " | ")), .t(yes(r.active))]
            }
            let form: Node<HTML.BodyContext> = .form(
                .class("card"), .method(.post), .action(SitePath.adminCriticalSave.path), .id("\(formID)-form"),
                Layout.csrfField(ctx),
                .h2(.t(editing == nil ? (table == .critical ? l("Новое правило", "New rule") : l("Новый вид сбоя", "New failure kind"))
                                      : (table == .critical ? l("Изменить правило", "Edit rule") : l("Изменить вид сбоя", "Edit failure kind")))),
                .input(.type(.hidden), .name("rules"), .attr("value", table.rawValue)),
                .input(.type(.hidden), .name("original_rule"), .attr("value", editing?.key ?? "")),
                Layout.row(l("Ключ (латиницей)", "Key"), for: "\(prefix)-key", error: errors["\(param).key"],
                           .input(.type(.text), .name("key"), .id("\(prefix)-key"), .attr("value", v("key", editing?.key)),
                                  .attribute(named: "readonly", value: editing != nil ? "readonly" : nil))),
                Layout.row(l("Название", "Name"), for: "\(prefix)-name", error: errors["\(param).name"],
                           .input(.type(.text), .name("name"), .id("\(prefix)-name"), .attr("value", v("name", editing?.name)))),
                Layout.row(l("Категории из вопроса «Что случилось» (через запятую)", "Categories of the question “What happened” (comma-separated)"),
                           for: "\(prefix)-categories", error: errors["\(param).categories"],
                           .input(.type(.text), .name("categories"), .id("\(prefix)-categories"),
                                  .attr("value", v("categories", editing?.categories.joined(separator: ", "))))),
                Layout.row(l("Фразы: по одной в строке, основы слов через пробел (основа совпадает с началом слова, «не» — только целым словом)",
                             "Phrases: one a line, word stems separated by spaces (a stem matches the start of a word; “не” only as a word)"),
                           for: "\(prefix)-phrases", error: errors["\(param).phrases"],
                           .textarea(.name("phrases"), .id("\(prefix)-phrases"), .rows(5),
                                     .t(v("phrases", editing?.phrases.map { $0.joined(separator: " ") }.joined(separator: "\n"))))),
                .div(.class("field"), .element(named: "label", nodes: [
                    .input(.type(.checkbox), .name("active"), .value("1"), .checked(mine ? typed?.value("active") == "1" : editing?.active ?? true)),
                    .t(" " + l("Действует", "Active")),
                ])),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("\(formID)-save"), .t(l("Сохранить", "Save")))))
            let headers = [table == .critical ? l("Правило", "Rule") : l("Вид сбоя", "Failure kind"), l("Категории", "Categories"), l("Фразы", "Phrases"),
                           l("Действует", "Active")]
            return (DirectoryPages.table(table == .critical ? "critical-rules" : "failure-kinds", headers, rows), form)
        }
        let criticalSection = ruleSection(.critical, rules, editing: critical)
        let kinds = try await RoutingService.criticalRules(on: sql, table: .failureKinds)
        let editKind = request.query[String.self, at: "kind"] ?? (typed?.value("rules") == RuleTable.failureKinds.rawValue ? typed?.value("original_rule") : nil)
        let kindSection = ruleSection(.failureKinds, kinds, editing: kinds.first { $0.key == editKind })
        let outbreak = try await IncidentService.settings(on: sql)
        let outbreakForm: Node<HTML.BodyContext> = .form(
            .class("card"), .method(.post), .action(SitePath.adminOutbreakSave.path), .id("outbreak-form"),
            Layout.csrfField(ctx),
            .h2(.t(l("Когда это массовый сбой", "When it is a mass incident"))),
            Layout.row(l("Разных клиентов (организаций)", "Distinct customers (organizations)"), for: "o-customers", error: errors["customers"],
                       .input(.type(.number), .name("customers"), .id("o-customers"), .attr("min", "2"), .attr("max", "100"),
                              .attr("value", v("customers", String(outbreak.customers))))),
            Layout.row(l("За сколько минут", "Within minutes"), for: "o-window", error: errors["window_minutes"],
                       .input(.type(.number), .name("window_minutes"), .id("o-window"), .attr("min", "1"), .attr("max", "1440"),
                              .attr("value", v("window_minutes", String(outbreak.windowMinutes))))),
            Layout.row(l("Повторно оповестить руководителей, если нет реакции, через минут", "Alert the managers again with no response after, minutes"),
                       for: "o-reminder", error: errors["reminder_minutes"],
                       .input(.type(.number), .name("reminder_minutes"), .id("o-reminder"), .attr("min", "1"), .attr("max", "1440"),
                              .attr("value", v("reminder_minutes", String(outbreak.reminderMinutes))))),
            Layout.row(l("Что сказать клиентам (русский)", "What customers are told (Russian)"), for: "o-ru", error: errors["text_ru"],
                       .textarea(.name("text_ru"), .id("o-ru"), .rows(3), .t(v("text_ru", outbreak.textRu)))),
            Layout.row(l("Что сказать клиентам (английский)", "What customers are told (English)"), for: "o-en", error: errors["text_en"],
                       .textarea(.name("text_en"), .id("o-en"), .rows(3), .t(v("text_en", outbreak.textEn)))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("outbreak-save"), .t(l("Сохранить", "Save")))))

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
            .h1(.t(l("Маршруты, критические проблемы, массовые сбои, обратные звонки", "Routes, critical problems, mass incidents, callbacks"))),
            DirectoryPages.errorsBox(errors.filter { $0.key == "_form" }, l),
            .h2(.t(l("Маршруты передачи", "Hand-off routes"))),
            DirectoryPages.table("routes", [l("Маршрут", "Route"), l("Статус", "Status"), l("Группа", "Group"), l("Исполнитель", "Assignee"),
                                            l("Только платные", "Paid only"), l("Действует", "Active")], routeRows),
            .p(.a(.href(SitePath.adminRouting.path), .t(l("+ Новый маршрут", "+ New route")))),
            routeForm,
            .h2(.t(l("Критические проблемы", "Critical problems"))),
            .p(.class("muted"), .t(l("Совпавшая заявка получает приоритет «Срочный», диспетчеры и менеджеры оповещаются сразу.",
                                     "A matching request gets urgent priority and the dispatchers and managers are told at once."))),
            criticalSection.table,
            .p(.a(.href(SitePath.adminRouting.path + "?rule="), .t(l("+ Новое правило", "+ New rule")))),
            criticalSection.form,
            .h2(.id("mass-incidents"), .t(l("Массовые сбои", "Mass incidents"))),
            .p(.class("muted"), .t(l("Регламент 002: если 3 и более клиента за 15–20 минут сообщают об одном сбое, диспетчеров и руководителей оповещают сразу; совпавшие заявки считаются по этим видам сбоя.",
                                     "Seed 002: when 3 or more customers report the same failure within 15–20 minutes, the dispatchers and managers are alerted at once; requests are counted by these failure kinds."))),
            kindSection.table,
            .p(.a(.href(SitePath.adminRouting.path + "?kind=#failure-kind-form"), .t(l("+ Новый вид сбоя", "+ New failure kind")))),
            kindSection.form,
            outbreakForm,
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
        let table = RuleTable(rawValue: form.text("rules") ?? "") ?? .critical
        do {
            _ = try await RoutingService.saveCriticalRule(key: original, input, table: table, context: try request.context)
            return request.redirect(to: SitePath.adminRouting.path + "?notice=saved")
        } catch let error as ZayavkaError {
            let errors = DirectoryPages.fieldErrors(error, PageContext(request).l)
            let prefix = table == .critical ? "rule." : "kind."
            return try await show(request, errors: Dictionary(errors.map { ($0.key == "_form" ? $0.key : prefix + $0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                  status: .unprocessableEntity, typed: form)
        }
    }

    static func saveOutbreakSettings(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        form.discardFiles()
        let l = PageContext(request).l
        var input = OutbreakSettingsInput()
        var errors: [String: String] = [:]
        for (field, target) in [("customers", \OutbreakSettingsInput.customers), ("window_minutes", \OutbreakSettingsInput.windowMinutes),
                                ("reminder_minutes", \OutbreakSettingsInput.reminderMinutes)] {
            guard let raw = form.text(field) else { continue }
            if let value = Int(raw) { input[keyPath: target] = value } else { errors[field] = l.localizer.fieldMessage(FieldError(field, .invalid)) }
        }
        input.textRu = form.value("text_ru")
        input.textEn = form.value("text_en")
        if !errors.isEmpty { return try await show(request, errors: errors, status: .unprocessableEntity, typed: form) }
        do {
            _ = try await IncidentService.saveSettings(input, context: try request.context)
            return request.redirect(to: SitePath.adminRouting.path + "?notice=saved#mass-incidents")
        } catch let error as ZayavkaError {
            return try await show(request, errors: DirectoryPages.fieldErrors(error, l), status: .unprocessableEntity, typed: form)
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
