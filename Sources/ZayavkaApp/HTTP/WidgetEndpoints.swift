import Foundation
import Vapor
import ZayavkaCore

extension Request {
    private struct WidgetSessionKey: StorageKey { typealias Value = WidgetSession }

    /// The widget session of this request; set by `WidgetAuthMiddleware`.
    var widgetSession: WidgetSession {
        get throws {
            guard let value = storage[WidgetSessionKey.self] else { throw ZayavkaError.widget(.session) }
            return value
        }
    }

    func setWidgetSession(_ value: WidgetSession) {
        storage[WidgetSessionKey.self] = value
        setSignedIn(value.signedIn)
    }

    /// The `{number}` of a request (or chat) this widget session may see; 404 otherwise.
    func sessionRequestNumber() async throws -> Int {
        let number = try intParameter("number")
        _ = try await WidgetService.checkAccess(number, try widgetSession, context: try context)
        return number
    }
}

/// `Authorization: Bearer zw_…`: a widget session's token (only the widget's operations take one).
struct WidgetAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let session = try await WidgetService.authenticate(request.headers.bearerAuthorization?.token, request: request)
        request.setWidgetSession(session)
        return try await next.respond(to: request)
    }
}

/// Cross-origin calls to the widget's operations from the configured host origins (CORS): a host
/// page may open the session itself and hand the token to the panel. Nothing else is shared.
struct WidgetCORSMiddleware: AsyncMiddleware {
    static let prefix = "/api/v1/widget/"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.url.path.hasPrefix(Self.prefix), let origin = request.headers.first(name: .origin),
              request.services.configuration.widgetOrigins.contains(origin.lowercased())
        else { return try await next.respond(to: request) }
        let response: Response
        if request.method == .OPTIONS {
            response = Response(status: .noContent)
            response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "GET, POST")
            response.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: "Authorization, Content-Type, Accept-Language")
            response.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
        } else {
            response = try await next.respond(to: request)
        }
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
        response.headers.add(name: .vary, value: "Origin")
        return response
    }
}

