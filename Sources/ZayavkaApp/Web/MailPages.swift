import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

// MARK: Forgotten password (SPEC A1)

/// "Forgot your password?" and the page a password link opens.
enum PasswordPages {
    static func forgotPage(_ ctx: PageContext, email: String = "", error: String? = nil) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(
            .class("signin card"),
            .h1(.t(l("Восстановление пароля", "Reset your password"))),
            .p(.t(l("Укажите адрес, с которого вы пишете в поддержку: мы пришлём ссылку для нового пароля.",
                    "Enter the address you write to support from: we will send you a link to set a new password."))),
            .unwrap(error) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .form(.method(.post), .action(SitePath.passwordForgot.path), .id("forgot-form"), Layout.csrfField(ctx),
                  Layout.row(l("Электронная почта", "Email"), for: "forgot-email", error: nil,
                             .input(.type(.email), .name("email"), .id("forgot-email"), .attr("value", email), .required(true), .autofocus(true))),
                  .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Прислать ссылку", "Send the link"))))),
            .p(.class("muted"), .a(.href(SitePath.signIn.path), .t(l("Вернуться ко входу", "Back to sign-in"))))
        )
    }

    static func forgotForm(_ request: Request) async throws -> Response {
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Восстановление пароля", "Reset your password"), ctx, forgotPage(ctx))
    }

    static func forgot(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let email = (form.text("email") ?? "").lowercased()
        let ctx = PageContext(request)
        guard UserService.isPlausibleEmail(email) else {
            return Layout.render(ctx.l("Восстановление пароля", "Reset your password"), ctx, status: .unprocessableEntity,
                                 forgotPage(ctx, email: email, error: ctx.l("Проверьте адрес электронной почты.", "Please check the email address.")))
        }
        try await PasswordTokens.requestReset(email: email, context: try request.context)
        // The same answer whether or not the address has an account.
        return request.redirect(to: SitePath.signIn.path + "?notice=reset-sent")
    }

    static func setPage(_ ctx: PageContext, token: String, who: String?, error: String? = nil) -> Node<HTML.BodyContext> {
        let l = ctx.l
        guard let who else {
            return .div(.class("signin card"), .id("password-link-invalid"),
                        .h1(.t(l("Ссылка не действует", "This link does not work"))),
                        .p(.t(l("Ссылка устарела или уже использована. Запросите новую.", "The link has expired or was already used. Ask for a new one."))),
                        .p(.a(.href(SitePath.passwordForgot.path), .t(l("Получить новую ссылку", "Get a new link")))))
        }
        return .div(
            .class("signin card"),
            .h1(.t(l("Новый пароль", "Set your password"))),
            .p(.t(l("Учётная запись: ", "Account: ") + who)),
            .unwrap(error) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .form(.method(.post), .action(SitePath.passwordSet.path), .id("password-form"), Layout.csrfField(ctx),
                  .input(.type(.hidden), .name("token"), .attr("value", token)),
                  Layout.row(l("Пароль", "Password"), for: "new-password", hint: l("Не меньше 8 символов.", "At least 8 characters."), error: nil,
                             .input(.type(.password), .name("password"), .id("new-password"), .required(true), .attr("minlength", "8"),
                                    .attribute(named: "autocomplete", value: "new-password"))),
                  Layout.row(l("Ещё раз", "Again"), for: "new-password-2", error: nil,
                             .input(.type(.password), .name("password2"), .id("new-password-2"), .required(true), .attr("minlength", "8"),
                                    .attribute(named: "autocomplete", value: "new-password"))),
                  .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить пароль", "Save the password")))))
        )
    }

    static func setForm(_ request: Request) async throws -> Response {
        let token = request.query[String.self, at: "token"] ?? ""
        let holder = token.isEmpty ? nil : try await PasswordTokens.holder(of: token, on: try request.sql)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Новый пароль", "Set your password"), ctx, status: holder == nil ? .notFound : .ok,
                             setPage(ctx, token: token, who: holder?.email))
    }

