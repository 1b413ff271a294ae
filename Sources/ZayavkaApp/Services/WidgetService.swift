import Crypto
import Foundation
import JWTKit
import SQLKit
import Vapor
import ZayavkaCore

/// The host's claim about its signed-in user (JWT, HS256 with `ZAYAVKA_WIDGET_SECRET`).
struct WidgetIdentity: JWTPayload {
    let email: String
    let name: String?
    let organization: String?
    let exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// A widget session as the widget's operations see it: the customer and whether the host vouched for them.
struct WidgetSession: Sendable {
    let id: Int
    let verified: Bool
    let signedIn: SignedIn
}

/// The widget (issue 19, SPEC C4): sessions for host pages' users, the requests they file and read.
/// A session's token is accepted only by the widget's own operations (`/api/v1/widget/…` and the
/// chat socket), never by the rest of the API, so a host page holds nothing more than the widget needs.
enum WidgetService {
    /// Opens a session: from the host's identity token, or (when allowed) from a visitor's name and address.
    static func open(_ input: WidgetSessionInput, origin: String?, context: ServiceContext) async throws -> WidgetSessionDTO {
        let configuration = context.services.configuration
        let now = context.now
        let language = input.language.flatMap(Language.init(rawValue:)) ?? context.language
        var email: String
        var name: String
        var organization: String?
        let verified: Bool
        if let token = input.identity?.trimmingCharacters(in: .whitespaces), !token.isEmpty {
            guard let secret = configuration.widgetSecret else { throw ZayavkaError.widget(.identityOff) }
            let identity = try await verify(token, secret: secret)
            if identity.exp.value.timeIntervalSince(now) > WidgetRules.identityMaxSeconds { throw ZayavkaError.widget(.expired) }
            email = identity.email
            name = identity.name ?? ""
            organization = identity.organization
            verified = true
        } else {
            guard configuration.widgetAnonymous else { throw ZayavkaError.widget(.anonymousOff) }
            email = input.email ?? ""
            name = input.name ?? ""
            verified = false
        }
        email = email.trimmingCharacters(in: .whitespaces).lowercased()
        name = TextInput.sanitize(name, multiline: false).trimmed
        var errors: [FieldError] = []
        if email.isEmpty { errors.append(FieldError("email", .required)) } else if !UserService.isPlausibleEmail(email) || email.count > 254 {
            errors.append(FieldError("email", .invalid))
        }
        if !verified, name.isEmpty { errors.append(FieldError("name", .required)) }
        if name.count > 200 { errors.append(FieldError("name", .tooLong, "200")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if name.isEmpty { name = String(email.prefix(while: { $0 != "@" })) }

        let sql = context.sql
        let defaultLanguage = configuration.defaultLanguage
        var known = try await MailPeople.find(email, sql: sql, defaultLanguage: defaultLanguage)
        if known == nil {
            // A banned address or domain gets no account either.
            if let ban = try await context.services.bans.match(userID: nil, email: email, now: now, sql) {
                BanMetrics.widget.increment()
                throw ZayavkaError.banned(until: ban.endsAt)
            }
            let organizationID = try await organizationID(named: organization, email: email, context: context)
            try await context.services.customers.create(
                .init(email: email, name: name, language: language, organizationID: organizationID, sendLink: false),
                services: context.services, on: context.db)
            known = try await MailPeople.find(email, sql: sql, defaultLanguage: defaultLanguage)
        }
        guard case .active(let person) = known else { throw ZayavkaError.banned(until: nil) }
        if person.viewer.role.isStaff { throw ZayavkaError.widget(.staff) }
        try await context.services.bans.refuse(person, now: now, sql, counter: BanMetrics.widget)
        return try await issue(for: person, verified: verified, origin: origin, context: context)
    }

    /// A session for a customer signed in to the portal (its chat page): verified by the portal's own sign-in.
    static func issue(for person: SignedIn, verified: Bool, origin: String?, context: ServiceContext) async throws -> WidgetSessionDTO {
        let token = "zw_" + APIToken.generate().dropFirst(3)
        let now = context.now
        let expires = now.addingTimeInterval(WidgetRules.sessionSeconds)
        let cleanOrigin = origin.flatMap(WidgetRules.origin)
        try await context.write { db in
            let sql = db as! any SQLDatabase
            // The person's expired sessions go (their requests stay theirs; only the session's list of them goes).
            try await sql.raw("""
                DELETE FROM widget_tickets WHERE session_id IN (
                    SELECT id FROM widget_sessions WHERE user_id = \(bind: person.viewer.userID) AND expires_at < \(bind: now))
                """).run()
            try await sql.raw("DELETE FROM widget_sessions WHERE user_id = \(bind: person.viewer.userID) AND expires_at < \(bind: now)").run()
            try await sql.raw("""
                INSERT INTO widget_sessions (token_hash, user_id, verified, origin, created_at, expires_at)
                VALUES (\(bind: APIToken.hash(token)), \(bind: person.viewer.userID), \(bind: verified), \(bind: cleanOrigin), \(bind: now), \(bind: expires))
                """).run()
        }
        let available = try await ChatService.available(context: context)
        return WidgetSessionDTO(token: token, expiresAt: expires, verified: verified, name: person.name, email: person.email,
                                language: person.language.rawValue, chatAvailable: available)
    }

    static func verify(_ token: String, secret: String) async throws -> WidgetIdentity {
        guard token.utf8.count <= 8192 else { throw ZayavkaError.widget(.invalid) }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: Data(secret.utf8)), digestAlgorithm: .sha256)
        do {
            return try await keys.verify(token, as: WidgetIdentity.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw ZayavkaError.widget(.expired)
        } catch {
            throw ZayavkaError.widget(.invalid)
        }
    }

    /// The organization a new customer joins: the one the host names (its exact name), else the one listing the address's domain.
    private static func organizationID(named name: String?, email: String, context: ServiceContext) async throws -> Int? {
        if let name = name?.trimmingCharacters(in: .whitespaces), !name.isEmpty, name.count <= 300,
           let row = try await context.sql.raw("SELECT id FROM organizations WHERE name = \(bind: name) ORDER BY id LIMIT 1").first() {
            return try row.decode(column: "id", as: Int.self)
        }
        let domain = String(email.split(separator: "@").last ?? "")
        return try await MailPeople.organization(forDomain: domain, listed: context.services.emailDomainsListed, sql: context.sql)
    }

    /// The session of a widget bearer token; 401 when unknown or expired, 403 when banned, 429 over the account's limit.
    static func authenticate(_ token: String?, request: Request) async throws -> WidgetSession {
        guard let token, token.hasPrefix("zw_"), token.utf8.count < 200 else { throw ZayavkaError.widget(.session) }
        let now = Date()
        guard let row = try await request.sql.raw("""
            SELECT s.id AS session_id, s.verified, s.expires_at, \(unsafeRaw: SignedIn.columns)
            FROM widget_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE s.token_hash = \(bind: APIToken.hash(token))
            """).first(),
            try row.decode(column: "expires_at", as: Date.self) > now
        else { throw ZayavkaError.widget(.session) }
        guard let signedIn = try SignedIn.from(row, defaultLanguage: request.services.configuration.defaultLanguage) else {
            throw ZayavkaError.banned(until: nil)
        }
        try await request.admit(signedIn, now: now, counter: BanMetrics.widget)
        return WidgetSession(id: try row.decode(column: "session_id", as: Int.self), verified: try row.decode(column: "verified", as: Bool.self),
                             signedIn: signedIn)
    }

    // MARK: What the panel shows

    static func config(context: ServiceContext) async throws -> WidgetConfigDTO {
        let catalog = try await context.services.catalog.snapshot(context.db)
        let language = context.language
        let fields = catalog.intake.filter(\.customerVisible).map { field in
            WidgetConfigDTO.Field(key: field.key, kind: field.kind.rawValue, label: field.label(language), required: field.required,
                                  options: field.optionValues.map { .init(value: $0, label: field.optionLabel($0, language)) })
        }
        let nodes = try await BotService.nodes(on: context.sql)
        let l = L(language)
        let bot = nodes.map { node in
            WidgetConfigDTO.BotButton(
                id: node.id, parentId: node.parentId, label: BotPages.label(node, l), message: BotPages.message(node, l), action: node.action,
                url: node.action == BotAction.article.rawValue ? node.articleId.map { SitePath.helpArticle($0).path } : nil,
                ticketType: node.ticketType, prefill: node.prefill)
        }
        return WidgetConfigDTO(fields: fields, bot: bot, chatAvailable: try await ChatService.available(context: context),
                               maxFileBytes: context.services.configuration.maxAttachmentBytes, maxChatCharacters: ChatLimits.maxCharacters)
    }

    /// The session's requests, newest first: all the customer's when the host vouched for them, else those filed in this session.
    static func requests(_ session: WidgetSession, context: ServiceContext) async throws -> [WidgetRequestDTO] {
        let catalog = try await context.services.catalog.snapshot(context.db)
        let language = context.language
        let viewer = session.signedIn.viewer
        let rows: [TicketQueries.Row]
        if session.verified {
            rows = try await TicketQueries.page(["sort": "updated_at", "limit": "50"], context: context).rows
        } else {
            let numbers = try await context.sql.raw("""
                SELECT t.number FROM widget_tickets w JOIN tickets t ON t.id = w.ticket_id
                WHERE w.session_id = \(bind: session.id) ORDER BY t.id DESC LIMIT 50
                """).all().map { try $0.decode(column: "number", as: Int.self) }
            var loaded: [TicketQueries.Row] = []
            for number in numbers { loaded.append(try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)) }
            rows = loaded
        }
        return rows.map { WidgetRequestDTO($0.dto(viewer, catalog, language)) }
    }