extension API {
    /// The widget and live chat (issue 19, SPEC C4).
    static let widget: [Endpoint] = [
        Endpoint(method: .POST, path: "/widget/sessions", operationID: "openWidgetSession", tag: "widget",
                 summary: "Open a widget session: `identity` = the host product's signed token for its user (JWT HS256 with ZAYAVKA_WIDGET_SECRET; claims email, name, organization, exp ≤ 24 h ahead), or a visitor's `name` and `email` (auto-registration; they see only what they file in this session). The returned token (12 h) is accepted only by the widget's operations and the chat socket.",
                 authenticated: false, body: .json("WidgetSessionInput"), query: [],
                 responses: [(201, "WidgetSession"), (401, "Error"), (403, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await WidgetService.open(try req.content.decode(WidgetSessionInput.self), origin: req.headers.first(name: .origin), context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/widget/config", operationID: "getWidgetConfig", tag: "widget",
                 summary: "What the panel shows: the assistant's buttons, the team's intake questions, whether anyone is on shift for a chat.",
                 authenticated: false, body: .none, query: [], responses: [(200, "WidgetConfig"), (401, "Error")], widget: true,
                 handler: json { try await WidgetService.config(context: try $0.context) }),
        Endpoint(method: .GET, path: "/widget/requests", operationID: "listWidgetRequests", tag: "widget",
                 summary: "The session's requests, newest first (all the customer's when the host identified them).",
                 authenticated: false, body: .none, query: [], responses: [(200, "WidgetRequestList"), (401, "Error")], widget: true,
                 handler: json { req in ListOf(items: try await WidgetService.requests(try req.widgetSession, context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/widget/requests", operationID: "createWidgetRequest", tag: "widget",
                 summary: "File a request from the widget: multipart/form-data with subject, body, type (question, problem, suggestion), urgency (1–4), fields.<key> for intake questions, and files (a screenshot, up to 10).",
                 authenticated: false, body: .upload, query: [], responses: [(201, "WidgetRequest"), (401, "Error"), (413, "Error"), (422, "Error")], widget: true,
                 handler: json(.created) { req in
                     let form = try await StreamedForm.receive(req, fileLimit: req.services.configuration.maxAttachmentBytes)
                     return try await WidgetService.create(form, try req.widgetSession, context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/widget/requests/{number}", operationID: "getWidgetRequest", tag: "widget",
                 summary: "One of the session's requests with its public conversation.",
                 authenticated: false, body: .none, query: [], responses: [(200, "WidgetRequest"), (401, "Error"), (404, "Error")], widget: true,
                 handler: json { req in try await WidgetService.request(try req.intParameter("number"), try req.widgetSession, context: try req.context) }),
        Endpoint(method: .POST, path: "/widget/requests/{number}/comments", operationID: "replyWidgetRequest", tag: "widget",
                 summary: "The customer's reply: multipart/form-data with body and files.",
                 authenticated: false, body: .upload, query: [], responses: [(201, "ChatMessage"), (401, "Error"), (404, "Error"), (422, "Error")], widget: true,
                 handler: json(.created) { req in
                     let number = try req.intParameter("number")
                     let form = try await StreamedForm.receive(req, fileLimit: req.services.configuration.maxAttachmentBytes)
                     return try await WidgetService.reply(number, form, try req.widgetSession, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/widget/chats", operationID: "startWidgetChat", tag: "widget",
                 summary: "Start a chat with the first message (`text`): a ticket with channel chat. A chat still open is returned instead of a new one. Nobody on shift: 422 with field `chat` code `offline` (offer a request). Then talk over the WebSocket /widget/socket (docs/widget.md) or the two operations below.",
                 authenticated: false, body: .json("ChatText"), query: [], responses: [(201, "Chat"), (401, "Error"), (422, "Error")], widget: true,
                 handler: json(.created) { req in
                     let session = try req.widgetSession
                     return try await ChatService.start(text: try req.content.decode(ChatTextInput.self).text, session: session, context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/widget/chats/{number}", operationID: "getWidgetChat", tag: "widget",
                 summary: "The session's chat with its transcript.",
                 authenticated: false, body: .none, query: [], responses: [(200, "Chat"), (401, "Error"), (404, "Error")], widget: true,
                 handler: json { req in
                     let number = try await req.sessionRequestNumber()
                     return try await ChatService.get(number: number, transcript: true, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/widget/chats/{number}/messages", operationID: "sendWidgetChatMessage", tag: "widget",
                 summary: "The customer's chat message (`text`, up to 4,000 characters), stored before it is shown.",
                 authenticated: false, body: .json("ChatText"), query: [], responses: [(201, "ChatMessage"), (401, "Error"), (404, "Error"), (409, "Error"), (422, "Error")], widget: true,
                 handler: json(.created) { req in
                     let number = try await req.sessionRequestNumber()
                     return try await ChatService.post(number: number, text: try req.content.decode(ChatTextInput.self).text, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/widget/chats/{number}/end", operationID: "endWidgetChat", tag: "widget",
                 summary: "The customer ends the chat; the ticket stays with the transcript.",
                 authenticated: false, body: .none, query: [], responses: [(200, "Chat"), (401, "Error"), (404, "Error")], widget: true,
                 handler: json { req in
                     let number = try await req.sessionRequestNumber()
                     return try await ChatService.end(number: number, context: try req.context)
                 }),
        // The agents' side.
        Endpoint(method: .GET, path: "/chats", operationID: "listChats", tag: "widget",
                 summary: "Chats for agents: waiting (oldest first) and active by default; `state` = waiting, active, ended or all.",
                 authenticated: true, body: .none,
                 query: [.init(name: "state", schema: .enumeration(["open", "waiting", "active", "ended", "all"]), description: "open (waiting and active, default), waiting, active, ended or all"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (200)")],
                 responses: [(200, "ChatList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let state = req.choice("state", ["open", "waiting", "active", "ended", "all"], into: &errors) ?? "open"
                     let limit = req.listLimit(fallback: 200, into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     let states: [ChatState] = switch state {
                     case "waiting": [.waiting]
                     case "active": [.active]
                     case "ended": [.ended]
                     case "all": ChatState.allCases
                     default: [.waiting, .active]
                     }
                     return ListOf(items: try await ChatService.list(states: states, limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/chats/{number}", operationID: "getChat", tag: "widget",
                 summary: "One chat with its transcript.", authenticated: true, body: .none, query: [],
                 responses: [(200, "Chat"), (403, "Error"), (404, "Error")],
                 handler: json { try await ChatService.get(number: try $0.intParameter("number"), transcript: true, context: try $0.context) }),
        Endpoint(method: .POST, path: "/chats/{number}/accept", operationID: "acceptChat", tag: "widget",
                 summary: "Take a waiting chat: you become its agent and the ticket's assignee; 409 when another agent has it.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Chat"), (403, "Error"), (404, "Error"), (409, "Error")],
                 handler: json { try await ChatService.accept(number: try $0.intParameter("number"), context: try $0.context) }),
        Endpoint(method: .POST, path: "/chats/{number}/messages", operationID: "sendChatMessage", tag: "widget",
                 summary: "An agent's chat message (`text`): a public comment, shown live to the customer; the first one takes a waiting chat.",
                 authenticated: true, body: .json("ChatText"), query: [], responses: [(201, "ChatMessage"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await ChatService.post(number: try req.intParameter("number"), text: try req.content.decode(ChatTextInput.self).text, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/chats/{number}/end", operationID: "endChat", tag: "widget",
                 summary: "End a chat; the ticket stays with its transcript.", authenticated: true, body: .none, query: [],
                 responses: [(200, "Chat"), (403, "Error"), (404, "Error")],
                 handler: json { try await ChatService.end(number: try $0.intParameter("number"), context: try $0.context) }),
    ]
}

extension OpenAPIDocument {
    /// Issue 19: the widget and live chat.
    static var widgetSchemas: [String: JSONSchema] {
        let text = JSONSchema.string
        let date = JSONSchema.dateTime
        let message = object([
            ("id", .integer), ("text", text), ("from", .enumeration(["customer", "agent"])), ("name", text), ("at", date), ("attachments", .array(text)),
        ])
        let request = input([
            ("number", .integer), ("subject", text), ("status", text), ("status_name", text), ("channel", text),
            ("created_at", date), ("updated_at", date), ("messages", .array(.ref("ChatMessage"))),
        ], required: ["number", "subject", "status", "status_name", "channel", "created_at", "updated_at"])
        let chat = input([
            ("number", .integer), ("subject", text), ("state", .enumeration(ChatState.allCases.map(\.rawValue))), ("customer", .ref("PersonRef")),
            ("agent", .nullable(.ref("PersonRef"))), ("started_at", date), ("accepted_at", .nullable(date)), ("ended_at", .nullable(date)),
            ("messages", .array(.ref("ChatMessage"))),
        ], required: ["number", "subject", "state", "customer", "started_at"])
        let option = object([("value", text), ("label", text)])
        return [
            "WidgetSessionInput": input([("identity", text), ("name", text), ("email", text), ("language", .enumeration(["ru", "en"]))], required: []),
            "WidgetSession": object([("token", text), ("expires_at", date), ("verified", .boolean), ("name", text), ("email", text),
                                      ("language", text), ("chat_available", .boolean)]),
            "WidgetConfig": object([
                ("fields", .array(object([("key", text), ("kind", text), ("label", text), ("required", .boolean), ("options", .array(option))]))),
                ("bot", .array(input([("id", .integer), ("parent_id", .nullable(.integer)), ("label", text), ("message", text), ("action", text),
                                        ("url", .nullable(text)), ("ticket_type", .nullable(text)), ("prefill", .map(text))],
                                       required: ["id", "label", "message", "action", "prefill"]))),
                ("chat_available", .boolean), ("max_file_bytes", .integer), ("max_chat_characters", .integer),
            ]),
            "WidgetRequest": request,
            "WidgetRequestList": input([("items", .array(.ref("WidgetRequest"))), ("next_cursor", .nullable(text))], required: ["items"]),
            "ChatMessage": message,
            "ChatText": object([("text", text)]),
            "Chat": chat,
            "ChatList": input([("items", .array(.ref("Chat"))), ("next_cursor", .nullable(text))], required: ["items"]),
        ]
    }
}
