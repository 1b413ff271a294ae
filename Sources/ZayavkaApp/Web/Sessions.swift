import Crypto
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Cookie names used by the web pages.
enum WebCookies {
    static let session = "zy_session"
    static let csrf = "zy_csrf"
    static let language = "zy_lang"
}

/// The browser session of this request: its row and its anti-forgery token.
struct WebSession: Sendable {
    let id: Int
    let csrf: String
}

extension Request {
    private struct WebSessionKey: StorageKey { typealias Value = WebSession }
    private struct AnonymousCSRFKey: StorageKey { typealias Value = String }
    private struct ExpiredKey: StorageKey { typealias Value = Bool }

    var webSession: WebSession? {
        get { storage[WebSessionKey.self] }
        set { storage[WebSessionKey.self] = newValue }
    }

    /// A session cookie came with the request but its session is gone or expired.
    var sessionExpired: Bool {
        get { storage[ExpiredKey.self] ?? false }
        set { storage[ExpiredKey.self] = newValue }
    }

    /// The token every form of this page carries: the session's, or for visitors a random value
    /// also set as a cookie (double submit), so the sign-in form itself cannot be forged.
    var csrfToken: String {
        if let session = webSession { return session.csrf }
        if let existing = storage[AnonymousCSRFKey.self] { return existing }
        let value = cookies[WebCookies.csrf]?.string.nilIfEmpty ?? WebSessions.randomToken()
        storage[AnonymousCSRFKey.self] = value
        return value
    }

    /// Whether the visitor's CSRF cookie must be (re)sent with the response.
    var anonymousCSRFToSet: String? {
        guard webSession == nil, let value = storage[AnonymousCSRFKey.self], cookies[WebCookies.csrf]?.string != value else { return nil }
        return value
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// Creating, finding and ending browser sessions. The cookie holds 32 random bytes; the database
/// holds their SHA-256, so a leaked database does not open anyone's session.
enum WebSessions {
    static func randomToken() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }

    /// Starts a session for `userID` and returns the cookie to set.
    static func start(userID: Int, request: Request) async throws -> HTTPCookies.Value {
        let token = randomToken()
        let now = Date()
        let expires = now.addingTimeInterval(request.services.configuration.sessionIdleHours * 3600)
        let csrf = randomToken()
        try await request.write { db in
            let sql = db as! any SQLDatabase
            // Sessions of the past are swept now and then by whoever signs in.
            try await sql.raw("DELETE FROM web_sessions WHERE expires_at < \(bind: now)").run()
            try await sql.raw("""
                INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
                VALUES (\(bind: hash(token)), \(bind: userID), \(bind: csrf), \(bind: now), \(bind: now), \(bind: expires))
                """).run()
        }
        return cookie(token, request: request, maxAge: nil)
    }

    static func end(request: Request) async throws {
        guard let session = request.webSession else { return }
        try await request.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM web_sessions WHERE id = \(bind: session.id)").run()
        }
    }

    /// HTTP-only, SameSite=Lax, Secure when the site is served over HTTPS.
    static func cookie(_ value: String, request: Request, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, expires: nil, maxAge: maxAge, domain: nil, path: "/",
                          isSecure: request.services.configuration.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }

    /// Looks up the session of a cookie; nil when there is none or it has expired.
    static func resolve(_ token: String, request: Request) async throws -> (SignedIn, WebSession)? {
        let now = Date()
        guard let row = try await request.sql.raw("""
            SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.last_seen_at, \(unsafeRaw: SignedIn.columns)
            FROM web_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE s.token_hash = \(bind: hash(token))
            """).first() else { return nil }
        guard try row.decode(column: "expires_at", as: Date.self) > now,
              let signedIn = try SignedIn.from(row, defaultLanguage: request.services.configuration.defaultLanguage) else { return nil }
        let sessionID = try row.decode(column: "session_id", as: Int.self)
        // Sliding expiry, written at most once a minute so page views stay reads.
        if now.timeIntervalSince(try row.decode(column: "last_seen_at", as: Date.self)) > 60 {
            let expires = now.addingTimeInterval(request.services.configuration.sessionIdleHours * 3600)
            let db = try request.database
            try? await request.services.gate.run {
                try await (db as! any SQLDatabase).raw("""
                    UPDATE web_sessions SET last_seen_at = \(bind: now), expires_at = \(bind: expires) WHERE id = \(bind: sessionID)
                    """).run()
            }
        }
        return (signedIn, WebSession(id: sessionID, csrf: try row.decode(column: "csrf_token", as: String.self)))
    }

    /// Constant-time comparison of a submitted anti-forgery token with the expected one.
    static func tokensMatch(_ submitted: String?, _ expected: String) -> Bool {
        guard let submitted, submitted.utf8.count == expected.utf8.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(submitted.utf8, expected.utf8) { difference |= a ^ b }
        return difference == 0
    }
}

/// Resolves the session cookie on web routes; pages decide themselves whether sign-in is needed.
/// Also sends the visitor's CSRF cookie when a page handed one out.
struct WebSessionMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // A ban or a load limit that refuses this person: the page says which, nothing else runs.
        var refusal: ZayavkaError?
        if let token = request.cookies[WebCookies.session]?.string, !token.isEmpty {
            if let (signedIn, session) = try await WebSessions.resolve(token, request: request) {
                // A banned customer sees why on every page but may still sign out; the session
                // stays, so access comes back by itself when the ban ends or is lifted.
                let path = request.url.path
                if path != SitePath.signOut.path, !path.hasPrefix("/assets/") {
                    do {
                        try await request.admit(signedIn, counter: BanMetrics.web)
                    } catch let error as ZayavkaError { refusal = error }
                }
                request.setSignedIn(signedIn)
                request.webSession = session
            } else {
                request.sessionExpired = true
            }
        }
        let response = if let refusal { WebErrorMiddleware.page(for: refusal, request: request) } else { try await next.respond(to: request) }
        if let value = request.anonymousCSRFToSet {
            response.cookies[WebCookies.csrf] = WebSessions.cookie(value, request: request, maxAge: nil)
        }
        if request.sessionExpired, response.cookies[WebCookies.session] == nil {
            response.cookies[WebCookies.session] = WebSessions.cookie("", request: request, maxAge: 0)
        }
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        if response.headers.first(name: "Content-Security-Policy") == nil {
            // Own assets only: no inline scripts, no outside requests.
            response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                          value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        }
        if response.headers.first(name: .cacheControl) == nil {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}

/// Time zones and date formats of the web pages.
enum WebTime {
    static let moscow = TimeZone(identifier: "Europe/Moscow")!
}
