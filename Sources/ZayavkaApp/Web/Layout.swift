import Foundation
import Plot
import Vapor
import ZayavkaCore

/// What every page needs besides its own model: words, who is reading, the form token, where we are.
struct PageContext: Sendable {
    let l: L
    let signedIn: SignedIn?
    let csrf: String
    /// The page's own address (the language switch returns here): a page rendered as the answer to a
    /// form sets it to the GET address that shows the same thing.
    var path: String
    let now: Date
    /// A one-line confirmation or warning shown above the content.
    var notice: Notice?
    /// The largest file a form accepts.
    var maxFileBytes = 50 * 1_048_576
    /// Outbreak alerts and mass incidents, shown under the header (SPEC P3).
    var banner: IncidentBanner?

    struct Notice: Sendable {
        let text: String
        let isError: Bool
    }

    init(l: L, signedIn: SignedIn?, csrf: String, path: String, now: Date = Date(), notice: Notice? = nil) {
        self.l = l
        self.signedIn = signedIn
        self.csrf = csrf
        self.path = path
        self.now = now
        self.notice = notice
    }

    init(_ request: Request) {
        let signedIn = request.signedInIfAny
        self.init(l: L(request.language, timeZone: signedIn?.timeZone ?? WebTime.moscow), signedIn: signedIn,
                  csrf: request.csrfToken, path: request.url.path)
        if let key = request.query[String.self, at: "notice"] { notice = Notices.text(key, l) }
        maxFileBytes = request.services.configuration.maxAttachmentBytes
        banner = request.incidentBanner
    }

    var isStaff: Bool { signedIn?.viewer.role.isStaff ?? false }
}

