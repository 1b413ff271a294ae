import Foundation
import NIOConcurrencyHelpers
import Vapor
import ZayavkaCore

/// The chat's two WebSockets (issue 19, SPEC C4), JSON text frames both ways (docs/widget.md):
///
/// - `/widget/socket`: the widget's (and the portal's) side. The first frame is
///   `{"type":"auth","token":"zw_…","ticket":N}`; then `{"type":"message","text":…}` and `{"type":"end"}`.
/// - `/agent/chats/socket`: the agents' console, signed in by the web session (same origin only).
///   `{"type":"watch","ticket":N}`, `{"type":"message","ticket":N,"text":…}`, `{"type":"accept","ticket":N}`, `{"type":"end","ticket":N}`.
///
/// The server sends `message`, `state`, `chats` (the console's list), `ready` and `error` frames.
/// Frames over 64 KiB close the socket; a message over 4,000 characters, or any frame faster than 2 a second
/// (bursts of 10) is refused with an `error` frame, and 20 refusals in a row close the socket (a flood).
/// Frames are handled one at a time per socket, in order.
enum ChatSockets {
    static let maxFrame = WebSocketMaxFrameSize(integerLiteral: ChatLimits.maxFrameBytes)

    private struct Frame: Decodable {
        let type: String
        let token: String?
        let ticket: Int?
        let text: String?
    }

    /// Per socket: its rate bucket and refusals in a row, checked as each frame arrives (a flood that
    /// arrives at once is refused at once, however long the accepted frames take to handle).
    private struct Pace {
        var bucket: TokenBucket
        var refusals = 0
        init() { bucket = TokenBucket(limit: ChatLimits.rate, now: ProcessInfo.processInfo.systemUptime) }

        enum Verdict { case allow, refuse, close }

        mutating func judge() -> Verdict {
            if bucket.take(ChatLimits.rate, now: ProcessInfo.processInfo.systemUptime) == nil {
                refusals = 0
                return .allow
            }
            refusals += 1
            return refusals >= ChatLimits.floodCloseAfter ? .close : .refuse
        }
    }

    static func register(_ app: Application, web: any RoutesBuilder) {
        // The socket's callbacks are set on its event loop as it opens (none of its frames is missed);
        // the frames are then handled one by one in a task.
        app.on(.GET, "widget", "socket") { request -> Response in
            request.webSocket(maxFrameSize: maxFrame) { request, socket in
                let stream = frames(socket, language: request.language)
                Task { await widget(request, socket, stream) }
            }
        }
        web.on(.GET, "agent", "chats", "socket") { request -> Response in
            // Refused before any upgrade: a plain 401/403 answer.
            guard let person = request.signedInIfAny else { throw WebError.signInRequired }
            guard person.viewer.role.isStaff, sameOrigin(request) else { throw ZayavkaError.forbidden(reason: "chats") }
            return request.webSocket(maxFrameSize: maxFrame) { request, socket in
                let stream = frames(socket, language: request.language)
                Task { await agent(request, socket, stream) }
            }
        }
    }

