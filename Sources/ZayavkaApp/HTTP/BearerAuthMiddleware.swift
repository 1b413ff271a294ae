import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Resolves `Authorization: Bearer …` into the signed-in person, or answers 401 in the caller's
/// language. One query on a cache miss; none while the cache entry is fresh.
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization else { throw ZayavkaError.unauthenticated }
        let hash = APIToken.hash(bearer.token)
        let now = Date()
        let cache = request.services.tokens
        if let entry = cache.lookup(hash, now: now) {
            // A banned customer's token keeps working again the moment the ban ends or is lifted.
            try await request.admit(entry.signedIn, now: now, counter: BanMetrics.api)
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
        try await request.admit(signedIn, now: now, counter: BanMetrics.api)
        request.setSignedIn(signedIn)
        return try await next.respond(to: request)
    }
}

/// For operations open to anyone: a caller who sends a bearer token is signed in by it (a wrong
/// one is refused, 401); one who sends none goes on as an anonymous visitor.
struct OptionalBearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.headers.bearerAuthorization != nil else { return try await next.respond(to: request) }
        return try await BearerAuthMiddleware().respond(to: request, chainingTo: next)
    }
}
