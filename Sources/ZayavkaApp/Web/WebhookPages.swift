import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Admins' webhook subscriptions (issue 19, SPEC C6): the list, a form, each subscription's page
/// with its delivery log, ping, redelivery, on/off, a new secret and removal.
enum WebhookPages {
    static func eventName(_ event: WebhookEvent, _ l: L) -> String {
        switch event {
        case .created: l("заявка создана", "ticket created")
        case .updated: l("поля заявки изменены", "ticket fields changed")
        case .commented: l("ответ или внутренняя заметка", "reply or internal note")
        case .statusChanged: l("статус изменён", "status changed")
        case .solved: l("заявка решена", "ticket solved")
        case .closed: l("заявка закрыта", "ticket closed")
        case .problemLinked: l("связана с известной проблемой", "linked to a known problem")
        }
    }

    static func statusName(_ status: String, _ l: L) -> String {
        switch status {
        case "queued": l("в очереди", "queued")
        case "sending": l("отправляется", "sending")
        case "delivered": l("доставлено", "delivered")
        case "failed": l("не доставлено", "failed")
        default: status
        }
    }

    static func list(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let hooks = try await WebhookService.list(context: try request.context)
        return try await renderList(request, hooks: hooks, values: [:], errors: [:], status: .ok)
    }

    static func renderList(_ request: Request, hooks: [WebhookDTO], values: [String: String], errors: [String: String],
                           status: HTTPResponseStatus) async throws -> Response {
        var ctx = PageContext(request)
        ctx.path = SitePath.adminWebhooks.path
        let l = ctx.l
        let table: Node<HTML.BodyContext> = hooks.isEmpty
            ? .p(.class("muted"), .id("no-webhooks"), .t(l("Подписок пока нет.", "No subscriptions yet.")))
            : .table(.class("list"), .id("webhooks"),
                     .thead(.tr(.th(.t("URL")), .th(.t(l("События", "Events"))), .th(.t(l("Состояние", "State"))))),
                     .tbody(.forEach(hooks) { hook in
                         .tr(.td(.a(.href(SitePath.adminWebhook(hook.id).path), .t(hook.url)),
                                 .if(!hook.description.isEmpty, .group(.br(), .span(.class("muted"), .t(hook.description))))),
                             .td(.t(hook.events.compactMap(WebhookEvent.init(rawValue:)).map { eventName($0, l) }.joined(separator: ", "))),
                             .td(.t(hook.active ? l("включена", "on") : l("выключена", "off")),
                                 .unwrap(hook.disabledReason) { .p(.class("error"), .t($0)) }))
                     }))
        return Layout.render(l("Вебхуки", "Webhooks"), ctx, status: status, .group(
            .h1(.t(l("Вебхуки", "Webhooks"))),
            .p(.class("muted"), .t(l("Другие системы узнают о событиях заявок: Заявка отправляет JSON на указанный адрес, подписанный HMAC-SHA256 (заголовок X-Zayavka-Signature), и повторяет при сбоях. Описание — в разделе webhooks документа OpenAPI.",
                                     "Other systems hear about ticket events: Zayavka POSTs JSON to the URL, signed with HMAC-SHA256 (the X-Zayavka-Signature header), and retries on failure. The OpenAPI document's webhooks section describes it."))),
            .section(.class("card"), table),
            .section(.class("card"), .id("webhook-new"), .h2(.t(l("Новая подписка", "New subscription"))),
                     form(nil, values: values, errors: errors, ctx))))
    }