    /// Browsers send Origin with a WebSocket handshake: only the desk's own pages may open the agents' socket.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers.first(name: .origin), let host = request.headers.first(name: .host) else { return false }
        return origin == "http://" + host || origin == "https://" + host || origin == request.services.configuration.publicURL
    }

    /// The socket's frames, in order. Each is paced as it arrives: one too fast is answered
    /// `too_fast` at once and dropped, and a flood closes the socket (nothing still waiting is handled).
    private static func frames(_ socket: WebSocket, language: Language) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let pace = NIOLockedValueBox(Pace())
        let tooFast = ChatHub.encode(["type": "error", "code": "too_fast",
                                      "message": language == .ru ? "Слишком часто: подождите секунду." : "Too fast: wait a second."])
        socket.onText { socket, text in
            switch pace.withLockedValue({ $0.judge() }) {
            case .allow: continuation.yield(text)
            case .refuse: socket.send(tooFast, promise: nil)
            case .close:
                continuation.finish()
                _ = socket.close(code: .policyViolation)
            }
        }
        socket.onClose.whenComplete { _ in continuation.finish() }
        return stream
    }

    private static func send(_ socket: WebSocket, _ object: [String: Any]) async {
        try? await socket.send(ChatHub.encode(object))
    }

    /// A frame that does not parse (`known: false`) or names no operation this socket has.
    private static func badFrame(_ socket: WebSocket, _ language: Language, known: Bool) async {
        let message = known ? (language == .ru ? "Неизвестный тип сообщения." : "Unknown frame type.")
            : (language == .ru ? "Непонятное сообщение." : "A frame that does not parse.")
        await send(socket, ["type": "error", "code": "bad_frame", "message": message])
    }

    private static func sendError(_ socket: WebSocket, _ error: any Error, _ language: Language, ticket: Int? = nil) async {
        let localizer = Localizer(language)
        let (code, message): (String, String) = switch error {
        case ZayavkaError.validation(let fields):
            (fields.first.map { $0.field == "text" && $0.code == .tooLong ? "too_long" : $0.code.rawValue } ?? "validation",
             fields.map { localizer.fieldMessage($0) }.joined(separator: "; "))
        case let domain as ZayavkaError: (APIErrorMiddleware.classify(domain).code, localizer.message(for: domain))
        default: ("error", language == .ru ? "Не удалось: попробуйте ещё раз." : "That failed: try again.")
        }
        await send(socket, ["type": "error", "code": code, "message": message, "ticket": ticket ?? NSNull()])
    }

    private static func context(_ request: Request, _ person: SignedIn) -> ServiceContext {
        var context = ServiceContext(application: request.application, signedIn: person, language: person.language, db: request.application.db)
        context.clientAddress = request.clientAddress
        return context
    }

    static func widget(_ request: Request, _ socket: WebSocket, _ stream: AsyncStream<String>) async {
        let hub = request.services.chats
        let authed = NIOLockedValueBox(false)
        // A socket that does not sign in within 10 seconds is closed.
        socket.eventLoop.scheduleTask(in: .seconds(10)) {
            if !authed.withLockedValue({ $0 }) { _ = socket.close(code: .policyViolation) }
        }
        var listener: ChatHub.Listener?
        var person: SignedIn?
        var number = 0
        var language = request.language
        for await text in stream {
            // Frames still buffered when the socket closed are not handled.
            if socket.isClosed { break }
            guard let frame = try? JSONDecoder().decode(Frame.self, from: Data(text.utf8)) else {
                await badFrame(socket, language, known: false)
                continue
            }
            do {
                guard let signedIn = person, listener != nil else {
                    guard frame.type == "auth", let ticket = frame.ticket else { throw ZayavkaError.widget(.session) }
                    let session = try await WidgetService.authenticate(frame.token, request: request)
                    language = session.signedIn.language
                    let ctx = context(request, session.signedIn)
                    _ = try await WidgetService.checkAccess(ticket, session, context: ctx)
                    _ = try await ChatService.get(number: ticket, transcript: false, context: ctx)
                    let made = ChatHub.Listener(socket: socket, userID: session.signedIn.viewer.userID, isStaff: false, language: language)
                    hub.add(made, app: request.application)
                    authed.withLockedValue { $0 = true }
                    listener = made
                    person = session.signedIn
                    number = ticket
                    await send(socket, ["type": "ready", "ticket": ticket])
                    try await hub.watch(made, number: ticket, app: request.application)
                    continue
                }
                switch frame.type {
                case "message":
                    _ = try await ChatService.post(number: number, text: frame.text ?? "", context: context(request, signedIn))
                case "end":
                    _ = try await ChatService.end(number: number, context: context(request, signedIn))
                default:
                    await badFrame(socket, language, known: true)
                }
            } catch {
                await sendError(socket, error, language, ticket: number == 0 ? nil : number)
                if listener == nil, case ZayavkaError.widget = error { try? await socket.close(code: .policyViolation) }
                if case ZayavkaError.banned = error { try? await socket.close(code: .policyViolation) }
            }
        }
        if let listener { hub.remove(listener) }
    }

    static func agent(_ request: Request, _ socket: WebSocket, _ stream: AsyncStream<String>) async {
        guard let person = request.signedInIfAny, person.viewer.role.isStaff else {
            try? await socket.close(code: .policyViolation)
            return
        }
        let hub = request.services.chats
        let listener = ChatHub.Listener(socket: socket, userID: person.viewer.userID, isStaff: true, language: person.language)
        hub.add(listener, app: request.application)
        hub.poke()
        for await text in stream {
            // Frames still buffered when the socket closed are not handled.
            if socket.isClosed { break }
            guard let frame = try? JSONDecoder().decode(Frame.self, from: Data(text.utf8)), let number = frame.ticket else {
                await badFrame(socket, person.language, known: false)
                continue
            }
            let ctx = context(request, person)
            do {
                switch frame.type {
                case "watch":
                    _ = try await ChatService.get(number: number, transcript: false, context: ctx)
                    try await hub.watch(listener, number: number, app: request.application)
                case "message":
                    _ = try await ChatService.post(number: number, text: frame.text ?? "", context: ctx)
                case "accept": _ = try await ChatService.accept(number: number, context: ctx)
                case "end": _ = try await ChatService.end(number: number, context: ctx)
                default:
                    await badFrame(socket, person.language, known: true)
                }
            } catch {
                await sendError(socket, error, person.language, ticket: number)
            }
        }
        hub.remove(listener)
    }
}
