import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Admins' support addresses and hosted mailboxes (issue 21): the list with where fetching stands,
/// a form per address (IMAP to fetch, SMTP to send through, sender name, signature, group,
/// language), "test connection" that names the failing step, and removal.
enum MailboxPages {
    static func list(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let ctx = PageContext(request)
        let l = ctx.l
        let boxes = try await MailboxService.list(context: try request.context)
        let groups = try await groupNames(request)
        let table: Node<HTML.BodyContext> = boxes.isEmpty
            ? .p(.class("muted"), .id("no-mailboxes"), .t(l("Адресов пока нет: почта приходит на SMTP-приёмник, ответы уходят с адреса из настроек.",
                                                             "No addresses yet: mail comes to the SMTP listener and replies go from the configured address.")))
            : .table(.class("list"), .id("mailboxes"),
                     .thead(.tr(.th(.t(l("Адрес", "Address"))), .th(.t(l("Получение", "Receiving"))), .th(.t(l("Отправка", "Sending"))),
                                .th(.t(l("Группа", "Group"))), .th(.t(l("Состояние", "State"))))),
                     .tbody(.forEach(boxes) { box in
                         .tr(.td(.a(.href(SitePath.adminMailbox(box.id).path), .t(box.address)), .br(), .span(.class("muted"), .t(box.senderName))),
                             .td(.t(box.imapHost.map { "IMAP \($0) · \(box.folder)" } ?? l("SMTP-приёмник", "SMTP listener"))),
                             .td(.t(box.smtpHost.map { "SMTP \($0)" } ?? l("общий сервер отправки", "the desk's relay"))),
                             .td(.t(box.groupId.flatMap { groups[$0] } ?? "—")),
                             .td(state(box, l)))
                     }))
        return Layout.render(l("Адреса поддержки и почтовые ящики", "Support addresses and mailboxes"), ctx, .group(
            .h1(.t(l("Адреса поддержки и почтовые ящики", "Support addresses and mailboxes"))),
            .p(.a(.href(SitePath.adminMail.path), .t(l("← Почта", "← Mail")))),
            .p(.class("muted"), .t(l("Каждый адрес — со своим именем отправителя, подписью и группой. Ящик на Яндекс 360, Mail.ru, Microsoft 365 или своём сервере забирается по IMAP; ответы клиенту уходят через SMTP этого ящика, с того адреса, на который он писал.",
                                     "Each address has its own sender name, signature and group. A mailbox at Yandex 360, Mail.ru, Microsoft 365 or your own server is fetched over IMAP; replies go out through that mailbox's SMTP, from the address the customer wrote to."))),
            .section(.class("card"), table),
            .section(.class("card"), .id("mailbox-new"), .h2(.t(l("Новый адрес", "New address"))),
                     form(nil, values: [:], errors: [:], groups: groups, ctx))))
    }

    static func edit(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let id = try request.intParameter("id")
        return try await render(request, id: id, values: nil, errors: [:], test: nil, status: .ok)
    }

    static func render(_ request: Request, id: Int, values: [String: String]?, errors: [String: String], test: MailboxTestDTO?,
                       status: HTTPResponseStatus) async throws -> Response {
        var ctx = PageContext(request)
        ctx.path = SitePath.adminMailbox(id).path
        let l = ctx.l
        let box = try await MailboxService.get(id, context: try request.context)
        let groups = try await groupNames(request)
        let current = values ?? formValues(box)
        let testNode: Node<HTML.BodyContext> = .unwrap(test) { result in
            .div(.class(result.ok ? "notice" : "notice error"), .id("mailbox-test-result"), .attr("role", result.ok ? "status" : "alert"),
                 .t(result.message),
                 .unwrap(result.serverText) { .p(.class("muted"), .t(l("Ответ сервера: ", "The server said: ") + $0)) })
        }
        return Layout.render(box.address, ctx, status: status, .group(
            .h1(.t(box.address)),
            .p(.a(.href(SitePath.adminMailboxes.path), .t(l("← Все адреса", "← All addresses")))),
            testNode,
            .section(.class("card"), .id("mailbox-state"), .h2(.t(l("Получение", "Fetching"))), state(box, l),
                     .if(box.imapHost != nil, .form(.method(.post), .action(SitePath.adminMailboxTest(id).path), .class("inline"), .id("mailbox-test"),
                                                    Layout.csrfField(ctx),
                                                    .button(.type(.submit), .class("secondary"), .t(l("Проверить подключение", "Test the connection")))))),
            .section(.class("card"), form(box, values: current, errors: errors, groups: groups, ctx)),
            .form(.method(.post), .action(SitePath.adminMailboxDelete(id).path), .id("mailbox-delete"), Layout.csrfField(ctx),
                  .button(.type(.submit), .class("secondary"),
                          .attr("onclick", "return confirm('" + l("Удалить адрес? Полученная почта останется.", "Remove the address? Received mail stays.") + "')"),
                          .t(l("Удалить адрес", "Remove the address"))))))
    }

