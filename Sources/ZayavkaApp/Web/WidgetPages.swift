import Foundation
import Plot
import Vapor
import ZayavkaCore

/// The widget's loader and panel, the portal's chat page and the agents' chat console (issue 19, SPEC C4).
enum WidgetPages {
    /// `GET /widget.js`: the loader a host page includes with one `<script>` tag.
    static func loader(_ request: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
                                        "X-Content-Type-Options": "nosniff"],
                 body: .init(string: Assets.widgetLoader))
    }

    /// The panel's strings, in the reader's language (the script reads them from a JSON block).
    static func strings(_ l: L) -> [String: String] {
        [
            "help": l("Помощь", "Help"), "newRequest": l("Новая заявка", "New request"), "myRequests": l("Мои заявки", "My requests"),
            "chat": l("Чат", "Chat"), "introduce": l("Представьтесь, чтобы мы могли ответить:", "Tell us who you are so we can answer:"),
            "name": l("Имя", "Name"), "email": l("Эл. почта", "Email"), "start": l("Продолжить", "Continue"),
            "signInProduct": l("Войдите в продукт, чтобы написать в поддержку.", "Sign in to the product to write to support."),
            "searchPlaceholder": l("Опишите вопрос — подскажем статьи", "Describe the question: we suggest articles"),
            "back": l("Назад", "Back"), "subject": l("Тема", "Subject"), "kind": l("Тип обращения", "Kind of request"),
            "question": l("Вопрос", "Question"), "problem": l("Проблема", "Problem"), "suggestion": l("Предложение", "Suggestion"),
            "yes": l("Да", "Yes"), "no": l("Нет", "No"), "description": l("Описание", "Description"),
            "screenshot": l("Скриншот или файлы", "Screenshot or files"), "send": l("Отправить", "Send"),
            "fromAssistant": l("Из помощника", "From the assistant"),
            "fileTooLarge": l("Файл слишком большой.", "The file is too large."),
            "created": l("Заявка №%d принята. Ответ придёт сюда и на почту.", "Request #%d is filed. The answer comes here and by email."),
            "none": l("Заявок пока нет.", "No requests yet."), "reply": l("Ответ", "Reply"),
            "offline": l("Сейчас в чате никого нет. Оставьте заявку — мы ответим в рабочее время.", "Nobody is in the chat right now. Leave a request and we will answer in working hours."),
            "leaveRequest": l("Оставить заявку", "Leave a request"),
            "chatHello": l("Напишите вопрос — ответит первый свободный специалист.", "Write your question: the first free specialist answers."),
            "yourMessage": l("Ваше сообщение", "Your message"), "startChat": l("Начать чат", "Start chat"),
            "waiting": l("Ждём специалиста…", "Waiting for a specialist…"), "withAgent": l("С вами %s", "You are talking to %s"),
            "ended": l("Чат завершён. Переписка сохранена в заявке.", "The chat has ended. The conversation is kept in the request."),
            "endChat": l("Завершить чат", "End chat"), "chatTicket": l("Чат сохраняется в заявке №%d.", "The chat is kept in request #%d."),
            "disconnected": l("Связь прервалась. Откройте чат заново.", "The connection dropped. Open the chat again."),
            "failed": l("Не удалось", "That failed"),
        ]
    }

    static func panelNode(_ l: L, mode: String, token: String?, anonymous: Bool, inPage: Bool) -> Node<HTML.BodyContext> {
        .group(
            Layout.jsonBlock(id: "zw-strings", strings(l)),
            .div(.id("zw"), .class(inPage ? "zw in-page" : "zw"), .attr("data-mode", mode), .attr("data-anonymous", anonymous ? "1" : "0"),
                 .unwrap(token) { .attr("data-token", $0) },
                 .div(.class("zw-head"), .strong(.t(l("Поддержка", "Support"))),
                      .if(!inPage, .button(.type(.button), .id("zw-close"), .attr("aria-label", l("Закрыть", "Close")), .t("×")))),
                 .div(.class("zw-tabs"), .id("zw-tabs")),
                 .div(.class("zw-body"), .id("zw-body"), .p(.class("zw-muted"), .t(l("Загрузка…", "Loading…")))))
        )
    }

    /// `GET /widget/panel`: the panel the loader frames. Only the configured host origins (and the desk itself) may frame it.
    static func panel(_ request: Request) -> Response {
        let configuration = request.services.configuration
        let language = request.query[String.self, at: "lang"].flatMap(Language.init(rawValue:)) ?? request.language
        let l = L(language)
        let html = HTML(
            .attribute(named: "lang", value: language.rawValue),
            Layout.head(title: l("Поддержка", "Support")),
            .body(.class("zw-frame"), panelNode(l, mode: "widget", token: nil, anonymous: configuration.widgetAnonymous, inPage: false))
        )
        let ancestors = (["'self'"] + configuration.widgetOrigins).joined(separator: " ")
        return Response(status: .ok, headers: [
            "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors \(ancestors); form-action 'self'",
        ], body: .init(string: html.render()))
    }

    /// `GET /portal/chat`: the same chat for a customer signed in to the portal.
    static func portalChat(_ request: Request) async throws -> Response {
        let signedIn = try PortalController.requireCustomerArea(request)
        if signedIn.viewer.role.isStaff { return request.redirect(to: SitePath.agentChats.path) }
        let session = try await WidgetService.issue(for: signedIn, verified: true, origin: nil, context: try request.context)
        let ctx = PageContext(request)
        let l = ctx.l
        return Layout.render(l("Чат с поддержкой", "Chat with support"), ctx, .group(
            .h1(.t(l("Чат с поддержкой", "Chat with support"))),
            panelNode(l, mode: "portal", token: session.token, anonymous: false, inPage: true)))
    }
}