    static func set(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let token = form.value("token") ?? ""
        let password = form.value("password") ?? ""
        let ctx = PageContext(request)
        let holder = try await PasswordTokens.holder(of: token, on: try request.sql)
        guard password == form.value("password2") else {
            return Layout.render(ctx.l("Новый пароль", "Set your password"), ctx, status: .unprocessableEntity,
                                 setPage(ctx, token: token, who: holder?.email, error: ctx.l("Пароли не совпадают.", "The passwords do not match.")))
        }
        do {
            _ = try await PasswordTokens.consume(token, password: password, context: try request.context)
        } catch ZayavkaError.validation(let problems) {
            let message = problems.map { ($0.field == "token" ? ctx.l("Ссылка", "Link") : ctx.l("Пароль", "Password")) + ": " + ctx.l.localizer.fieldMessage($0) }
                .joined(separator: "; ")
            return Layout.render(ctx.l("Новый пароль", "Set your password"), ctx, status: .unprocessableEntity,
                                 setPage(ctx, token: token, who: holder?.email, error: message))
        }
        return request.redirect(to: SitePath.signIn.path + "?notice=password-set")
    }
}

// MARK: Admin: mail

/// What came in, what goes out, and the notification texts, for admins.
struct MailOverviewModel: Sendable {
    var stats: MailStatsDTO
    var inbound: [InboundMailDTO]
    var outbox: [OutboxMailDTO]
    var inboundFilter: String?
    var outboxFilter: String?
}

enum MailView {
    static func statusName(_ status: String, _ l: L) -> String {
        switch status {
        case "pending": l("в очереди", "pending")
        case "processing": l("обрабатывается", "processing")
        case "processed": l("обработано", "processed")
        case "quarantined": l("карантин", "quarantined")
        case "duplicate": l("повтор", "duplicate")
        case "ignored": l("пропущено", "ignored")
        case "queued": l("ждёт отправки", "queued")
        case "sending": l("отправляется", "sending")
        case "sent": l("отправлено", "sent")
        case "failed": l("не доставлено", "failed")
        default: status
        }
    }

    static func kindName(_ kind: String, _ l: L) -> String {
        switch NotificationKind(rawValue: kind) {
        case .ticketCreated: l("Подтверждение новой заявки", "New ticket acknowledgement")
        case .publicReply: l("Ответ специалиста", "Agent's reply")
        case .statusChanged: l("Смена статуса", "Status change")
        case .ticketSolved: l("Заявка решена", "Ticket solved")
        case .assigneeChanged: l("Смена исполнителя (клиенту)", "New assignee (to the customer)")
        case .agentCustomerReply: l("Ответ клиента (исполнителю)", "Customer reply (to the assignee)")
        case .agentAssigned: l("Назначение (специалисту)", "Assignment (to the agent)")
        case .accountCreated: l("Учётная запись создана", "Account created")
        case .passwordReset: l("Восстановление пароля", "Password reset")
        case .problemLinked: l("Заявка связана с известной проблемой (ответ клиенту)", "Ticket linked to a known problem (reply to the customer)")
        case .outbreakAlert: l("Возможен массовый сбой (диспетчерам и руководителям, сразу)", "A possible mass incident (to dispatchers and managers, at once)")
        case .outbreakReminder: l("Массовый сбой без реакции (руководителям, повторно)", "A possible mass incident nobody acted on (to managers, again)")
        case .problemUpdate: l("Новости по известной проблеме (каждому заинтересованному)", "News about a known problem (to every interested party)")
        case .slaWarning: l("Скоро срок SLA (специалисту, диспетчерам)", "SLA due soon (to the agent or dispatchers)")
        case .criticalTicket: l("Критическая заявка (диспетчерам и руководителям, сразу)", "A critical request (to dispatchers and managers, at once)")
        case .unverifiedStaffMail: l("Письмо от имени сотрудника не подтверждено (этому сотруднику)", "Mail in a staff member's name not verified (to that person)")
        case .slaBreached: l("Нарушен срок SLA (кому — задаёт политика: исполнителю, группе, диспетчерам)",
                             "SLA breached (to whom the policy says: the assignee, the group, the dispatchers)")
        case .satisfactionSurvey: l("Оценка работы поддержки (клиенту, после решения)", "Rate the support (to the customer, after the solution)")
        case .badRating: l("Плохая оценка с комментарием (руководителям группы)", "A bad rating with a comment (to the group's supervisors)")
        case .accountBlocked: l("Учётная запись временно заблокирована за аномальную нагрузку (владельцу)", "An account blocked for a time for anomalous load (to its owner)")
        case .webhookDisabled: l("Вебхук отключён после сбоев доставки (администраторам)", "A webhook turned off after failed deliveries (to the admins)")
        case nil: kind
        }
    }

