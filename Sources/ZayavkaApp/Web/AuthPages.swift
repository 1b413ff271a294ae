import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Sign-in page: model → HTML.
struct SignInPage {
    var email = ""
    var next = ""
    var error: String?

    func render(_ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(
            .class("signin card"),
            .h1(.t(l("Вход в службу поддержки", "Sign in to the help desk"))),
            .unwrap(error) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .form(
                .method(.post), .action(SitePath.signIn.path), .id("sign-in-form"),
                Layout.csrfField(ctx),
                .input(.type(.hidden), .name("next"), .attr("value", next)),
                .div(.class("field"),
                     .element(named: "label", nodes: [.attr("for", "email"), .t(l("Электронная почта", "Email"))]),
                     .input(.type(.email), .name("email"), .id("email"), .attr("value", email), .required(true), .autofocus(email.isEmpty),
                            .attribute(named: "autocomplete", value: "username"))),
                .div(.class("field"),
                     .element(named: "label", nodes: [.attr("for", "password"), .t(l("Пароль", "Password"))]),
                     .input(.type(.password), .name("password"), .id("password"), .required(true), .autofocus(!email.isEmpty),
                            .attribute(named: "autocomplete", value: "current-password"))),
                .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Войти", "Sign in"))))
            ),
            .p(.class("muted"), .a(.href(SitePath.passwordForgot.path), .id("forgot-link"), .t(l("Забыли пароль?", "Forgot your password?"))))
        )
    }
}

/// Sign-in, sign-out, language switch and the home redirect.
enum AuthController {
    /// Only paths of this site: an absolute path, not `//host`.
    static func safeNext(_ raw: String?) -> String? { LocalRedirect.path(raw) }

    static func home(_ request: Request) -> Response {
        guard let signedIn = request.signedInIfAny else { return request.redirect(to: SitePath.signIn.path) }
        return request.redirect(to: signedIn.viewer.role.isStaff ? SitePath.agent.path : SitePath.portal.path)
    }

    static func signInPage(_ request: Request) -> Response {
        if let signedIn = request.signedInIfAny {
            return request.redirect(to: safeNext(request.query["next"]) ?? (signedIn.viewer.role.isStaff ? SitePath.agent.path : SitePath.portal.path))
        }
        var ctx = PageContext(request)
        if request.sessionExpired, ctx.notice == nil { ctx.notice = Notices.text("expired", ctx.l) }
        let page = SignInPage(next: safeNext(request.query["next"]) ?? "")
        return Layout.render(ctx.l("Вход", "Sign in"), ctx, page.render(ctx))
    }

    static func signIn(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let email = form.text("email") ?? ""
        var page = SignInPage(email: email, next: safeNext(form.value("next")) ?? "")
        let ctx = PageContext(request)
        do {
            let user = try await UserService.verifyPassword(email: email, password: form.value("password") ?? "", context: try request.context)
            let cookie = try await WebSessions.start(userID: user.id!, request: request)
            let target = safeNext(form.value("next")) ?? (Role(rawValue: user.role)?.isStaff == true ? SitePath.agent.path : SitePath.portal.path)
            let response = request.redirect(to: target)
            response.cookies[WebCookies.session] = cookie
            return response
        } catch ZayavkaError.unauthenticated {
            page.error = ctx.l("Неверная почта или пароль.", "Wrong email or password.")
            return Layout.render(ctx.l("Вход", "Sign in"), ctx, status: .unauthorized, page.render(ctx))
        } catch ZayavkaError.banned(let until) {
            page.error = ctx.l.localizer.message(for: .banned(until: until))
            return Layout.render(ctx.l("Вход", "Sign in"), ctx, status: .forbidden, page.render(ctx))
        } catch let error as ZayavkaError {
            guard case .tooManyRequests = error else { throw error }
            // The owner gets in from another address, or by the mailed link (which lifts the lock).
            page.error = ctx.l.localizer.message(for: error) + " "
                + ctx.l("Если это ваша учётная запись, войдите по ссылке из письма: «Забыли пароль?».",
                        "If this is your account, sign in with the link we mail you: “Forgot your password?”.")
            return Layout.render(ctx.l("Вход", "Sign in"), ctx, status: .tooManyRequests, page.render(ctx))
        }
    }

    static func signOut(_ request: Request) async throws -> Response {
        _ = try await WebForms.read(request)
        try await WebSessions.end(request: request)
        let response = request.redirect(to: SitePath.signIn.path + "?notice=signed-out")
        response.cookies[WebCookies.session] = WebSessions.cookie("", request: request, maxAge: 0)
        return response
    }

    /// Switches the interface language: saved in the person's profile, or in a cookie for visitors.
    static func language(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        guard let language = form.value("lang").flatMap({ ZayavkaCore.Language(rawValue: $0) }) else {
            throw ZayavkaError.validation([FieldError("lang", .unknownValue, "ru, en")])
        }
        let back = safeNext(form.value("back")) ?? SitePath.home.path
        let response = request.redirect(to: back)
        if let signedIn = request.signedInIfAny {
            let userID = signedIn.viewer.userID
            try await request.write { db in
                try await UserService.saveLanguage(language, userID: userID, on: db as! any SQLDatabase)
            }
            request.services.tokens.forget(userID: userID)
        }
        response.cookies[WebCookies.language] = HTTPCookies.Value(
            string: language.rawValue, maxAge: 365 * 86_400, path: "/", isSecure: request.services.configuration.secureCookies,
            isHTTPOnly: true, sameSite: .lax)
        return response
    }
}

/// Reading forms on web routes: every POST carries the page's anti-forgery token, checked here.
enum WebForms {
    static func read(_ request: Request) async throws -> ReceivedForm {
        let form = try await StreamedForm.receive(request, fileLimit: request.services.configuration.maxAttachmentBytes)
        guard WebSessions.tokensMatch(form.value("_csrf"), request.csrfToken), request.cookies[WebCookies.csrf] != nil || request.webSession != nil else {
            form.discardFiles()
            throw WebError.forgedForm
        }
        return form
    }
}

/// Errors only the web pages have.
enum WebError: Error {
    /// The form's anti-forgery token is missing or wrong (an old tab, or another site posting here).
    case forgedForm
    /// Sign-in is needed for this page.
    case signInRequired
}
