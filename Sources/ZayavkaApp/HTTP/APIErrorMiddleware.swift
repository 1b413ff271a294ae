import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

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

    /// The status and the error code of a domain error, as the API answers it (and the chat socket names it).
    static func classify(_ domain: ZayavkaError) -> (status: HTTPResponseStatus, code: String) {
        switch domain {
        case .notFound: (.notFound, "not_found")
        case .forbidden: (.forbidden, "forbidden")
        case .unauthenticated: (.unauthorized, "unauthenticated")
        case .illegalTransition: (.conflict, "illegal_transition")
        case .unknownStatus: (.unprocessableEntity, "unknown_status")
        case .ticketClosed: (.conflict, "ticket_closed")
        case .validation: (.unprocessableEntity, "validation")
        case .conflict: (.conflict, "conflict")
        case .payloadTooLarge: (.payloadTooLarge, "payload_too_large")
        case .unsupportedMediaType: (.unsupportedMediaType, "unsupported_media_type")
        case .tooManyRequests: (.tooManyRequests, "too_many_requests")
        case .gone: (.gone, "gone")
        case .banned: (.forbidden, "banned")
        case .widget(let refusal): ([.invalid, .expired, .session].contains(refusal) ? .unauthorized : .forbidden, refusal.rawValue)
        case .overloaded(_, let blocked): (.tooManyRequests, blocked == nil ? "rate_limited" : "blocked")
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
            (status, code) = classify(domain)
            switch domain {
            case .unauthenticated: headers.add(name: .wwwAuthenticate, value: "Bearer")
            case .validation(let errors):
                fields = errors.map { .init(field: $0.field, code: $0.code.rawValue, message: localizer.fieldMessage($0)) }
            case .tooManyRequests(let seconds): headers.add(name: .retryAfter, value: String(seconds))
            case .overloaded(let seconds, _): headers.add(name: .retryAfter, value: String(max(1, seconds)))
            default: break
            }
        case let database where UniqueViolation.matches(database):
            // Two requests raced for the same unique value: nothing of this one was written (each
            // request is one transaction); it may be repeated.
            request.logger.warning("a write lost a race for a unique value", metadata: ["error": "\(String(reflecting: error))"])
            (status, code) = (.conflict, "conflict")
            message = ru ? "Запрос столкнулся с одновременным изменением тех же данных и не выполнен; повторите его."
                : "The request collided with a simultaneous change of the same data and was not carried out; repeat it."
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
