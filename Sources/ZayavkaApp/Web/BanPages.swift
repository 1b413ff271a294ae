import Foundation
import Plot
import Vapor
import ZayavkaCore

/// The managers' bans page (issue 19, SPEC X1): the ban requests conduct warnings recorded, to
/// approve or decline; the bans in force, to change or lift; a form to ban directly; the history.
enum BanPages {
    static func scopeName(_ scope: String, _ l: L) -> String {
        switch scope {
        case BanScope.customer.rawValue: l("клиент", "customer")
        case BanScope.email.rawValue: l("адрес", "address")
        case BanScope.domain.rawValue: l("домен", "domain")
        default: scope
        }
    }

    /// Errors and typed values of the form that was sent, to show it again.
    struct Typed {
        var form = ""
        var values: [String: String] = [:]
        var errors: [String: String] = [:]
    }

    static func page(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        return try await render(request, typed: Typed(), status: .ok)
    }

    static func render(_ request: Request, typed: Typed, status: HTTPResponseStatus) async throws -> Response {
        var ctx = PageContext(request)
        ctx.path = SitePath.adminBans.path
        let l = ctx.l
        let context = try request.context
        let pending = try await BanService.requests(status: "pending", context: context)
        let active = try await BanService.list(state: .active, context: context)
        let past = try await BanService.list(state: .all, limit: 100, context: context).filter { $0.state != "active" }
        let loadBlocks = try await LoadBlockService.list(active: false, limit: 50, context: context)
        func err(_ form: String, _ field: String) -> String? { typed.form == form ? typed.errors[field] : nil }
        func val(_ form: String, _ field: String) -> String? { typed.form == form ? typed.values[field] : nil }

        let requests: Node<HTML.BodyContext> = pending.isEmpty
            ? .p(.class("muted"), .id("no-ban-requests"), .t(l("Запросов нет.", "No requests.")))
            : .table(.class("list"), .id("ban-requests"),
                     .thead(.tr(.th(.t(l("Клиент", "Customer"))), .th(.t(l("Заявка", "Ticket"))), .th(.t(l("Запросил", "Requested by"))),
                                .th(.t(l("Решение", "Decision"))))),
                     .tbody(.forEach(pending) { r in
                         let form = "r\(r.id)"
                         return .tr(.id("ban-request-\(r.id)"),
                             .td(.t(r.customer.name), .br(), .span(.class("muted"), .t(r.customerEmail)), .br(),
                                 .span(.class("muted"), .t(l("замечаний: ", "warnings: ") + String(r.warnings)))),
                             .td(.a(.href(SitePath.agentTicket(r.ticketNumber).path), .t("№\(r.ticketNumber)")), .t(" " + r.ticketSubject)),
                             .td(.t((r.requestedBy?.name ?? "—") + ", " + l.dateTime(r.requestedAt))),
                             .td(.form(.method(.post), .action(SitePath.adminBanApprove(r.id).path), .class("stack"), .id("ban-approve-\(r.id)"),
                                       Layout.csrfField(ctx),
                                       Layout.row(l("Причина (по умолчанию — повторное нарушение)", "Reason (default: the repeat offence)"), for: "\(form)-reason",
                                                  error: err(form, "reason"),
                                                  .input(.type(.text), .name("reason"), .id("\(form)-reason"), .value(val(form, "reason") ?? ""), .attr("maxlength", "2000"))),
                                       Layout.row(l("До (пусто — бессрочно), МСК", "Until (empty: no end), Moscow time"), for: "\(form)-until",
                                                  error: err(form, "ends_at"),
                                                  .input(.type(.datetimeLocal), .name("until"), .id("\(form)-until"), .value(val(form, "until") ?? ""))),
                                       .button(.type(.submit), .class("primary"), .t(l("Забанить", "Ban")))),
                                 .form(.method(.post), .action(SitePath.adminBanDecline(r.id).path), .class("stack"), .id("ban-decline-\(r.id)"),
                                       Layout.csrfField(ctx),
                                       Layout.row(l("Почему отклонить", "Why decline"), for: "\(form)-note", error: err(form + "d", "reason"),
                                                  .input(.type(.text), .name("reason"), .id("\(form)-note"), .value(val(form + "d", "reason") ?? ""), .attr("maxlength", "2000"))),
                                       .button(.type(.submit), .class("secondary"), .t(l("Отклонить", "Decline"))))))
                     }))

        let bans: Node<HTML.BodyContext> = active.isEmpty
            ? .p(.class("muted"), .id("no-bans"), .t(l("Действующих банов нет.", "No bans in force.")))
            : .table(.class("list"), .id("bans"),
                     .thead(.tr(.th(.t(l("Кого", "Who"))), .th(.t(l("Причина", "Reason"))), .th(.t(l("До", "Until"))), .th(.t(l("Ввёл", "By"))), .th())),
                     .tbody(.forEach(active) { ban in
                         let form = "b\(ban.id)"
                         return .tr(.id("ban-\(ban.id)"),
                             .td(.t(scopeName(ban.scope, l) + ": "), .strong(.t(ban.customer.map { "\($0.name) <\(ban.value)>" } ?? ban.value))),
                             .td(.t(ban.reason)),
                             .td(.t(ban.endsAt.map { l.dateTime($0) } ?? l("бессрочно", "no end"))),
                             .td(.t((ban.createdBy?.name ?? "—") + ", " + l.dateTime(ban.createdAt))),
                             .td(.form(.method(.post), .action(SitePath.adminBanChange(ban.id).path), .class("stack"), .id("ban-change-\(ban.id)"),
                                       Layout.csrfField(ctx),
                                       Layout.row(l("Новый срок (пусто — бессрочно), МСК", "New end (empty: no end), Moscow time"), for: "\(form)-until",
                                                  error: err(form, "ends_at"),
                                                  .input(.type(.datetimeLocal), .name("until"), .id("\(form)-until"),
                                                         .value(val(form, "until") ?? ban.endsAt.map { l.localInput($0) } ?? ""))),
                                       .button(.type(.submit), .class("secondary"), .t(l("Изменить срок", "Change the end")))),
                                 .form(.method(.post), .action(SitePath.adminBanLift(ban.id).path), .class("stack"), .id("ban-lift-\(ban.id)"),
                                       Layout.csrfField(ctx),
                                       Layout.row(l("Почему снять", "Why lift"), for: "\(form)-lift", error: err(form + "l", "reason"),
                                                  .input(.type(.text), .name("reason"), .id("\(form)-lift"), .value(val(form + "l", "reason") ?? ""), .attr("maxlength", "2000"))),
                                       .button(.type(.submit), .class("secondary"), .t(l("Снять бан", "Lift the ban")))))
                         )
                     }))

        let scope = val("new", "scope") ?? BanScope.customer.rawValue
        let newForm: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.adminBanSave.path), .id("ban-form"), Layout.csrfField(ctx),
            Layout.row(l("Что банить", "What to ban"), for: "ban-scope", error: err("new", "scope"),
                       .select(.attr("name", "scope"), .id("ban-scope"), .forEach(BanScope.allCases) { s in
                           .opt(s.rawValue, scopeName(s.rawValue, l), selected: s.rawValue == scope)
                       })),
            Layout.row(l("Почта клиента, адрес или домен", "The customer's email, an address or a domain"), for: "ban-value",
                       hint: l("Клиент — по адресу его учётной записи; домен закрывает и все его поддомены.",
                               "A customer by their account's address; a domain covers its subdomains too."),
                       error: err("new", "value") ?? err("new", "customer_id"),
                       .input(.type(.text), .name("value"), .id("ban-value"), .value(val("new", "value") ?? ""), .attr("maxlength", "254"))),
            Layout.row(l("Причина", "Reason"), for: "ban-reason", error: err("new", "reason"),
                       .input(.type(.text), .name("reason"), .id("ban-reason"), .value(val("new", "reason") ?? ""), .attr("maxlength", "2000"))),
            Layout.row(l("До (пусто — бессрочно), МСК", "Until (empty: no end), Moscow time"), for: "ban-until", error: err("new", "ends_at"),
                       .input(.type(.datetimeLocal), .name("until"), .id("ban-until"), .value(val("new", "until") ?? ""))),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id("ban-save"), .t(l("Забанить", "Ban")))))

        let history: Node<HTML.BodyContext> = past.isEmpty
            ? .p(.class("muted"), .t(l("Пока пусто.", "Nothing yet.")))
            : .table(.class("list"), .id("ban-history"),
                     .thead(.tr(.th(.t(l("Кого", "Who"))), .th(.t(l("Причина", "Reason"))), .th(.t(l("Итог", "Outcome"))))),
                     .tbody(.forEach(past) { ban in
                         .tr(.td(.t(scopeName(ban.scope, l) + ": " + (ban.customer.map { "\($0.name) <\(ban.value)>" } ?? ban.value))),
                             .td(.t(ban.reason)),
                             .td(.t(ban.state == "lifted"
                                    ? l("снят ", "lifted ") + (ban.liftedAt.map { l.dateTime($0) } ?? "") + " (" + (ban.liftedBy?.name ?? "—") + "): " + (ban.liftReason ?? "")
                                    : l("истёк ", "expired ") + (ban.endsAt.map { l.dateTime($0) } ?? ""))))
                     }))

        let blocksTable: Node<HTML.BodyContext> = loadBlocks.isEmpty
            ? .p(.class("muted"), .id("no-load-blocks"), .t(l("Блокировок не было.", "No blocks so far.")))
            : .table(.class("list"), .id("load-blocks"),
                     .thead(.tr(.th(.t(l("Кто", "Who"))), .th(.t(l("Почему", "Why"))), .th(.t(l("С", "Since"))), .th(.t(l("До", "Until"))), .th())),
                     .tbody(.forEach(loadBlocks) { block in
                         .tr(.id("load-block-\(block.id)"),
                             .td(.t(block.scope == "account"
                                    ? l("учётная запись: ", "account: ") + (block.account.map { "\($0.name) <\(block.accountEmail ?? "")>" } ?? block.key)
                                    : l("адрес: ", "address: ") + block.key)),
                             .td(.t(l("\(block.refusals) запросов сверх лимита за минуту", "\(block.refusals) requests over the limit within a minute"))),
                             .td(.t(l.dateTime(block.createdAt))),
                             .td(.t(l.dateTime(block.until))),
                             .td(block.state == "active"
                                 ? .form(.method(.post), .action(SitePath.adminUnblock(block.id).path), .class("inline"), Layout.csrfField(ctx),
                                         .button(.type(.submit), .class("secondary"), .t(l("Разблокировать", "Unblock"))))
                                 : .t(block.state == "lifted" ? l("снята ", "lifted ") + (block.liftedBy?.name ?? "") : l("истекла", "expired"))))
                     }))
        let formError: Node<HTML.BodyContext> = .if(!typed.errors.isEmpty, .div(.class("notice error"), .attr("role", "alert"), .id("ban-errors"),
                                                                                 .t(l("Проверьте поля, отмеченные ниже.", "Please check the fields marked below."))))
        return Layout.render(l("Баны", "Bans"), ctx, status: status, .group(
            .h1(.t(l("Баны", "Bans"))),
            .p(.class("muted"), .t(l("По регламенту клиента, повторно нарушившего правила общения после замечания, отключают от линий поддержки. Забаненному отказывают во всех каналах: письма уходят в карантин без ответа, портал и API не пускают, на экране звонка — красная плашка. Каждое действие записывается в журнал аудита.",
                                     "By the regulation a customer who breaks the rules of conduct again after a warning is cut off from the support lines. A banned party is refused in every channel: mail goes to quarantine unanswered, the portal and the API refuse them, the call screen shows a red banner. Every act is written to the audit log."))),
            formError,
            .section(.class("card"), .id("ban-requests-card"), .h2(.t(l("Запросы на бан", "Ban requests") + " (\(pending.count))")), requests),
            .section(.class("card"), .id("bans-card"), .h2(.t(l("Действующие баны", "Bans in force") + " (\(active.count))")), bans),
            .section(.class("card"), .id("ban-new"), .h2(.t(l("Забанить", "Ban"))), newForm),
            .section(.class("card"), .id("ban-history-card"), .h2(.t(l("История", "History"))), history),
            .section(.class("card"), .id("load-blocks-card"), .h2(.t(l("Блокировки за аномальную нагрузку", "Blocks for anomalous load"))),
                     .p(.class("muted"), .t(l("Учётные записи и адреса, превышавшие лимит запросов минуту подряд, блокируются на время сами; владельцу учётной записи уходит письмо.",
                                              "Accounts and addresses that kept going over the request limit for a minute are blocked for a time by themselves; the account's owner is mailed."))),
                     blocksTable)))
    }

    /// The `until` field in the reader's time zone; an unreadable one is an error on `ends_at`.
    private static func until(_ raw: String?, _ l: L, errors: inout [FieldError]) -> Date? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let date = l.parseLocalInput(raw) else {
            errors.append(FieldError("ends_at", .invalid))
            return nil
        }
        return date
    }

    /// Runs a change; a refusal shows the page again with the form's errors and values.
    private static func attempt(_ request: Request, form: String, values: [String: String], parseErrors: [FieldError],
                                _ work: () async throws -> String) async throws -> Response {
        let l = PageContext(request).l
        do {
            if !parseErrors.isEmpty { throw ZayavkaError.validation(parseErrors) }
            return request.redirect(to: SitePath.adminBans.path + "?notice=" + (try await work()))
        } catch ZayavkaError.validation(let fields) {
            var typed = Typed(form: form, values: values)
            for field in fields { typed.errors[field.field] = l.localizer.fieldMessage(field) }
            return try await render(request, typed: typed, status: .unprocessableEntity)
        } catch ZayavkaError.conflict(let field, _) where field == "status" {
            return request.redirect(to: SitePath.adminBans.path + "?notice=ban-decided")
        } catch ZayavkaError.conflict {
            var typed = Typed(form: form, values: values)
            typed.errors["value"] = l("уже забанен: измените действующий бан", "is banned already: change the ban in force")
            typed.errors["customer_id"] = typed.errors["value"]
            return try await render(request, typed: typed, status: .conflict)
        }
    }

    static func create(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let form = try await WebForms.read(request)
        let l = PageContext(request).l
        var errors: [FieldError] = []
        let end = until(form.value("until"), l, errors: &errors)
        let values = ["scope": form.value("scope") ?? "", "value": form.value("value") ?? "", "reason": form.value("reason") ?? "", "until": form.value("until") ?? ""]
        return try await attempt(request, form: "new", values: values, parseErrors: errors) {
            _ = try await BanService.create(BanInput(scope: form.value("scope"), customerId: nil, value: form.value("value"),
                                                     reason: form.value("reason"), endsAt: end), context: try request.context)
            return "banned"
        }
    }

    static func change(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let id = try request.intParameter("id")
        let form = try await WebForms.read(request)
        let l = PageContext(request).l
        var errors: [FieldError] = []
        let end = until(form.value("until"), l, errors: &errors)
        return try await attempt(request, form: "b\(id)", values: ["until": form.value("until") ?? ""], parseErrors: errors) {
            _ = try await BanService.update(id, BanUpdate(reason: nil, endsAt: end, permanent: end == nil), context: try request.context)
            return "ban-changed"
        }
    }

    static func lift(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let id = try request.intParameter("id")
        let form = try await WebForms.read(request)
        return try await attempt(request, form: "b\(id)l", values: ["reason": form.value("reason") ?? ""], parseErrors: []) {
            _ = try await BanService.lift(id, BanDecisionNote(reason: form.value("reason")), context: try request.context)
            return "ban-lifted"
        }
    }

    static func approve(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let id = try request.intParameter("id")
        let form = try await WebForms.read(request)
        let l = PageContext(request).l
        var errors: [FieldError] = []
        let end = until(form.value("until"), l, errors: &errors)
        return try await attempt(request, form: "r\(id)", values: ["reason": form.value("reason") ?? "", "until": form.value("until") ?? ""], parseErrors: errors) {
            _ = try await BanService.approve(id, BanApproval(reason: form.value("reason"), endsAt: end), context: try request.context)
            return "banned"
        }
    }

    static func unblock(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let id = try request.intParameter("id")
        _ = try await WebForms.read(request)
        _ = try await LoadBlockService.unblock(id, context: try request.context)
        return request.redirect(to: SitePath.adminBans.path + "?notice=unblocked")
    }

    static func decline(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageBans)
        let id = try request.intParameter("id")
        let form = try await WebForms.read(request)
        return try await attempt(request, form: "r\(id)d", values: ["reason": form.value("reason") ?? ""], parseErrors: []) {
            _ = try await BanService.decline(id, BanDecisionNote(reason: form.value("reason")), context: try request.context)
            return "ban-declined"
        }
    }
}