    private static func form(_ hook: WebhookDTO?, values: [String: String], errors: [String: String], _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let prefix = hook.map { "w\($0.id)-" } ?? "new-"
        let chosen = Set((values["events"] ?? hook?.events.joined(separator: ",") ?? WebhookEvent.allCases.map(\.rawValue).joined(separator: ",")).split(separator: ",").map(String.init))
        let eventBoxes: Node<HTML.FormContext> = .element(named: "fieldset", nodes: [
            .element(named: "legend", nodes: [.t(l("События", "Events"))]),
            .unwrap(errors["events"]) { .p(.class("error"), .t($0)) },
            .forEach(WebhookEvent.allCases) { event in
                .div(.element(named: "label", nodes: [.class("check"), .input(.type(.checkbox), .name("events"), .value(event.rawValue),
                                                                              .id(prefix + event.rawValue), .checked(chosen.contains(event.rawValue))),
                                                      .t(" " + eventName(event, l) + " "), .element(named: "code", nodes: [.t(event.rawValue)])]))
            },
        ])
        let urlRow: Node<HTML.FormContext> = Layout.row("URL", for: prefix + "url", hint: l("https://… — адрес получателя", "https://… — the receiver's address"),
                                                         error: errors["url"],
                                                         .input(.type(.url), .name("url"), .id(prefix + "url"), .value(values["url"] ?? hook?.url ?? ""),
                                                                .attr("maxlength", "2000")))
        let descriptionRow: Node<HTML.FormContext> = Layout.row(l("Описание", "Description"), for: prefix + "description", error: errors["description"],
                                                                 .input(.type(.text), .name("description"), .id(prefix + "description"),
                                                                        .value(values["description"] ?? hook?.description ?? ""), .attr("maxlength", "500")))
        let active = values["active"].map { $0 == "1" } ?? hook?.active ?? true
        return .form(.method(.post), .action(SitePath.adminWebhookSave.path), .id(hook == nil ? "webhook-form-new" : "webhook-form"),
                     Layout.csrfField(ctx),
                     .unwrap(hook) { .input(.type(.hidden), .name("id"), .value(String($0.id))) },
                     urlRow, descriptionRow, eventBoxes,
                     .div(.element(named: "label", nodes: [.class("check"), .input(.type(.checkbox), .name("active"), .value("1"), .id(prefix + "active"), .checked(active)),
                                                           .t(" " + l("Включена", "On"))])),
                     .if(hook != nil, .div(.element(named: "label", nodes: [.class("check"), .input(.type(.checkbox), .name("rotate_secret"), .value("1"), .id(prefix + "rotate")),
                                                                            .t(" " + l("Выдать новый секрет", "Issue a new secret"))]))),
                     .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("webhook-save"), .t(l("Сохранить", "Save")))))
    }

    static func show(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        return try await render(request, id: try request.intParameter("id"), secret: nil, values: [:], errors: [:], status: .ok)
    }

    static func render(_ request: Request, id: Int, secret: String?, values: [String: String], errors: [String: String],
                       status: HTTPResponseStatus) async throws -> Response {
        var ctx = PageContext(request)
        ctx.path = SitePath.adminWebhook(id).path
        let l = ctx.l
        let context = try request.context
        let hook = try await WebhookService.get(id, context: context)
        let log = try await WebhookService.deliveries(id, before: nil, limit: 50, context: context)
        let secretNode: Node<HTML.BodyContext> = .unwrap(secret) { secret in
            .div(.class("notice"), .id("webhook-secret"), .attr("role", "status"),
                 .p(.t(l("Секрет для проверки подписи — он показан только сейчас, сохраните его у получателя:",
                         "The secret to check signatures with — shown only now, keep it at the receiver:"))),
                 .element(named: "code", nodes: [.t(secret)]))
        }
        let rows: Node<HTML.BodyContext> = log.items.isEmpty
            ? .p(.class("muted"), .t(l("Доставок ещё не было.", "No deliveries yet.")))
            : .table(.class("list"), .id("webhook-deliveries"),
                     .thead(.tr(.th(.t(l("Когда", "When"))), .th(.t(l("Событие", "Event"))), .th(.t(l("Итог", "Outcome"))), .th(.t(l("Ответ", "Answer"))), .th())),
                     .tbody(.forEach(log.items) { d in
                         .tr(.td(.t(l.dateTime(d.createdAt))),
                             .td(.element(named: "code", nodes: [.t(d.eventType)]), .br(), .span(.class("muted"), .t(d.eventId))),
                             .td(.t(statusName(d.status, l) + " · " + l("попыток: ", "attempts: ") + String(d.attempts))),
                             .td(.t(d.lastStatus.map { "HTTP \($0)" } ?? ""), .unwrap(d.lastError) { .p(.class("error"), .t($0)) },
                                 .unwrap(d.lastResponse) { .p(.class("muted"), .t(String($0.prefix(200)))) }),
                             .td(.form(.method(.post), .action(SitePath.adminWebhookRedeliver(d.id).path), .class("inline"), Layout.csrfField(ctx),
                                       .button(.type(.submit), .class("secondary"), .t(l("Отправить снова", "Send again"))))))
                     }))
        return Layout.render(hook.url, ctx, status: status, .group(
            .h1(.t(l("Вебхук", "Webhook"))),
            .p(.a(.href(SitePath.adminWebhooks.path), .t(l("← Все подписки", "← All subscriptions")))),
            secretNode,
            .if(!hook.active, .div(.class("notice error"), .id("webhook-off"),
                                   .t(l("Подписка выключена.", "The subscription is off.") + (hook.disabledReason.map { " " + $0 } ?? "")))),
            .section(.class("card"), form(hook, values: values, errors: errors, ctx)),
            .section(.class("card"), .id("webhook-log"), .h2(.t(l("Доставки", "Deliveries"))),
                     .form(.method(.post), .action(SitePath.adminWebhookPing(id).path), .class("inline"), .id("webhook-ping"), Layout.csrfField(ctx),
                           .button(.type(.submit), .class("secondary"), .t(l("Отправить проверочное событие", "Send a test event")))),
                     rows),
            .form(.method(.post), .action(SitePath.adminWebhookDelete(id).path), .id("webhook-delete"), Layout.csrfField(ctx),
                  .button(.type(.submit), .class("secondary"),
                          .attr("onclick", "return confirm('" + l("Удалить подписку и журнал доставок?", "Remove the subscription and its log?") + "')"),
                          .t(l("Удалить подписку", "Remove the subscription"))))))
    }

    static func save(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap { Int($0) }
        var input = WebhookInput()
        input.url = form.value("url") ?? ""
        input.description = form.value("description") ?? ""
        input.events = form.values("events")
        input.active = form.value("active") == "1"
        input.rotateSecret = form.value("rotate_secret") == "1"
        let values = ["url": input.url ?? "", "description": input.description ?? "", "events": (input.events ?? []).joined(separator: ","),
                      "active": input.active == true ? "1" : ""]
        do {
            let saved = try await WebhookService.save(id: id, input, context: try request.context)
            if let secret = saved.secret {
                // The secret is shown on this answer only: no redirect, or it would be lost.
                return try await render(request, id: saved.id, secret: secret, values: [:], errors: [:], status: id == nil ? .created : .ok)
            }
            return request.redirect(to: SitePath.adminWebhook(saved.id).path + "?notice=saved")
        } catch ZayavkaError.validation(let fields) {
            let l = PageContext(request).l
            var errors: [String: String] = [:]
            for field in fields { errors[field.field] = l.localizer.fieldMessage(field) }
            if let id { return try await render(request, id: id, secret: nil, values: values, errors: errors, status: .unprocessableEntity) }
            return try await renderList(request, hooks: try await WebhookService.list(context: try request.context), values: values, errors: errors,
                                        status: .unprocessableEntity)
        }
    }

    static func ping(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let id = try request.intParameter("id")
        _ = try await WebForms.read(request)
        _ = try await WebhookService.ping(id, context: try request.context)
        return request.redirect(to: SitePath.adminWebhook(id).path + "?notice=saved")
    }

    static func redeliver(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        _ = try await WebForms.read(request)
        let delivery = try await WebhookService.redeliver(try request.intParameter("id"), context: try request.context)
        return request.redirect(to: SitePath.adminWebhook(delivery.webhookId).path + "?notice=saved")
    }

    static func delete(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        _ = try await WebForms.read(request)
        _ = try await WebhookService.delete(try request.intParameter("id"), context: try request.context)
        return request.redirect(to: SitePath.adminWebhooks.path + "?notice=deleted")
    }
}