/// `GET /agent/chats`: waiting and active chats, live, and the chosen one's conversation.
enum ChatConsolePage {
    static func show(_ request: Request) async throws -> Response {
        guard let signedIn = request.signedInIfAny else { throw WebError.signInRequired }
        guard signedIn.viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "chats") }
        let ctx = PageContext(request)
        let l = ctx.l
        let chats = try await ChatService.list(states: [.waiting, .active], context: try request.context)
        let strings: [String: String] = [
            "waiting": l("ждёт ответа", "waiting"), "active": l("идёт", "in progress"), "ended": l("завершён", "ended"),
            "waitingCount": l("Ждут ответа: %d", "Waiting: %d"), "none": l("Чатов нет.", "No chats."),
            "reply": l("Ответ", "Reply"), "send": l("Отправить (Ctrl+Enter)", "Send (Ctrl+Enter)"), "accept": l("Взять чат", "Take the chat"),
            "end": l("Завершить чат", "End chat"),
        ]
        let waiting = chats.filter { $0.state == .waiting }.count
        return Layout.render(l("Чаты", "Chats"), ctx, .group(
            Layout.jsonBlock(id: "chat-strings", strings),
            .h1(.t(l("Чаты", "Chats"))),
            .p(.class("muted"), .t(signedIn.onShift
                ? l("Вы на смене: клиентам в виджете и на портале предлагается чат.", "You are on shift: customers in the widget and the portal are offered a chat.")
                : l("Вы не на смене. Чат предлагается клиентам, пока на смене хотя бы один сотрудник.", "You are off shift. Customers are offered a chat while at least one staff member is on shift."))),
            .div(.class("chat-console"), .id("chat-console"), .attr("data-live", "0"),
                 .div(.class("card"),
                      .p(.strong(.id("chat-count"), .t(l("Ждут ответа: ", "Waiting: ") + String(waiting)))),
                      .ul(.id("chat-list"), .forEach(chats) { chat in
                          .li(.class(chat.state.rawValue), .attr("data-number", String(chat.number)),
                              .strong(.t(chat.customer.name + " · №" + String(chat.number))),
                              .div(.class("zw-muted"), .t(chat.state == .waiting ? l("ждёт ответа", "waiting") : l("идёт", "in progress"))))
                      })),
                 .div(.class("card"), .id("chat-pane"), .p(.class("muted"), .t(l("Выберите чат слева.", "Choose a chat on the left.")))))
        ))
    }
}