/// Short messages shown after a redirect (`?notice=key`), so nothing user-written travels in URLs.
enum Notices {
    static func text(_ key: String, _ l: L) -> PageContext.Notice? {
        switch key {
        case "created": .init(text: l("Заявка создана.", "The request has been filed."), isError: false)
        case "replied": .init(text: l("Ответ отправлен.", "Your reply has been sent."), isError: false)
        case "noted": .init(text: l("Внутренняя заметка добавлена.", "Internal note added."), isError: false)
        case "saved": .init(text: l("Изменения сохранены.", "Changes saved."), isError: false)
        case "saved-unsent": .init(text: l("Поля сохранены. Текст ответа не отправлен: он остался в редакторе.",
                                           "The fields are saved. The reply is not sent: it is still in the editor."), isError: false)
        case "solved": .init(text: l("Спасибо! Заявка отмечена как решённая.", "Thank you! The request is marked as solved."), isError: false)
        case "reopened": .init(text: l("Заявка снова открыта, мы займёмся ею.", "The request is open again; we are on it."), isError: false)
        case "signed-out": .init(text: l("Вы вышли.", "You have signed out."), isError: false)
        case "expired": .init(text: l("Сеанс истёк. Войдите снова.", "Your session has expired. Please sign in again."), isError: true)
        case "deleted": .init(text: l("Удалено.", "Deleted."), isError: false)
        case "erased": .init(text: l("Персональные данные удалены; это записано в журнал аудита.",
                                     "The personal data is erased; the act is in the audit log."), isError: false)
        case "hold-placed": .init(text: l("Удержание наложено: удалить персональные данные нельзя, пока его не снимут; это записано в журнал аудита.",
                                          "The hold is placed: the personal data cannot be erased until it is released; the act is in the audit log."), isError: false)
        case "hold-released": .init(text: l("Удержание снято; это записано в журнал аудита.", "The hold is released; the act is in the audit log."), isError: false)
        case "bulk": .init(text: l("Выбранные заявки изменены.", "The selected tickets have been updated."), isError: false)
        case "reset-sent": .init(text: l("Если адрес зарегистрирован, на него отправлена ссылка для смены пароля.",
                                         "If the address is registered, a link to set a new password has been sent to it."), isError: false)
        case "password-set": .init(text: l("Пароль задан. Войдите с новым паролем.", "Your password is set. Sign in with it."), isError: false)
        case "retried": .init(text: l("Отправлено на повторную обработку.", "Sent for another try."), isError: false)
        case "warned": .init(text: l("Замечание отправлено клиенту.", "The warning was sent to the customer."), isError: false)
        case "warned-again": .init(text: l("Повторное замечание отправлено. По регламенту при повторном нарушении клиента отключают: можно запросить бан.",
                                          "A repeat warning was sent. The regulation bans on a repeat offence: you may ask for a ban."), isError: false)
        case "placed": .init(text: l("Клиент привязан к организации; проверки договора и квоты — её.", "The customer is placed in the organization; the contract and quota checks are its own."), isError: false)
        case "ban-requested": .init(text: l("Запрос на бан клиента записан: его рассмотрит руководитель на странице «Баны».",
                                            "The request to ban the customer is recorded: a manager decides it on the Bans page."), isError: false)
        case "banned": .init(text: l("Бан введён; это записано в журнал аудита.", "The ban is in force; the act is in the audit log."), isError: false)
        case "ban-changed": .init(text: l("Срок или причина бана изменены; это записано в журнал аудита.", "The ban's term or reason is changed; the act is in the audit log."), isError: false)
        case "ban-lifted": .init(text: l("Бан снят: доступ восстановлен во всех каналах; это записано в журнал аудита.",
                                         "The ban is lifted: access is back in every channel; the act is in the audit log."), isError: false)
        case "ban-declined": .init(text: l("Запрос на бан отклонён; это записано в журнал аудита.", "The ban request is declined; the act is in the audit log."), isError: false)
        case "unblocked": .init(text: l("Блокировка снята: запросы снова принимаются; это записано в журнал аудита.",
                                        "The block is lifted: requests are served again; the act is in the audit log."), isError: false)
        case "ban-decided": .init(text: l("Этот запрос уже рассмотрен.", "This request has already been decided."), isError: true)
        case "routed": .init(text: l("Заявка передана, клиенту отправлено сообщение маршрута.", "Handed off; the customer got the route's message."), isError: false)
        case "planned": .init(text: l("Работа запланирована.", "The work is planned."), isError: false)
        case "call-logged": .init(text: l("Звонок записан в заявку.", "The call is logged on the ticket."), isError: false)
        case "callback-scheduled": .init(text: l("Обратный звонок запланирован.", "The callback is scheduled."), isError: false)
        case "callback-done": .init(text: l("Дозвонились: обратный звонок выполнен.", "Got through: the callback is done."), isError: false)
        case "callback-retry": .init(text: l("Занято: повторный звонок запланирован по регламенту.", "Busy: another try is scheduled as the regulation says."), isError: false)
        case "callback-customer-told": .init(text: l("Не дозвонились: клиенту написано об этом в заявке.", "Could not get through: the customer was told in the ticket."), isError: false)
        case "callback-taken": .init(text: l("Этот обратный звонок уже отмечен.", "This callback has already been recorded."), isError: true)
        case "callback-invalid": .init(text: l("Выберите результат звонка.", "Choose the outcome of the call."), isError: true)
        case "imported": .init(text: l("Импорт выполнен.", "Import done."), isError: false)
        case "problem-linked": .init(text: l("Заявка связана с проблемой, клиенту отправлен её номер.", "The ticket is linked to the problem; the customer got its number."), isError: false)
        case "problem-unlinked": .init(text: l("Заявка отвязана от проблемы.", "The ticket is unlinked from the problem."), isError: false)
        case "incident-declared": .init(text: l("Массовый сбой объявлен: заявки связаны, клиентам отправлено сообщение.",
                                                "The mass incident is declared: the requests are linked and the customers told."), isError: false)
        case "alert-acknowledged": .init(text: l("Вы взяли оповещение в работу; руководители не получат повторного.",
                                                 "You are on the alert; the managers will not be alerted again."), isError: false)
        case "alert-dismissed": .init(text: l("Оповещение отклонено.", "The alert is dismissed."), isError: false)
        case "alert-closed": .init(text: l("Это оповещение уже закрыто.", "This alert is already closed."), isError: true)
        case "voted": .init(text: l("Спасибо за отзыв!", "Thank you for the feedback!"), isError: false)
        case "sampled": .init(text: l("Выборка сформирована.", "The sample is drawn."), isError: false)
        case "sample-empty": .init(text: l("Новых разговоров для выборки нет: за эту неделю выборка уже есть или решённых заявок не было.",
                                           "Nothing new to sample: this week's sample exists already or nothing was solved that week."), isError: false)
        case "rated": .init(text: l("Спасибо за оценку!", "Thank you for the rating!"), isError: false)
        case "restored": .init(text: l("Версия восстановлена; она сохранена как новая версия.", "The revision is restored, saved as a new revision."), isError: false)
        case "not-an-image": .init(text: l("Это не картинка: загрузите PNG, JPEG, GIF или WebP.", "This is not an image: upload a PNG, JPEG, GIF or WebP."), isError: true)
        case "image-too-large": .init(text: l("Картинка больше 5 МБ.", "The image is larger than 5 MB."), isError: true)
        case "node-not-empty": .init(text: l("Сначала удалите пункты внутри этого.", "Delete the items under it first."), isError: true)
        case "problem-not-linked": .init(text: l("Не удалось связать: проблема не найдена, закрыта, или заявка уже связана.",
                                                 "Could not link: the problem is unknown or closed, or the ticket is linked already."), isError: true)
        default: nil
        }
    }
}

