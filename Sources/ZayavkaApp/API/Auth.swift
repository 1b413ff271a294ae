import Crypto
import Fluent
import SQLKit
import Foundation
import Vapor
import ZayavkaCore

/// Who is signed in, with what the hot paths need about them without another query.
struct SignedIn: Sendable {
    let viewer: Viewer
    let language: Language
    let name: String
    let organizationName: String?
    /// Where dates are shown for this person (web pages); Moscow unless they chose otherwise.
    var timeZone: TimeZone = WebTime.moscow
    /// Staff: on shift, so groups that assign by turn or load include them (SPEC T6).
    var onShift = false

    var person: PersonRef { PersonRef(id: viewer.userID, name: name) }

    /// The person's columns that both sign-in paths (API token, web session) select, from
    /// `users u LEFT JOIN organizations o`.
    static let columns = """
        u.id AS user_id, u.name, u.role, u.locale, u.time_zone, u.organization_id, u.is_active, u.banned_at, u.on_shift,
        o.name AS organization_name, o.members_see_all_tickets
        """

    /// The signed-in person of a row with `columns`; nil when the account is inactive or banned.
    static func from(_ row: any SQLRow, defaultLanguage: Language) throws -> SignedIn? {
        guard try row.decode(column: "is_active", as: Bool.self), try row.decode(column: "banned_at", as: Date?.self) == nil else { return nil }
        let role = Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .customer
        let shared = try row.decode(column: "members_see_all_tickets", as: Bool?.self) ?? false
        let viewer = Viewer(userID: try row.decode(column: "user_id", as: Int.self), role: role,
                            organizationID: try row.decode(column: "organization_id", as: Int?.self),
                            seesOrganizationTickets: role == .customer && shared)
        var signedIn = SignedIn(
            viewer: viewer,
            language: Language(rawValue: try row.decode(column: "locale", as: String.self)) ?? defaultLanguage,
            name: try row.decode(column: "name", as: String.self),
            organizationName: try row.decode(column: "organization_name", as: String?.self))
        signedIn.timeZone = TimeZone(identifier: try row.decode(column: "time_zone", as: String.self)) ?? WebTime.moscow
        signedIn.onShift = try row.decode(column: "on_shift", as: Bool?.self) ?? false
        return signedIn
    }
    var organization: PersonRef? { viewer.organizationID.map { PersonRef(id: $0, name: organizationName ?? "") } }
}

extension Request {
    private struct SignedInKey: StorageKey { typealias Value = SignedIn }

    /// The signed-in person; set by `BearerAuthMiddleware`.
    var signedIn: SignedIn {
        get throws {
            guard let value = storage[SignedInKey.self] else { throw ZayavkaError.unauthenticated }
            return value
        }
    }

    var viewer: Viewer {
        get throws { try signedIn.viewer }
    }

    /// The signed-in person, or nil (web pages that also serve visitors).
    var signedInIfAny: SignedIn? { storage[SignedInKey.self] }

    func setSignedIn(_ value: SignedIn) { storage[SignedInKey.self] = value }

    /// The user's language, else the one chosen on the sign-in page, else the browser's, else the configured default (SPEC N2).
    var language: Language {
        storage[SignedInKey.self]?.language
            ?? cookies[WebCookies.language].flatMap { Language(rawValue: $0.string) }
            ?? Language.negotiate(acceptLanguage: headers.first(name: .acceptLanguage))
            ?? services.configuration.defaultLanguage
    }

    /// Throws `.forbidden` unless the viewer's role has `permission`.
    func require(_ permission: Permission) throws {
        guard try viewer.role.can(permission) else { throw ZayavkaError.forbidden(reason: "\(permission)") }
    }
}

/// API tokens: "zy_" and 43 characters of base64url; only the SHA-256 is stored.
enum APIToken {
    static func generate() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        return "zy_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }
}