    /// 404 unless the session may see the request.
    static func checkAccess(_ number: Int, _ session: WidgetSession, context: ServiceContext) async throws -> TicketQueries.Row {
        let row = try await TicketQueries.load(number: number, viewer: session.signedIn.viewer, on: context.sql)
        if !session.verified {
            guard try await context.sql.raw("""
                SELECT 1 AS ok FROM widget_tickets WHERE ticket_id = \(bind: row.id) AND session_id = \(bind: session.id)
                """).first() != nil else { throw ZayavkaError.notFound(entity: "ticket", id: String(number)) }
        }
        return row
    }

    static func request(_ number: Int, _ session: WidgetSession, context: ServiceContext) async throws -> WidgetRequestDTO {
        let row = try await checkAccess(number, session, context: context)
        let catalog = try await context.services.catalog.snapshot(context.db)
        var result = WidgetRequestDTO(row.dto(session.signedIn.viewer, catalog, context.language))
        let comments = try await ConversationService.comments(of: row, viewer: session.signedIn.viewer, context: context)
        result.messages = comments.filter(\.public).map { ChatService.message($0, requesterID: session.signedIn.viewer.userID) }
        return result
    }

    /// Files a request from the widget's form (multipart: subject, body, type, urgency, fields.<key>, files).
    static func create(_ form: ReceivedForm, _ session: WidgetSession, context: ServiceContext) async throws -> WidgetRequestDTO {
        let catalog = try await context.services.catalog.snapshot(context.db)
        var errors: [FieldError] = []
        let type = form.value("type").flatMap { $0.isEmpty ? nil : $0 }.map { raw -> TicketType? in
            guard let type = TicketType(rawValue: raw), [.question, .problem, .suggestion].contains(type) else {
                errors.append(FieldError("type", .unknownValue, "question, problem, suggestion"))
                return nil
            }
            return type
        } ?? .question
        var urgency: Urgency?
        if let raw = form.text("urgency") {
            if let level = Int(raw), let value = Urgency(level) { urgency = value } else { errors.append(FieldError("urgency", .invalid, "1-4")) }
        }
        if form.files.count > WidgetRules.maxFiles { errors.append(FieldError("files", .tooLong, String(WidgetRules.maxFiles))) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        var uploads: [AttachmentRecord] = []
        do {
            uploads = try await StreamedForm.record(form.files, uploaderID: session.signedIn.viewer.userID, context: context)
            let input = TicketCreateInput(
                subject: form.value("subject") ?? "", body: form.value("body") ?? "", requesterId: nil, requesterEmail: nil, requesterName: nil,
                channel: .widget, type: type, priority: nil, urgency: urgency, responsibility: nil, cause: nil, status: nil,
                assigneeId: nil, groupId: nil, dueAt: nil, fields: IntakeInputs.values(form, catalog.intake), attachments: uploads.map(\.publicID))
            let ticket = try await TicketService.create(input, context: context)
            try await context.write { db in try await remember(ticket.number, sessionID: session.id, on: db as! any SQLDatabase) }
            return WidgetRequestDTO(ticket)
        } catch {
            form.discardFiles()
            await StreamedForm.forget(uploads, context: context)
            throw error
        }
    }

    /// The request belongs to the session that filed it (inside the caller's transaction).
    static func remember(_ number: Int, sessionID: Int, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO widget_tickets (ticket_id, session_id) SELECT id, \(bind: sessionID) FROM tickets WHERE number = \(bind: number)
            """).run()
    }

    /// The customer's reply from the widget (multipart: body, files).
    static func reply(_ number: Int, _ form: ReceivedForm, _ session: WidgetSession, context: ServiceContext) async throws -> ChatMessageDTO {
        var uploads: [AttachmentRecord] = []
        do {
            _ = try await checkAccess(number, session, context: context)
            if form.files.count > WidgetRules.maxFiles { throw ZayavkaError.validation([FieldError("files", .tooLong, String(WidgetRules.maxFiles))]) }
            uploads = try await StreamedForm.record(form.files, uploaderID: session.signedIn.viewer.userID, context: context)
            let comment = try await ConversationService.addComment(
                number: number, input: CommentInput(body: form.value("body") ?? "", public: true, attachments: uploads.map(\.publicID), status: nil),
                source: .widget, context: context)
            await ChatService.touch(number: number, context: context)
            return ChatService.message(comment, requesterID: session.signedIn.viewer.userID)
        } catch {
            form.discardFiles()
            await StreamedForm.forget(uploads, context: context)
            throw error
        }
    }
}
