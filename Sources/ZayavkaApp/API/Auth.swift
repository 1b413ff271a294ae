import Crypto
import Fluent
import Foundation
import Vapor
import ZayavkaCore

extension Request {
    private struct ViewerKey: StorageKey { typealias Value = Viewer }
    private struct LanguageKey: StorageKey { typealias Value = Language }

    /// The signed-in person; set by `BearerAuthMiddleware`.
    var viewer: Viewer {
        get throws {
            guard let viewer = storage[ViewerKey.self] else { throw ZayavkaError.unauthenticated }
            return viewer
        }
    }

    func setViewer(_ viewer: Viewer, language: Language) {
        storage[ViewerKey.self] = viewer
        storage[LanguageKey.self] = language
    }

    /// The user's language, else the browser's, else the configured default (SPEC N2).
    var language: Language {
        storage[LanguageKey.self]
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

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Resolves `Authorization: Bearer …` into a viewer, or answers 401 in the caller's language.
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization else { throw ZayavkaError.unauthenticated }
        let hash = APIToken.hash(bearer.token)
        let now = Date()
        let cache = request.services.tokens
        if let entry = cache.lookup(hash, now: now) {
            request.setViewer(entry.viewer, language: entry.language)
            return try await next.respond(to: request)
        }
        guard let token = try await APITokenRecord.query(on: request.db).filter(\.$tokenHash == hash).first(),
              token.revokedAt == nil, token.expiresAt.map({ $0 > now }) ?? true,
              let user = try await UserRecord.find(token.userID, on: request.db), user.isActive, user.bannedAt == nil
        else { throw ZayavkaError.unauthenticated }
        var seesOrganization = false
        if let orgID = user.organizationID, user.roleValue == .customer {
            seesOrganization = try await OrganizationRecord.find(orgID, on: request.db)?.membersSeeAllTickets ?? false
        }
        let viewer = Viewer(userID: user.id!, role: user.roleValue, organizationID: user.organizationID, seesOrganizationTickets: seesOrganization)
        let language = Language(rawValue: user.locale) ?? request.services.configuration.defaultLanguage
        cache.store(hash, .init(tokenID: token.id!, viewer: viewer, language: language, expiresAt: token.expiresAt, cachedAt: now))
        // Remember use at most once a minute per token, so reads stay reads.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            token.lastUsedAt = now
            try? await request.services.gate.run { try await token.update(on: request.db) }
        }
        request.setViewer(viewer, language: language)
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
