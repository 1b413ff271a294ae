import Foundation
import Plot
import Vapor
import ZayavkaCore

/// Turns errors on web routes into pages a person understands, in their language; sends people
/// who need to sign in to the sign-in page, and back where they were afterwards.
struct WebErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return Self.page(for: error, request: request)
        }
    }

    static func page(for error: any Error, request: Request) -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let notFound = (l("Страница не найдена", "Page not found"),
                        l("Такой страницы или заявки нет, или у вас нет к ней доступа.", "There is no such page or request, or you have no access to it."))
        let status: HTTPResponseStatus
        let title: String
        let explanation: String
        var retryAfter: Int?
        switch error {
        case WebError.signInRequired, ZayavkaError.unauthenticated:
            var target = SitePath.signIn.path + "?next=" + (request.url.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            if request.sessionExpired { target += "&notice=expired" }
            return request.redirect(to: target)
        case WebError.forgedForm:
            if request.sessionExpired { return request.redirect(to: SitePath.signIn.path + "?notice=expired") }
            status = .forbidden
            title = l("Форма устарела", "The form has expired")
            explanation = l("Страница была открыта слишком давно или отправлена с другого сайта. Вернитесь назад, обновите страницу и отправьте форму ещё раз.",
                            "The page was open too long or the form came from another site. Go back, reload the page and send the form again.")
        case ZayavkaError.notFound, is NotFoundPage:
            status = .notFound
            (title, explanation) = notFound
        case ZayavkaError.forbidden:
            status = .forbidden
            title = l("Нет доступа", "Access denied")
            explanation = l("У вашей учётной записи нет прав на это действие.", "Your account is not allowed to do this.")
        case ZayavkaError.payloadTooLarge(let limit):
            status = .payloadTooLarge
            title = l("Файл слишком большой", "The file is too large")
            explanation = l("Каждый файл — не больше \(l.fileSize(limit)). Уменьшите файл или отправьте ссылку на него.",
                            "Each file may be at most \(l.fileSize(limit)). Make it smaller or send a link to it.")
        case ZayavkaError.overloaded(let seconds, let blocked):
            status = .tooManyRequests
            title = blocked == nil ? l("Слишком много запросов", "Too many requests") : l("Доступ временно ограничен", "Access limited for a time")
            explanation = l.localizer.message(for: error as! ZayavkaError)
            retryAfter = max(1, seconds)
        case ZayavkaError.banned:
            status = .forbidden
            title = l("Доступ закрыт", "Access closed")
            explanation = l.localizer.message(for: error as! ZayavkaError)
        case ZayavkaError.tooManyRequests:
            status = .tooManyRequests
            title = l("Слишком много попыток", "Too many attempts")
            explanation = l.localizer.message(for: error as! ZayavkaError)
        case let domain as ZayavkaError:
            status = .unprocessableEntity
            title = l("Не получилось", "That did not work")
            explanation = l.localizer.message(for: domain)
        case let abort as any AbortError:
            status = abort.status
            if status == .notFound {
                (title, explanation) = notFound
            } else {
                title = l("Не получилось", "That did not work")
                explanation = [.tooManyRequests, .conflict].contains(status) ? abort.reason
                    : l("Запрос не выполнен (\(status.code)).", "The request failed (\(status.code)).")
            }
        default:
            request.logger.error("web page failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.url.path)"])
            status = .internalServerError
            title = l("Ошибка на сервере", "Server error")
            explanation = l("Что-то пошло не так на нашей стороне. Попробуйте ещё раз через минуту.",
                            "Something went wrong on our side. Please try again in a minute.")
        }
        let content: Node<HTML.BodyContext> = .div(
            .class("error-page card"),
            .p(.class("code"), .t(String(status.code))),
            .h1(.t(title)),
            .p(.t(explanation)),
            .p(.a(.href(SitePath.home.path), .t(l("На главную", "Go to the start page"))))
        )
        let response = Layout.render(title, ctx, status: status, content)
        if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        return response
    }
}

/// A web path that matches no page.
struct NotFoundPage: Error {}