    static func render(_ model: MailOverviewModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        func filterLinks(_ statuses: [String], current: String?, param: String) -> Node<HTML.BodyContext> {
            .p(.class("filters"), .a(.href(SitePath.adminMail.path), .t(l("все", "all"))),
               .forEach(statuses) { status in
                   .group(.t(" · "), .a(.href(SitePath.adminMail.path + "?\(param)=\(status)"), .class(current == status ? "current" : ""),
                                        .t(statusName(status, l) + " (\(param == "in" ? model.stats.inbound[status] ?? 0 : model.stats.outbox[status] ?? 0))")))
               })
        }
        return .group(
            .h1(.t(l("Почта", "Mail"))),
            .p(.a(.href(SitePath.adminMailTemplates.path), .id("templates-link"), .t(l("Тексты уведомлений", "Notification texts"))),
               .t(" · "), .a(.href(SitePath.adminMailboxes.path), .id("mailboxes-link"), .t(l("Адреса и почтовые ящики", "Addresses and mailboxes")))),
            .if(!model.stats.relayConfigured, .div(.class("notice"), .id("no-relay"), .t(l(
                "Сервер исходящей почты не задан (ZAYAVKA_MAIL_RELAY_URL): письма ждут в очереди ниже.",
                "No outgoing mail server is configured (ZAYAVKA_MAIL_RELAY_URL): messages wait in the queue below.")))),
            .h2(.t(l("Входящие", "Incoming"))),
            filterLinks(MailService.inboundStatuses, current: model.inboundFilter, param: "in"),
            .table(.class("list"), .id("inbound"),
                   .thead(.tr(.th(.t(l("Получено", "Received"))), .th(.t(l("От", "From"))), .th(.t(l("Тема", "Subject"))),
                              .th(.t(l("Состояние", "Status"))), .th(.t(l("Заявка", "Ticket"))))),
                   .tbody(.forEach(model.inbound) { item in
                       .tr(.class("status-" + item.status),
                           .td(.a(.href(SitePath.adminMailMessage(item.id).path), .t(ctx.l.dateTime(item.receivedAt)))),
                           .td(.t(item.from ?? item.envelopeFrom)), .td(.t(item.subject ?? "")),
                           .td(.t(statusName(item.status, l)), .unwrap(item.reason) { .div(.class("muted reason"), .t($0)) }),
                           .td(.unwrap(item.ticketNumber) { .a(.href(SitePath.agentTicket($0).path), .t("#\($0)")) }))
                   })),
            .h2(.t(l("Исходящие", "Outgoing"))),
            filterLinks(MailService.outboxStatuses, current: model.outboxFilter, param: "out"),
            .table(.class("list"), .id("outbox"),
                   .thead(.tr(.th(.t(l("Создано", "Created"))), .th(.t(l("Кому", "To"))), .th(.t(l("Тема", "Subject"))),
                              .th(.t(l("Состояние", "Status"))), .th(.t("")))),
                   .tbody(.forEach(model.outbox) { item in
                       .tr(.class("status-" + item.status),
                           .td(.t(ctx.l.dateTime(item.createdAt))), .td(.t(item.to)),
                           .td(.t(item.subject), .div(.class("muted"), .t(kindName(item.kind, l)))),
                           .td(.t(statusName(item.status, l) + (item.attempts > 0 ? " · " + l("попыток: ", "attempts: ") + String(item.attempts) : "")),
                               .unwrap(item.lastError) { .div(.class("muted reason"), .t($0)) }),
                           .td(.if(item.status == "failed" || item.status == "queued",
                                   .form(.method(.post), .action(SitePath.adminOutboxRetry(item.id).path), Layout.csrfField(ctx),
                                         .button(.type(.submit), .class("secondary"), .t(l("Отправить снова", "Send again")))))))
                   }))
        )
    }