/// Resolves `Authorization: Bearer …` into the signed-in person, or answers 401 in the caller's
/// language. One query on a cache miss; none while the cache entry is fresh.
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization else { throw ZayavkaError.unauthenticated }
        let hash = APIToken.hash(bearer.token)
        let now = Date()
        let cache = request.services.tokens
        if let entry = cache.lookup(hash, now: now) {
            request.setSignedIn(entry.signedIn)
            return try await next.respond(to: request)
        }
        guard let row = try await request.sql.raw("""
            SELECT k.id AS token_id, k.expires_at, k.revoked_at, k.last_used_at, \(unsafeRaw: SignedIn.columns)
            FROM api_tokens k JOIN users u ON u.id = k.user_id LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE k.token_hash = \(bind: hash)
            """).first()
        else { throw ZayavkaError.unauthenticated }
        let expiresAt = try row.decode(column: "expires_at", as: Date?.self)
        guard try row.decode(column: "revoked_at", as: Date?.self) == nil, expiresAt.map({ $0 > now }) ?? true,
              let signedIn = try SignedIn.from(row, defaultLanguage: request.services.configuration.defaultLanguage)
        else { throw ZayavkaError.unauthenticated }
        let tokenID = try row.decode(column: "token_id", as: Int.self)
        cache.store(hash, .init(tokenID: tokenID, signedIn: signedIn, expiresAt: expiresAt, cachedAt: now))
        // Remember use at most once a minute per token, so reads stay reads.
        if try row.decode(column: "last_used_at", as: Date?.self).map({ now.timeIntervalSince($0) > 60 }) ?? true {
            let db = try request.database
            try? await request.services.gate.run {
                try await (db as! any SQLDatabase).raw("UPDATE api_tokens SET last_used_at = \(bind: now) WHERE id = \(bind: tokenID)").run()
            }
        }
        request.setSignedIn(signedIn)
        return try await next.respond(to: request)
    }
}

/// Turns every error into `{"error": {code, message, fields}}` with a message in the caller's
/// language and the right status; unknown errors are logged and answered as 500 without details.
struct APIErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            // People (not programs) who reach a page that does not exist get a page, in their language.
            if !request.url.path.hasPrefix("/api/"), request.headers.first(name: .accept)?.contains("text/html") == true {
                return WebErrorMiddleware.page(for: error, request: request)
            }
            return Self.response(for: error, request: request)
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let localizer = Localizer(request.language)
        let ru = request.language == .ru
        let status: HTTPResponseStatus
        let code: String
        let message: String
        var fields: [ErrorBody.FieldDetail]?
        var headers = HTTPHeaders()
        switch error {
        case let domain as ZayavkaError:
            message = localizer.message(for: domain)
            switch domain {
            case .notFound: (status, code) = (.notFound, "not_found")
            case .forbidden: (status, code) = (.forbidden, "forbidden")
            case .unauthenticated:
                (status, code) = (.unauthorized, "unauthenticated")
                headers.add(name: .wwwAuthenticate, value: "Bearer")
            case .illegalTransition: (status, code) = (.conflict, "illegal_transition")
            case .unknownStatus: (status, code) = (.unprocessableEntity, "unknown_status")
            case .ticketClosed: (status, code) = (.conflict, "ticket_closed")
            case .validation(let errors):
                (status, code) = (.unprocessableEntity, "validation")
                fields = errors.map { .init(field: $0.field, code: $0.code.rawValue, message: localizer.fieldMessage($0)) }
            case .conflict: (status, code) = (.conflict, "conflict")
            case .payloadTooLarge: (status, code) = (.payloadTooLarge, "payload_too_large")
            case .unsupportedMediaType: (status, code) = (.unsupportedMediaType, "unsupported_media_type")
            case .tooManyRequests(let seconds):
                (status, code) = (.tooManyRequests, "too_many_requests")
                headers.add(name: .retryAfter, value: String(seconds))
            }
        case let decoding as DecodingError:
            (status, code) = (.badRequest, "bad_request")
            message = (ru ? "Неверный JSON: " : "Invalid JSON: ") + Self.describe(decoding)
        case let abort as any AbortError:
            status = abort.status
            switch abort.status {
            case .notFound:
                code = "not_found"
                message = localizer.message(for: .notFound(entity: "route", id: request.url.path))
            case .payloadTooLarge:
                code = "payload_too_large"
                message = ru ? "Запрос слишком большой." : "The request is too large."
            case .unsupportedMediaType:
                code = "unsupported_media_type"
                message = ru ? "Ожидается Content-Type: application/json." : "Expected Content-Type: application/json."
            case .methodNotAllowed:
                code = "method_not_allowed"
                message = ru ? "Метод не поддерживается." : "Method not allowed."
            default:
                code = abort.status.code < 500 ? "bad_request" : "internal"
                message = abort.status.code < 500 ? abort.reason : (ru ? "Внутренняя ошибка сервера." : "Internal server error.")
            }
            if abort.status.code >= 500 { request.logger.report(error: error) }
        default:
            request.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            (status, code) = (.internalServerError, "internal")
            message = ru ? "Внутренняя ошибка сервера. Данные, принятые ранее, сохранены." : "Internal server error. Nothing accepted before was lost."
        }
        let body = ErrorBody(error: .init(code: code, message: message, fields: fields))
        let response = Response(status: status, headers: headers)
        try? response.content.encode(body, as: .json)
        return response
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = path(context)
            return "missing \(prefix.isEmpty ? key.stringValue : prefix + "." + key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return path(context).isEmpty ? context.debugDescription : "invalid value at \(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