/// The frame of every page: header with navigation and language switch, notice, content.
enum Layout {
    static func render(_ title: String, _ ctx: PageContext, status: HTTPResponseStatus = .ok,
                       _ content: Node<HTML.BodyContext>) -> Response {
        let html = document(title, ctx, content)
        return Response(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: html))
    }

    /// Every page's head: the title, the one stylesheet and the one script.
    static func head(title: String) -> Node<HTML.DocumentContext> {
        .head(
            .meta(.charset(.utf8)),
            .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
            .element(named: "title", nodes: [.t(title)]),
            .link(.rel(.stylesheet), .href(SitePath.asset("app.css").path + "?v=\(Assets.version)")),
            .script(.src(SitePath.asset("app.js").path + "?v=\(Assets.version)"), .defer())
        )
    }

    /// Data for the page's script (its strings): a JSON block the browser never runs, with `</` escaped.
    static func jsonBlock<C: HTML.BodyContext>(id: String, _ object: [String: String]) -> Node<C> {
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return .element(named: "script", nodes: [.attribute(named: "type", value: "application/json"), .attribute(named: "id", value: id),
                                                  .raw(json.replacingOccurrences(of: "</", with: "<\\/"))])
    }

    static func document(_ title: String, _ ctx: PageContext, _ content: Node<HTML.BodyContext>) -> String {
        let l = ctx.l
        let html = HTML(
            .attribute(named: "lang", value: l.language.rawValue),
            head(title: title + " · Zayavka"),
            .body(
                .class(ctx.isStaff ? "staff" : "customer"),
                .a(.class("skip-link"), .href("#content"), .t(l("К содержимому", "Skip to content"))),
                header(ctx),
                .unwrap(ctx.banner.flatMap { $0.isEmpty ? nil : $0 }) { banner in
                    .div(.class("banners"), IncidentsView.banner(banner, ctx))
                },
                .element(named: "main", nodes: [
                    .attribute(named: "id", value: "content"),
                    .unwrap(ctx.notice) { notice in
                        .div(.class(notice.isError ? "notice error" : "notice"), .attr("role", notice.isError ? "alert" : "status"), .t(notice.text))
                    },
                    content,
                ])
            )
        )
        return html.render()
    }

    static func csrfField(_ ctx: PageContext) -> Node<HTML.FormContext> {
        .input(.type(.hidden), .name("_csrf"), .attr("value", ctx.csrf))
    }

    private static func header(_ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        var links: [(String, String)] = []
        if let signedIn = ctx.signedIn {
            if signedIn.viewer.role.isStaff {
                links = [(SitePath.agent.path, l("Очереди", "Queues")), (SitePath.agentChats.path, l("Чаты", "Chats")), (SitePath.agentNew.path, l("Новая заявка", "New ticket")),
                         (SitePath.call.path, l("Звонок", "Call")), (SitePath.callbacks.path, l("Перезвонить", "Callbacks")),
                         (SitePath.directory.path, l("Клиенты", "Customers")), (SitePath.workload.path, l("Загрузка", "Workload")),
                         (SitePath.problems.path, l("Проблемы", "Problems")), (SitePath.incidents.path, l("Сбои", "Incidents")),
                         (SitePath.agentKB.path, l("База знаний", "Knowledge base")), (SitePath.reviews.path, l("Качество", "Quality"))]
                if signedIn.viewer.role.can(.manageQuality) { links.append((SitePath.reports.path, l("Отчёты", "Reports"))) }
                // The desk's setup (the admin pages, API tokens) is one link; its page lists them (issue 20).
                links.append((SitePath.settings.path, l("Настройки", "Settings")))
            } else {
                links = [(SitePath.portal.path, l("Мои заявки", "My requests")), (SitePath.portalNew.path, l("Новая заявка", "New request")),
                         (SitePath.portalChat.path, l("Чат", "Chat")),
                         (SitePath.kb.path, l("База знаний", "Knowledge base")), (SitePath.help.path, l("Помощник", "Assistant")),
                         (SitePath.feedback.path, l("Отзыв о поддержке", "Feedback"))]
            }
        } else {
            links = [(SitePath.kb.path, l("База знаний", "Knowledge base")), (SitePath.help.path, l("Помощник", "Assistant")),
                     (SitePath.signIn.path, l("Войти", "Sign in"))]
        }
        let searchTarget: SitePath? = ctx.signedIn.map { $0.viewer.role.isStaff ? SitePath.agentSearch : SitePath.portalSearch }
        // The link whose path is the longest prefix of this page's is the current one (/agent vs /agent/workload);
        // the setup pages count as "Settings".
        let current = links.map(\.0).filter { ctx.path.hasPrefix($0) }.max { $0.count < $1.count }
            ?? ((ctx.path.hasPrefix("/admin") || ctx.path.hasPrefix("/account")) && ctx.isStaff ? SitePath.settings.path : nil)
        return .header(
            .class("top"),
            .a(.class("brand"), .href(SitePath.home.path), .t(l("Заявка", "Zayavka"))),
            .button(.type(.button), .class("menu-toggle"), .id("menu-toggle"), .attr("aria-expanded", "false"), .attr("aria-controls", "top-nav"),
                    .t("☰ " + l("Меню", "Menu"))),
            .nav(.id("top-nav"), .attr("aria-label", l("Разделы", "Sections")),.forEach(links) { link in
                .a(.href(link.0), .class(link.0 == current ? "current" : ""), .t(link.1))
            }),
            .unwrap(searchTarget) { target in
                .form(.class("top-search"), .method(.get), .action(target.path), .attr("role", "search"),
                      .input(.type(.search), .name("q"), .id("top-q"), .attribute(named: "maxlength", value: "500"),
                             .attr("placeholder", ctx.isStaff ? l("№ заявки или слова", "Ticket # or words") : l("Поиск", "Search")),
                             .attr("aria-label", l("Поиск", "Search"))))
            },
            .div(
                .class("who"),
                .form(
                    .class("lang"), .method(.post), .action(SitePath.language.path),
                    csrfField(ctx),
                    .input(.type(.hidden), .name("back"), .attr("value", ctx.path)),
                    .button(.type(.submit), .name("lang"), .value("ru"), .class(l.language == .ru ? "on" : ""), .attr("lang", "ru"), .t("Русский")),
                    .button(.type(.submit), .name("lang"), .value("en"), .class(l.language == .en ? "on" : ""), .attr("lang", "en"), .t("English"))
                ),
                .unwrap(ctx.signedIn.flatMap { $0.viewer.role.isStaff ? $0 : nil }) { signedIn in
                    .form(
                        .class("shift"), .method(.post), .action(SitePath.shift.path),
                        csrfField(ctx),
                        .input(.type(.hidden), .name("back"), .attr("value", ctx.path)),
                        .input(.type(.hidden), .name("on_shift"), .attr("value", signedIn.onShift ? "0" : "1")),
                        .button(.type(.submit), .id("shift-toggle"), .class(signedIn.onShift ? "on" : ""),
                                .attr("title", l("Заявки групп с автоназначением достаются тем, кто на смене", "Groups that assign automatically give tickets to those on shift")),
                                .t(signedIn.onShift ? l("На смене ✓", "On shift ✓") : l("Не на смене", "Off shift")))
                    )
                },
                .unwrap(ctx.signedIn) { signedIn in
                    .form(
                        .method(.post), .action(SitePath.signOut.path),
                        csrfField(ctx),
                        .span(.class("name"), .t(signedIn.name)),
                        .button(.type(.submit), .class("link"), .id("sign-out"), .t(l("Выйти", "Sign out")))
                    )
                }
            )
        )
    }

    /// A labelled form row.
    static func row<C: HTML.BodyContext>(_ label: String, for id: String, hint: String? = nil, error: String? = nil,
                                         _ control: Node<HTML.BodyContext>) -> Node<C> {
        let nodes: [Node<HTML.BodyContext>] = [
            .class(error == nil ? "field" : "field invalid"),
            .element(named: "label", nodes: [.attr("for", id), .t(label)]),
            control,
            .unwrap(hint) { .p(.class("hint"), .t($0)) },
            .unwrap(error) { .p(.class("error"), .attr("id", id + "-error"), .t($0)) },
        ]
        return .element(named: "div", nodes: nodes)
    }
}