    static func message(_ item: InboundMailDTO, parsed: MailMessage?, parseError: String?, ctx: PageContext,
                        images: [String: String] = [:]) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(item.subject?.isEmpty == false ? item.subject! : l("(без темы)", "(no subject)"))),
            .dl(.class("facts"),
                .dt(.t(l("От", "From"))), .dd(.t(item.from ?? item.envelopeFrom)),
                .dt(.t(l("Получено", "Received"))), .dd(.t(ctx.l.dateTime(item.receivedAt))),
                .dt(.t("Message-ID")), .dd(.t(item.messageId ?? "—")),
                .dt(.t(l("Состояние", "Status"))), .dd(.id("mail-status"), .t(statusName(item.status, l))),
                .unwrap(item.reason) { .group(.dt(.t(l("Причина", "Reason"))), .dd(.id("mail-reason"), .t($0))) },
                .unwrap(item.ticketNumber) { .group(.dt(.t(l("Заявка", "Ticket"))), .dd(.a(.href(SitePath.agentTicket($0).path), .t("#\($0)")))) },
                .dt(.t(l("Размер", "Size"))), .dd(.t(ctx.l.fileSize(item.size)))),
            .div(.class("actions"),
                 .a(.href(SitePath.adminMailRaw(item.id).path), .class("button secondary"), .t(l("Скачать исходное письмо", "Download the original"))),
                 .if(item.status == "quarantined",
                     .form(.method(.post), .action(SitePath.adminMailRetry(item.id).path), .id("retry-form"), Layout.csrfField(ctx),
                           .button(.type(.submit), .class("primary"), .t(l("Обработать снова", "Process again")))))),
            .unwrap(parseError) { .div(.class("errors"), .t(l("Письмо не разбирается: ", "The message cannot be parsed: ") + $0)) },
            .unwrap(parsed) { message in
                .group(
                    .h2(.t(l("Текст", "Text"))),
                    .pre(.class("mail-text"), .t(message.newText)),
                    .if(!message.quotedText.isEmpty, .details(.summary(.t(l("Цитата и подпись", "Quoted text and signature"))),
                                                             .pre(.class("mail-text muted"), .t(message.quotedText)))),
                    // The HTML as the sender wrote it, through the allow-list sanitizer (no scripts, styles, handlers or
                    // remote images; the page's CSP forbids inline script as a second wall). cid: images point at our copies.
                    .unwrap(message.html) { html in
                        .details(.id("mail-html"), .summary(.t(l("Оформленная версия (HTML)", "Formatted version (HTML)"))),
                                 .div(.class("mail-html"), .raw(showImages(html, images))))
                    },
                    .if(!message.attachments.isEmpty, .group(
                        .h2(.t(l("Вложения", "Attachments"))),
                        .ul(.forEach(message.attachments) { file in
                            .li(.t(file.filename + " · " + file.contentType + " · " + ctx.l.fileSize(file.data.count)))
                        })))
                )
            }
        )
    }

    /// Points `cid:` images at the stored attachments; any left unknown are dropped.
    static func showImages(_ html: String, _ images: [String: String]) -> String {
        var result = html
        for (cid, url) in images {
            result = result.replacingOccurrences(of: "src=\"" + HTMLSanitizer.escape("cid:" + cid) + "\"", with: "src=\"" + HTMLSanitizer.escape(url) + "\"")
        }
        return result.replacingOccurrences(of: #"<img src="cid:[^"]*"[^>]*>"#, with: "", options: .regularExpression)
    }

    static func templates(_ rows: [MailTemplateDTO], errors: [String: String], ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(l("Тексты уведомлений", "Notification texts"))),
            .p(.class("muted"), .t(l("Подстановки: ", "Placeholders: ") + MailTemplate.placeholders.map { "{{\($0)}}" }.joined(separator: " "))),
            .forEach(rows) { row in
                let key = row.kind + "-" + row.language
                return .form(
                    .class("card"), .method(.post), .action(SitePath.adminMailTemplateSave.path), .id("template-" + key), Layout.csrfField(ctx),
                    .h2(.t(kindName(row.kind, l) + " · " + (row.language == "ru" ? l("русский", "Russian") : l("английский", "English"))
                           + (row.customized ? l(" (изменён)", " (customized)") : ""))),
                    .input(.type(.hidden), .name("kind"), .attr("value", row.kind)),
                    .input(.type(.hidden), .name("language"), .attr("value", row.language)),
                    .unwrap(errors[key]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                    Layout.row(l("Тема", "Subject"), for: "subject-" + key, error: nil,
                               .input(.type(.text), .name("subject"), .id("subject-" + key), .attr("value", row.subject), .required(true))),
                    Layout.row(l("Текст", "Text"), for: "body-" + key, error: nil,
                               .textarea(.name("body"), .id("body-" + key), .rows(8), .required(true), .t(row.body))),
                    .div(.class("actions"),
                         .button(.type(.submit), .class("primary"), .name("action"), .value("save"), .t(l("Сохранить", "Save"))),
                         .if(row.customized, .button(.type(.submit), .class("secondary"), .name("action"), .value("reset"),
                                                     .attr("formnovalidate", "formnovalidate"), .t(l("Вернуть исходный", "Restore the default")))))
                )
            }
        )
    }
}

