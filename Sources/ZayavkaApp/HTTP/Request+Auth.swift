import Crypto
import Fluent
import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore

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

    /// What every signed-in request passes, whatever signed it in (API token, web session, widget
    /// session): a banned customer is refused (403 `banned`) and an account over its limit (429).
    static func isPageBackground(_ path: String) -> Bool {
        path == SitePath.agentLive.path || (path.hasPrefix("/agent/tickets/") && path.hasSuffix("/presence"))
    }

    func admit(_ signedIn: SignedIn, now: Date = Date(), counter: Counter) async throws {
        try await services.bans.refuse(signedIn, now: now, sql, counter: counter)
        // A live page's own plumbing (its event stream and its sign of life every 10 s) does not spend
        // the person's budget; the address's limit still counts it.
        if services.shield.perAccount != nil, !Self.isPageBackground(url.path) {
            try await services.shield.check(.account, String(signedIn.viewer.userID), userID: signedIn.viewer.userID, request: self)
        }
    }
}