    private static func groupNames(_ request: Request) async throws -> [Int: String] {
        var names: [Int: String] = [:]
        for row in try await request.context.sql.raw("SELECT id, name FROM support_groups ORDER BY name").all() {
            names[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }

    private static func state(_ box: MailboxDTO, _ l: L) -> Node<HTML.BodyContext> {
        guard box.imapHost != nil else { return .span(.class("muted"), .t(l("без IMAP", "no IMAP"))) }
        let s = box.state
        let imported = l("Забрано писем: ", "Messages fetched: ") + String(s.imported)
        let checked = s.lastCheckedAt.map { l("проверено ", "checked ") + l.dateTime($0) } ?? l("ещё не проверялся", "not checked yet")
        return .div(.class("mailbox-state"),
                    .if(!box.enabled, .p(.class("muted"), .t(l("Выключен", "Disabled")))),
                    .p(.t(imported + " · " + checked)),
                    .unwrap(s.lastError) { error in
                        .div(.class("error"), .id("mailbox-error"),
                             .p(.t(MailboxService.explain(step: s.lastErrorStep ?? "command", host: box.imapHost ?? "", port: box.imapPort,
                                                          folder: box.folder, certificate: error.contains("certificate"), language: l.language))),
                             .p(.class("muted"), .t(l("Подробности: ", "Details: ") + error)))
                    })
    }

    private static func formValues(_ box: MailboxDTO) -> [String: String] {
        [
            "address": box.address, "sender_name": box.senderName, "signature": box.signature, "group_id": box.groupId.map(String.init) ?? "",
            "language": box.language ?? "", "enabled": box.enabled ? "1" : "", "imap_host": box.imapHost ?? "", "imap_port": String(box.imapPort),
            "imap_security": box.imapSecurity, "imap_user": box.imapUser, "imap_ca_pem": box.imapCaPem ?? "", "folder": box.folder,
            "after_import": box.afterImport, "move_folder": box.moveFolder ?? "", "smtp_host": box.smtpHost ?? "", "smtp_port": String(box.smtpPort),
            "smtp_security": box.smtpSecurity, "smtp_user": box.smtpUser, "save_sent": box.saveSent ? "1" : "", "sent_folder": box.sentFolder,
        ]
    }

    private static func form(_ box: MailboxDTO?, values: [String: String], errors: [String: String], groups: [Int: String],
                             _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let prefix = box.map { "m\($0.id)-" } ?? "new-"
        func v(_ name: String, _ fallback: String = "") -> String { values[name] ?? fallback }
        func text(_ name: String, _ label: String, type: HTMLInputType = .text, hint: String? = nil, fallback: String = "") -> Node<HTML.FormContext> {
            Layout.row(label, for: prefix + name, hint: hint, error: errors[name],
                       .input(.type(type), .name(name), .id(prefix + name), .value(v(name, fallback)), .attr("maxlength", "254")))
        }
        func choice(_ name: String, _ label: String, _ options: [(String, String)], fallback: String) -> Node<HTML.FormContext> {
            Layout.row(label, for: prefix + name, error: errors[name],
                       .select(.attr("name", name), .id(prefix + name), .forEach(options) { option in
                           .opt(option.0, option.1, selected: v(name, fallback) == option.0)
                       }))
        }
        func check(_ name: String, _ label: String, on: Bool) -> Node<HTML.FormContext> {
            .element(named: "label", nodes: [.class("check"), .input(.type(.checkbox), .name(name), .value("1"), .id(prefix + name), .checked(on)), .t(" " + label)])
        }
        let password = box?.hasImapPassword == true ? l("сохранён; оставьте пустым, чтобы не менять", "saved; leave empty to keep it") : nil
        let smtpPassword = box?.hasSmtpPassword == true ? l("сохранён; оставьте пустым, чтобы не менять", "saved; leave empty to keep it") : nil
        let general: Node<HTML.FormContext> = .group(
            text("address", l("Адрес поддержки", "Support address"), type: .email),
            text("sender_name", l("Имя отправителя", "Sender name"), fallback: l("Поддержка", "Support")),
            Layout.row(l("Подпись в ответах клиентам", "Signature in replies to customers"), for: prefix + "signature", error: errors["signature"],
                       .textarea(.name("signature"), .id(prefix + "signature"), .attr("rows", "3"), .attr("maxlength", "2000"), .text(v("signature")))),
            choice("group_id", l("Группа новых заявок", "Group for new tickets"),
                   [("", l("по правилам маршрутизации", "by the routing rules"))] + groups.sorted { $0.value < $1.value }.map { (String($0.key), $0.value) },
                   fallback: ""),
            choice("language", l("Язык новых клиентов", "Language of new customers"),
                   [("", l("по тексту письма", "from the message")), ("ru", "Русский"), ("en", "English")], fallback: ""),
            check("enabled", l("Включён", "Enabled"), on: box == nil || v("enabled") == "1"))
        let imap: Node<HTML.FormContext> = .element(named: "fieldset", nodes: [
            .element(named: "legend", nodes: [.t(l("Забирать почту по IMAP", "Fetch mail over IMAP"))]),
            text("imap_host", l("IMAP-сервер (пусто — без IMAP)", "IMAP server (empty: no IMAP)"), hint: "imap.yandex.ru, imap.mail.ru, outlook.office365.com"),
            choice("imap_security", l("Защита", "Security"), [("tls", l("TLS (порт 993)", "TLS (port 993)")), ("starttls", "STARTTLS (143)")], fallback: "tls"),
            text("imap_port", l("Порт", "Port"), type: .number, fallback: "993"),
            text("imap_user", l("Пользователь", "User")),
            Layout.row(l("Пароль", "Password"), for: prefix + "imap_password", hint: password, error: errors["imap_password"],
                       .input(.type(.password), .name("imap_password"), .id(prefix + "imap_password"), .attr("autocomplete", "new-password"))) as Node<HTML.FormContext>,
            text("folder", l("Папка", "Folder"), fallback: "INBOX"),
            choice("after_import", l("После приёма", "After import"),
                   [("seen", l("отметить прочитанным", "mark as seen")), ("move", l("переместить в папку", "move to a folder")),
                    ("delete", l("удалить", "delete"))], fallback: "seen"),
            text("move_folder", l("Папка для перемещения", "Folder to move to"), hint: "Archive"),
            Layout.row(l("Корневой сертификат (PEM), если сервер с сертификатом вашей компании", "Root certificate (PEM), for a server with your company's certificate"),
                       for: prefix + "imap_ca_pem", error: errors["imap_ca_pem"],
                       .textarea(.name("imap_ca_pem"), .id(prefix + "imap_ca_pem"), .attr("rows", "3"), .text(v("imap_ca_pem")))) as Node<HTML.FormContext>,
        ])
        let smtp: Node<HTML.FormContext> = .element(named: "fieldset", nodes: [
            .element(named: "legend", nodes: [.t(l("Отправлять ответы через SMTP этого ящика", "Send replies through this mailbox's SMTP"))]),
            text("smtp_host", l("SMTP-сервер (пусто — общий сервер отправки)", "SMTP server (empty: the desk's relay)"), hint: "smtp.yandex.ru"),
            choice("smtp_security", l("Защита", "Security"), [("tls", l("TLS (порт 465)", "TLS (port 465)")), ("starttls", "STARTTLS (587)")], fallback: "tls"),
            text("smtp_port", l("Порт", "Port"), type: .number, fallback: "465"),
            text("smtp_user", l("Пользователь", "User")),
            Layout.row(l("Пароль", "Password"), for: prefix + "smtp_password", hint: smtpPassword, error: errors["smtp_password"],
                       .input(.type(.password), .name("smtp_password"), .id(prefix + "smtp_password"), .attr("autocomplete", "new-password"))) as Node<HTML.FormContext>,
            check("save_sent", l("Сохранять копию отправленного в папку", "Save a copy of sent mail in the folder"), on: v("save_sent") == "1"),
            text("sent_folder", l("Папка отправленных", "Sent folder"), fallback: "Sent"),
        ])
        return .form(.method(.post), .action(SitePath.adminMailboxSave.path), .id(box == nil ? "mailbox-form-new" : "mailbox-form"),
                     Layout.csrfField(ctx),
                     .unwrap(box) { .input(.type(.hidden), .name("id"), .value(String($0.id))) },
                     .unwrap(errors["_form"]) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
                     general, imap, smtp,
                     .button(.type(.submit), .class("primary"), .id("mailbox-save"), .t(l("Сохранить", "Save"))))
    }

    static func save(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap { Int($0) }
        var input = MailboxInput()
        var values: [String: String] = [:]
        for key in ["address", "sender_name", "signature", "imap_host", "imap_security", "imap_user", "imap_ca_pem", "folder", "after_import",
                    "move_folder", "smtp_host", "smtp_security", "smtp_user", "sent_folder", "language", "group_id", "imap_port", "smtp_port"] {
            values[key] = form.value(key) ?? ""
        }
        values["enabled"] = form.value("enabled") == "1" ? "1" : ""
        values["save_sent"] = form.value("save_sent") == "1" ? "1" : ""
        func optional(_ key: String) -> String?? { .some(values[key].flatMap { $0.trimmed.isEmpty ? nil : $0 }) }
        input.address = .some(values["address"])
        input.senderName = .some(values["sender_name"])
        input.signature = .some(values["signature"])
        input.language = optional("language")
        input.enabled = .some(values["enabled"] == "1")
        input.imapHost = optional("imap_host")
        input.imapSecurity = .some(values["imap_security"])
        input.imapUser = .some(values["imap_user"])
        input.imapCaPem = optional("imap_ca_pem")
        input.folder = .some(values["folder"])
        input.afterImport = .some(values["after_import"])
        input.moveFolder = optional("move_folder")
        input.smtpHost = optional("smtp_host")
        input.smtpSecurity = .some(values["smtp_security"])
        input.smtpUser = .some(values["smtp_user"])
        input.saveSent = .some(values["save_sent"] == "1")
        input.sentFolder = .some(values["sent_folder"])
        var problems: [String: String] = [:]
        let l = PageContext(request).l
        func number(_ key: String) -> Int?? {
            guard let raw = values[key]?.trimmed, !raw.isEmpty else { return .some(nil) }
            guard raw.count <= 6, let value = Int(raw) else {
                problems[key] = l("Введите число от 1 до 65535", "Enter a number from 1 to 65535")
                return nil
            }
            return .some(value)
        }
        input.imapPort = number("imap_port")
        input.smtpPort = number("smtp_port")
        if let raw = values["group_id"]?.trimmed, !raw.isEmpty {
            if let group = Int(raw) { input.groupId = .some(group) } else { problems["group_id"] = l("Выберите группу", "Choose a group") }
        } else {
            input.groupId = .some(nil)
        }
        if let password = form.value("imap_password"), !password.isEmpty { input.imapPassword = .some(password) }
        if let password = form.value("smtp_password"), !password.isEmpty { input.smtpPassword = .some(password) }
        do {
            if !problems.isEmpty { throw ZayavkaError.validation([]) }
            let saved = try await MailboxService.save(id: id, input, context: try request.context)
            return request.redirect(to: SitePath.adminMailbox(saved.id).path + "?notice=saved")
        } catch ZayavkaError.validation(let fields) {
            for field in fields { problems[field.field] = l.localizer.fieldMessage(field) }
            if let id { return try await render(request, id: id, values: values, errors: problems, test: nil, status: .unprocessableEntity) }
            var ctx = PageContext(request)
            ctx.path = SitePath.adminMailboxes.path
            let groups = try await groupNames(request)
            return Layout.render(l("Новый адрес", "New address"), ctx, status: .unprocessableEntity, .group(
                .h1(.t(l("Новый адрес", "New address"))),
                .p(.a(.href(SitePath.adminMailboxes.path), .t(l("← Все адреса", "← All addresses")))),
                .div(.class("notice error"), .attr("role", "alert"), .t(l("Проверьте поля, отмеченные ниже.", "Please check the fields marked below."))),
                .section(.class("card"), Self.form(nil, values: values, errors: problems, groups: groups, ctx))))
        }
    }

    static func test(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let id = try request.intParameter("id")
        _ = try await WebForms.read(request)
        let result = try await MailboxService.test(id, context: try request.context)
        return try await render(request, id: id, values: nil, errors: [:], test: result, status: .ok)
    }

    static func delete(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let id = try request.intParameter("id")
        _ = try await WebForms.read(request)
        _ = try await MailboxService.delete(id, context: try request.context)
        return request.redirect(to: SitePath.adminMailboxes.path + "?notice=deleted")
    }
}