enum MailPages {
    static func overview(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let inboundFilter = request.query[String.self, at: "in"].flatMap { MailService.inboundStatuses.contains($0) ? $0 : nil }
        let outboxFilter = request.query[String.self, at: "out"].flatMap { MailService.outboxStatuses.contains($0) ? $0 : nil }
        let sql = try request.sql
        // What needs a person comes first: quarantine and failed deliveries.
        let model = MailOverviewModel(
            stats: try await MailService.stats(context: try request.context),
            inbound: try await MailService.inboundItems(status: inboundFilter, limit: 100, problemsFirst: true, on: sql),
            outbox: try await MailService.outboxItems(status: outboxFilter, limit: 100, problemsFirst: true, on: sql),
            inboundFilter: inboundFilter, outboxFilter: outboxFilter)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Почта", "Mail"), ctx, MailView.render(model, ctx))
    }

    static func message(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let id = try request.intParameter("id")
        let item = try await MailService.inboundItem(id: id, context: try request.context)
        let (raw, images) = try await MailPagesQuery.message(id: id, on: request.sql)
        var parsed: MailMessage?
        var parseError: String?
        do { parsed = try MIMEParser.parse(Array(raw), envelopeSender: item.envelopeFrom) } catch { parseError = "\(error)" }
        let ctx = PageContext(request)
        return Layout.render(item.subject ?? ctx.l("Письмо", "Message"), ctx, MailView.message(item, parsed: parsed, parseError: parseError, ctx: ctx, images: images))
    }

    static func retry(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        _ = try await WebForms.read(request)
        let id = try request.intParameter("id")
        _ = try await MailService.retry(id: id, context: try request.context)
        return request.redirect(to: SitePath.adminMailMessage(id).path + "?notice=retried")
    }

    static func retryOutbox(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        _ = try await WebForms.read(request)
        _ = try await MailService.retryOutbox(id: try request.intParameter("id"), context: try request.context)
        return request.redirect(to: SitePath.adminMail.path + "?notice=retried")
    }

    static func templates(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Тексты уведомлений", "Notification texts"), ctx,
                             MailView.templates(try await MailService.templates(context: try request.context), errors: [:], ctx: ctx))
    }

    static func saveTemplate(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let kind = form.text("kind")
        let language = form.text("language")
        let ctx = PageContext(request)
        do {
            let input = form.value("action") == "reset" ? nil : MailTemplateInput(subject: form.value("subject") ?? "", body: form.value("body") ?? "")
            _ = try await MailService.saveTemplate(kind: kind, language: language, input, context: try request.context)
            return request.redirect(to: SitePath.adminMailTemplates.path + "?notice=saved#template-\(kind ?? "")-\(language ?? "")")
        } catch ZayavkaError.validation(let problems) {
            let key = (kind ?? "") + "-" + (language ?? "")
            let message = problems.map { $0.field + ": " + ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
            return Layout.render(ctx.l("Тексты уведомлений", "Notification texts"), ctx, status: .unprocessableEntity,
                                 MailView.templates(try await MailService.templates(context: try request.context), errors: [key: message], ctx: ctx))
        }
    }
}
